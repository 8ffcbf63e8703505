import csv
import json

import numpy as np
import pytest
from sklearn.base import clone

import rightsmap
from rightsmap.classifier import RightsClassifier
from rightsmap.cli import main
from rightsmap.embed import EmbeddingCache, get_embedder
from rightsmap.tagger import check_model_dir
from rightsmap.text import split_sentences

HOUSING = [
    "The landlord shut off the heat in January and the pipes froze.",
    "We got an eviction notice after I asked for the mold to be fixed.",
    "No hot water for three weeks, the building manager does not answer.",
    "They cut our electricity because we were two months behind, my kids are cold.",
    "The apartment has rats and a leaking ceiling and the rent went up again.",
    "We have been sleeping in the car since the eviction last month.",
    "The water company shut off our water with a baby at home.",
    "Mi casero nos quitó la calefacción y amenaza con desalojarnos.",
]
POLICE = [
    "The officer slammed my head on the hood of the car during the stop.",
    "Police beat my son with batons while he was handcuffed.",
    "A deputy tased my uncle three times even though he was on the ground.",
    "They punched me in the holding cell and laughed about it.",
    "The cops kicked my brother in the ribs until he passed out.",
    "An officer choked me during an arrest for a broken tail light.",
    "Guards in the jail beat an inmate and left him bleeding.",
    "La policía golpeó a mi hermano en la patrulla.",
]
VOTING = [
    "I was purged from the voter rolls and could not vote in November.",
    "They closed the only polling place in our neighborhood before the election.",
    "The clerk refused my ballot because my ID had my old address.",
    "Because of an old felony they told me I can never vote again.",
    "The line to vote was six hours long in our precinct and people gave up.",
    "My mail ballot was thrown out over a signature mismatch and nobody told me.",
    "The county moved the polling station far away with no bus.",
    "No me dejaron votar porque dijeron que no estaba en la lista.",
]


def _write(path, rows):
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["testimony", "rights"])
        w.writerows(rows)
    return path


@pytest.fixture(scope="module")
def coalition_csv(tmp_path_factory):
    rows = [(t, "UDHR 25; icescr-11") for t in HOUSING]
    rows += [(t, "Article 5 UDHR;ICCPR-7") for t in POLICE]
    rows += [(t, "UDHR-21;ICCPR-25") for t in VOTING]
    return _write(tmp_path_factory.mktemp("data") / "ours.csv", rows)


@pytest.fixture(scope="module")
def coalition_model(coalition_csv, tmp_path_factory):
    out = tmp_path_factory.mktemp("model") / "m"
    cache = EmbeddingCache(tmp_path_factory.mktemp("cache"))
    rightsmap.train(coalition_csv, "testimony", "rights", output=out, include_corpus=False, cache=cache)
    return out


def test_retrained_model_predicts_its_own_labels(coalition_model):
    tagger = rightsmap.load(coalition_model)
    assert tagger.kind == "supervised"
    top = tagger.tag("Our heat was cut off and the landlord wants us out.", top_k=2, min_confidence=0.0)
    assert {t.article for t in top.tags} == {"UDHR-25", "ICESCR-11"}
    top = tagger.tag("A police officer hit me in the face with his flashlight.", top_k=2, min_confidence=0.0)
    assert {t.article for t in top.tags} == {"UDHR-5", "ICCPR-7"}


def test_retrained_model_records_cross_validated_figures(coalition_model):
    meta = rightsmap.load(coalition_model).meta
    cv = meta["metrics"]["cross_validated"]
    assert cv["n"] == 24 and 0.0 <= cv["f1"] <= 1.0
    assert meta["training_data"]["coalition_rows"] == 24
    card = (coalition_model / "README.md").read_text()
    assert card.count("supervised") >= 1
    assert "## Evaluation (cross-validated on the 24 labelled rows the model was retrained on" in card
    assert "weighted x3: each tagged by a model fitted without it" in card
    assert f"| f1 | {cv['f1']:.3f} |" in card and "(not evaluated)" not in card


def test_labels_with_few_examples_warn(tmp_path):
    rows = [(t, "UDHR-25;ICESCR-11") for t in HOUSING] + [(POLICE[0], "UDHR-5;ICCPR-7")]
    f = _write(tmp_path / "few.csv", rows)
    with pytest.warns(UserWarning, match="fewer than 5 examples of UDHR-5, ICCPR-7"):
        rightsmap.train(f, "testimony", "rights", include_corpus=False, cache=EmbeddingCache(tmp_path))


def test_a_mostly_unlabelled_file_warns_that_empty_means_no_right(tmp_path):
    rows = [(t, "UDHR-25;ICESCR-11") for t in HOUSING[:5]] + [(t, "") for t in POLICE + VOTING]
    f = _write(tmp_path / "half.csv", rows)
    with pytest.warns(UserWarning, match="16 of the 21 rows of .* have no label"):
        rightsmap.train(f, "testimony", "rights", include_corpus=False, cache=EmbeddingCache(tmp_path))


def test_cli_train_prints_warnings_as_they_come(tmp_path, capsys):
    """Here training then fails at once (a bad option), but the warning about the file's rows
    came first: a user can stop a long run that would be wasted."""
    rows = [(t, "UDHR-25;ICESCR-11") for t in HOUSING[:5]] + [(t, "") for t in POLICE + VOTING]
    f = _write(tmp_path / "half.csv", rows)
    args = ["train", str(f), "--text-column", "testimony", "--labels-column", "rights", "--no-corpus"]
    assert main([*args, "-o", str(tmp_path / "m"), "--neighbours", "-1"]) == 1
    err = capsys.readouterr().err
    assert err.index("warning: 16 of the 21 rows") < err.index("neighbours must be a whole number")


def test_an_output_that_cannot_take_a_model_stops_before_training(coalition_csv, tmp_path, monkeypatch):
    """Checked first, so minutes of training are not lost to it, and a user's files are kept."""

    def no_training(*args, **kwargs):
        raise AssertionError("trained before checking the output")

    monkeypatch.setattr(rightsmap.Tagger, "train", no_training)
    taken = tmp_path / "project"
    taken.mkdir()
    (taken / ".gitkeep").write_text("", encoding="utf-8")
    assert check_model_dir(taken) == taken  # hidden files alone: an empty folder
    (taken / "README.md").write_text("our notes", encoding="utf-8")
    (tmp_path / "file.csv").write_text("x", encoding="utf-8")
    for output in (taken, tmp_path / "file.csv"):
        with pytest.raises(rightsmap.ModelError, match=r"holds other files and no model|is a file"):
            rightsmap.train(coalition_csv, "testimony", "rights", output=output, include_corpus=False)
    assert (taken / "README.md").read_text(encoding="utf-8") == "our notes"
    with pytest.raises(ValueError, match="weight must be a positive number"):
        rightsmap.train(coalition_csv, "testimony", "rights", weight=-1, include_corpus=False)


def test_unknown_labels_stop_training_with_the_closest_id(tmp_path):
    f = _write(tmp_path / "bad.csv", [(HOUSING[0], "UDHR-25;ICESR-11")])
    with pytest.raises(rightsmap.DataError, match="closest valid ID: ICESCR-11"):
        rightsmap.train(f, "testimony", "rights", include_corpus=False)


def test_cli_train_prints_a_cross_validated_evaluation(coalition_csv, tmp_path, capsys):
    out = tmp_path / "m"
    args = [
        "train",
        str(coalition_csv),
        "--text-column",
        "testimony",
        "--labels-column",
        "rights",
        "-o",
        str(out),
        "--no-corpus",
        "--whole-text",
        "none",
        "--neighbours",
        "0",
        "--quiet",
    ]
    assert main(args) == 0
    printed = capsys.readouterr().out
    assert "Cross-validated" in printed
    meta = json.loads((out / "model.json").read_text())
    assert meta["whole_text"] == [] and meta["scorer"]["neighbours"] == 0
    with np.load(out / "weights.npz") as npz:  # no vector of any training testimony is kept
        assert not [k for k in npz.files if k.startswith("neighbour")]
    assert "one vector per training testimony" not in (out / "README.md").read_text()


def test_cli_train_refuses_a_negative_neighbour_count(coalition_csv, tmp_path, capsys):
    args = ["train", str(coalition_csv), "--text-column", "testimony", "--labels-column", "rights"]
    assert main([*args, "-o", str(tmp_path / "m"), "--no-corpus", "--neighbours", "-1"]) == 1
    assert "neighbours must be a whole number from 0 up, not -1" in capsys.readouterr().err
    assert not (tmp_path / "m").exists()


def test_retrained_model_keeps_its_training_vectors_for_neighbour_votes(coalition_model):
    with np.load(coalition_model / "weights.npz") as npz:
        # each row's USE vector (512 numbers) along the pool's directions: 24 rows span at most 24
        assert npz["neighbour_components"].shape == (512, 24)
        assert npz["neighbour_vectors"].shape == (24, 24)
        assert npz["neighbour_weights"].tolist() == [3.0] * 24


def test_retrained_model_keeps_the_default_whole_text_embedders(coalition_model):
    names = [ref["name"] for ref in json.loads((coalition_model / "model.json").read_text())["whole_text"]]
    assert names == ["use", "minilm", "words", "tfidf"]


def test_a_fitted_tfidf_encoder_is_saved_with_the_model_and_checked_on_load(coalition_csv, tmp_path):
    out, cache = tmp_path / "m", EmbeddingCache(tmp_path / "cache")
    kwargs = {"output": out, "include_corpus": False, "cache": cache, "whole_text": ("tfidf",)}
    tagger = rightsmap.train(coalition_csv, "testimony", "rights", **kwargs)
    loaded = rightsmap.load(out)
    texts = ["The landlord shut off our heat.", "A police officer hit me at the polling place."]
    assert [e.name for e in loaded.whole_text] == ["tfidf"] and "vote" in loaded.whole_text[0].vocabulary
    assert not list((tmp_path / "cache").glob(f"{loaded.whole_text[0].fingerprint}*"))  # run, not cached
    np.testing.assert_array_equal(loaded.predict_proba(texts), tagger.predict_proba(texts))
    with np.load(out / "weights.npz") as npz:
        arrays = {k: npz[k] for k in npz.files}
    assert arrays["embedder0_components"].dtype == np.int8
    arrays["embedder0_components"] = arrays["embedder0_components"] * 2
    np.savez(out / "weights.npz", **arrays)
    with pytest.raises(rightsmap.ModelError, match=r"'tfidf'.*rebuild the model"):
        rightsmap.load(out)
    del arrays["embedder0_components"]
    np.savez(out / "weights.npz", **arrays)
    with pytest.raises(rightsmap.ModelError, match="the weights of embedder 'tfidf' are missing"):
        rightsmap.load(out)


def test_cli_evaluate_reports_languages_and_labels(capsys, tagger):
    assert main(["evaluate", "--per-label"]) == 0
    out = capsys.readouterr().out
    assert "udhr_recall_at_3" in out and "es: F1" in out and "UDHR-25" in out


def test_evaluate_on_a_file_without_dev_rows_says_how_to_score_it(tmp_path, capsys):
    # a coalition's file has no split column, so the default --split dev finds no row
    f = tmp_path / "ours.csv"
    f.write_text("text,labels\nThe landlord shut off our heat.,UDHR-25;ICESCR-11\nMy bus was late.,\n")
    assert main(["evaluate", str(f)]) == 1
    err = capsys.readouterr().err
    assert "has split 'dev' (its rows: 2 train;" in err and "--split all" in err
    assert "no fair test" in err  # figures on a model's own training rows are not to be trusted


def test_classifier_follows_sklearn_conventions():
    clf = RightsClassifier(C=2.0)
    assert clone(clf).get_params()["C"] == 2.0
    assert not hasattr(clf, "coef_")


def test_article_without_examples_is_learned_from_its_description(tmp_path):
    # no training row mentions speech; UDHR-19 still ranks high thanks to its summary and cues
    rows = [(t, "UDHR-25;ICESCR-11") for t in HOUSING] + [(t, "UDHR-5;ICCPR-7") for t in POLICE]
    f = _write(tmp_path / "no-speech.csv", rows)
    tagger = rightsmap.train(f, "testimony", "rights", include_corpus=False, cache=EmbeddingCache(tmp_path))
    r = tagger.tag(
        "The mayor had me arrested for a post criticizing him and the paper was told "
        "to take down my article.",
        top_k=5,
        min_confidence=0.0,
    )
    assert {"UDHR-19", "ICCPR-19"} & {t.article for t in r.tags}


class CountingEmbedder:
    name = "counting"
    dim = 3
    fingerprint = "counting-v1"

    def __init__(self):
        self.seen: list[str] = []

    def encode(self, texts, batch_size=64):
        self.seen += list(texts)
        return np.array([[len(t), 1.0, 0.0] for t in texts], dtype=np.float32)


def test_embedding_cache_encodes_each_text_once(tmp_path):
    emb, cache = CountingEmbedder(), EmbeddingCache(tmp_path)
    first = cache.encode(emb, ["a", "bb"])
    again = EmbeddingCache(tmp_path).encode(emb, ["bb", "ccc", "a"])
    assert emb.seen == ["a", "bb", "ccc"]
    assert np.array_equal(again[0], first[1]) and np.array_equal(again[2], first[0])
    assert [p.name for p in tmp_path.iterdir()] == ["counting-v1.npz"]


def test_embedding_cache_matches_direct_encoding(tmp_path):
    emb = get_embedder("use")
    texts = ["No heat since Monday.", "Nos cortaron el agua."]
    assert np.allclose(EmbeddingCache(tmp_path).encode(emb, texts), emb.encode(texts), atol=1e-6)


def test_embedding_cache_keeps_sentence_splits(tmp_path, monkeypatch):
    texts = [
        "No heat. Kids sick\nCall me",
        "¿Qué pasó? ¡Nos desalojaron! Sin aviso.",
        "",
        "No heat. Kids sick\nCall me",
    ]
    first = EmbeddingCache(tmp_path).sentences(texts)
    assert first == [split_sentences(t) for t in texts]
    assert [s.text for s in first[1]] == ["¿Qué pasó?", "¡Nos desalojaron!", "Sin aviso."]
    (path,) = tmp_path.glob("sentences-*.npz")
    with np.load(path, allow_pickle=False) as npz:  # plain arrays, one entry per distinct text
        assert sorted(npz.files) == ["bounds", "counts", "keys"] and len(npz["keys"]) == 3
    texts.append("Otra cosa. Y otra.")  # a new text beside known ones: only it is added
    assert EmbeddingCache(tmp_path).sentences(texts[-2:]) == [split_sentences(t) for t in texts[-2:]]
    with np.load(path, allow_pickle=False) as npz:
        assert len(npz["keys"]) == 4
    first = [split_sentences(t) for t in texts]

    def split_again(text):
        raise AssertionError(f"split again: {text!r}")

    monkeypatch.setattr("rightsmap.embed.split_sentences", split_again)
    assert EmbeddingCache(tmp_path).sentences(texts[::-1]) == first[::-1]
    with pytest.raises(AssertionError, match=r"split again: 'A new text\.'"):
        EmbeddingCache(tmp_path).sentences(["A new text."])


@pytest.mark.parametrize("damage", [b"PK\x03\x04 cut short", b""])
def test_an_unreadable_cache_file_is_rebuilt_with_a_warning(tmp_path, damage):
    emb, cache = CountingEmbedder(), EmbeddingCache(tmp_path)
    cache.encode(emb, ["a"]), cache.sentences(["No heat. Call me."])
    for path in tmp_path.iterdir():
        path.write_bytes(damage)
    with pytest.warns(UserWarning, match="unreadable"):
        assert cache.encode(emb, ["a", "bb"]).shape == (2, 3)
    with pytest.warns(UserWarning, match="unreadable"):
        assert [s.text for s in cache.sentences(["No heat. Call me."])[0]] == ["No heat.", "Call me."]
    assert emb.seen == ["a", "a", "bb"]  # computed again, then kept
    assert np.array_equal(EmbeddingCache(tmp_path).encode(emb, ["bb"]), [[2.0, 1.0, 0.0]])


def test_suggest_labels_prefers_unsure_texts_and_skips_near_duplicates(tagger):
    clear = "The police beat my brother with batons in the back of the van and broke his ribs."
    vague = "Things have been hard since the office changed the rules, and nobody explains anything."
    texts = [clear, vague, vague + " ", "", vague]
    picked = rightsmap.suggest_labels(texts, n=5, model=tagger, diversity=0.0)
    scores = dict(picked)
    assert sorted(scores) == [0, 1, 2, 4]  # every text but the empty one: nothing to learn there
    assert [s for _, s in picked] == sorted(scores.values(), reverse=True)
    diverse = [i for i, _ in rightsmap.suggest_labels(texts, n=2, model=tagger, diversity=1.0)]
    assert len({texts[i].strip() for i in diverse}) == 2  # never the same text twice
    with pytest.raises(ValueError, match="positive"):
        rightsmap.suggest_labels(texts, n=0, model=tagger)


def test_suggest_labels_cli_writes_rows_to_label(tmp_path, capsys, tagger):
    src = tmp_path / "tagged.csv"
    with src.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["row", "text"])
        for i, t in enumerate(HOUSING + POLICE):
            w.writerow([f"r{i}", t])
        w.writerow(["r-bad", "a record with", "one field too many"])
        w.writerow(["r-last", VOTING[0]])
    lines = ["row,text", *(HOUSING + POLICE), "bad", VOTING[0]]  # line k of the file is lines[k - 1]
    out = tmp_path / "to_label.csv"
    assert main(["suggest-labels", str(src), "-n", "40", "-o", str(out)]) == 0
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert len(rows) == 17  # every readable row, since n is larger
    assert set(rows[0]) >= {"row", "text", "input_line", "expected_errors", "candidates", "labels"}
    assert all(r["labels"] == "" and r["text"] == lines[int(r["input_line"]) - 1] for r in rows)
    assert {r["row"] for r in rows} == {f"r{i}" for i in range(16)} | {"r-last"}  # the user's own column
    printed = capsys.readouterr()
    assert "worth labelling first" in printed.out
    assert "line 18 skipped: 3 fields where the header has 2" in printed.err
    assert main(["suggest-labels", str(src), "-o", str(src)]) == 1
    assert main(["suggest-labels", str(src), "-o", str(tmp_path / "no" / "such.csv")]) == 1
    assert "the output folder" in capsys.readouterr().err
    assert main(["suggest-labels", str(out), "-o", str(tmp_path / "again.csv")]) == 1
    assert "already has column(s) 'input_line', 'expected_errors', 'candidates'" in capsys.readouterr().err
