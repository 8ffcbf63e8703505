"""The spaCy component, found through the installed entry point."""

import numpy as np
import spacy


def test_add_pipe_sets_rights_and_suggestions_on_the_doc(tagger):
    nlp = spacy.blank("en")
    nlp.add_pipe("rightsmap")  # resolved through the spacy_factories entry point
    text = "Our landlord shut off the heat in January and the kids got sick."
    doc = nlp(text)
    expected = tagger.tag(text)
    assert [t.article for t in doc._.rights] == [t.article for t in expected.tags]
    assert doc._.rights and doc._.rights[0].article == "UDHR-25"
    assert [s.articles for s in doc._.rights_suggestions] == [s.articles for s in expected.suggestions]
    assert doc._.rights_withheld == []


def test_articles_withheld_from_an_untagged_text_reach_the_doc(tagger, monkeypatch):
    # as if the "no right engaged" head doubted every text; the probabilities are the model's
    monkeypatch.setattr(tagger.scorer, "engaged", lambda X: np.zeros(len(X), dtype=bool))
    nlp = spacy.blank("en")
    nlp.add_pipe("rightsmap")
    doc = nlp("Police took my phone at the protest.")
    assert doc._.rights == [] and "UDHR-12" in [t.article for t in doc._.rights_withheld]


def test_pipe_batches_and_config_reaches_the_tagger():
    nlp = spacy.blank("en")
    nlp.add_pipe("rightsmap", config={"top_k": 1, "suggest": False})
    docs = list(nlp.pipe(["The landlord shut off our heat in January.", "The bus was late again."]))
    assert len(docs[0]._.rights) == 1 and docs[0]._.rights_suggestions == []
    assert docs[1]._.rights == []
