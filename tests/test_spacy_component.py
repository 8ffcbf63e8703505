"""The spaCy component, found through the installed entry point."""

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


def test_pipe_batches_and_config_reaches_the_tagger():
    nlp = spacy.blank("en")
    nlp.add_pipe("rightsmap", config={"top_k": 1, "suggest": False})
    docs = list(nlp.pipe(["The landlord shut off our heat in January.", "The bus was late again."]))
    assert len(docs[0]._.rights) == 1 and docs[0]._.rights_suggestions == []
    assert docs[1]._.rights == []
