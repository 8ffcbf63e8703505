import subprocess
import sys

import numpy as np
import pytest

from rightsmap.embed import ConcatEmbedder, Encoded, get_embedder
from rightsmap.errors import ModelError

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
