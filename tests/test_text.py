import itertools

import pytest

from rightsmap import text as text_module
from rightsmap.text import clean, guess_language, split_sentences, splitter_fingerprint


def test_offsets_slice_back_to_each_sentence():
    text = "  My landlord cut the heat.\n\nDr. Lee said the kids have asthma!  ¿Y la ciudad? Nada."
    sents = split_sentences(text)
    assert [s.text for s in sents] == [
        "My landlord cut the heat.",
        "Dr. Lee said the kids have asthma!",
        "¿Y la ciudad?",
        "Nada.",
    ]
    assert all(text[s.start : s.end] == s.text for s in sents)


def test_line_breaks_end_sentences():
    assert [s.text for s in split_sentences("no heat\nno water\n\n3 kids")] == [
        "no heat",
        "no water",
        "3 kids",
    ]


def test_unpunctuated_run_on_text_is_cut_into_bounded_pieces():
    text = "and then they came back " * 200
    sents = split_sentences(text)
    assert len(sents) > 1
    assert max(len(s.text) for s in sents) <= 600
    assert all(text[s.start : s.end] == s.text for s in sents)


def test_clean_keeps_length_so_offsets_hold():
    assert clean("a\x00b\x0cc") == "a b c"


def test_whitespace_only_text_has_no_sentence():
    assert split_sentences(" \n\t ") == []


PARAGRAPH = (
    "My name is Denise Carter and I live at 2217 Bryant Street, Apt 4 in San Francisco. On March 3 "
    "Officer Kevin Walsh of the San Francisco Police Department stopped my son Jamal outside the "
    "Tenderloin clinic. Call me at (415) 555-0182 or write to denise.carter+sf@example.org. His booking "
    "number is SF-2291847 and my SSN is 123-45-6789. The San Francisco Housing Authority never answered."
)


def test_redact_removes_every_planted_name_and_number_and_keeps_places_and_agencies():
    from rightsmap import redact

    out = redact(PARAGRAPH)
    for secret in ("Denise", "Carter", "2217 Bryant", "Kevin", "Walsh", "Jamal", "555-0182", "denise.carter",
                   "SF-2291847", "123-45-6789"):  # fmt: skip
        assert secret not in out, secret
    for kept in (
        "San Francisco Police Department",
        "San Francisco Housing Authority",
        "San Francisco",
        "Tenderloin",
    ):
        assert kept in out, kept
    assert (
        "[PERSON]" in out and "[PHONE]" in out and "[EMAIL]" in out and "[ADDRESS]" in out and "[ID]" in out
    )


def test_pii_spans_point_into_the_text():
    from rightsmap.text import pii_spans

    spans = pii_spans(PARAGRAPH)
    assert ("(415) 555-0182", "PHONE") in [(PARAGRAPH[a:b], label) for a, b, label in spans]
    assert all(0 <= a < b <= len(PARAGRAPH) for a, b, _ in spans)
    assert spans == sorted(spans) and all(s[1] <= t[0] for s, t in itertools.pairwise(spans))


def test_redact_finds_listed_names_french_phones_cued_ids_and_other_mentions():
    from rightsmap import redact

    text = (
        "Mis hijos Iker, Dulce y Santiago duermen con abrigo. Mon téléphone : 06 39 98 12 34. "
        "Mon numéro de dossier est 93-2024-01877 et j'habite au 12 rue des Lilas, à Saint-Denis. "
        "The nurse, Kristen, said Kristen could not help. The Jackson Housing Authority never came."
    )
    out = redact(text)
    for secret in ("Iker", "Dulce", "Santiago", "06 39 98", "93-2024-01877", "rue des Lilas", "Kristen"):
        assert secret not in out, (secret, out)
    assert "Saint-Denis" in out and "Jackson Housing Authority" in out
    assert redact("I paid 1450 in rent in 2024 for unit 3.") == "I paid 1450 in rent in 2024 for unit 3."


def test_batched_entities_equal_one_text_at_a_time():
    from rightsmap.text import entities, entities_many

    texts = [
        "Officer Daniel Reyes of the Denver Police Department stopped me on Colfax Avenue.",
        "",
        "Pittsburgh Water and Sewer Authority shut our water off in Homewood last Tuesday.",
        "La policía de Houston me detuvo.",
    ]
    batched = entities_many(texts, batch_size=2)
    assert batched == [entities(t) for t in texts]
    labels = {label for a, b, label in batched[2]}
    assert "ORG" in labels and batched[1] == []


def test_no_texts_need_no_entity_recogniser():
    from rightsmap import text

    text._ner.cache_clear()
    assert text.entities_many([]) == []
    assert text._ner.cache_info().currsize == 0  # tag-csv (no suggestions) never loads spaCy's NER


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("The police hit my brother and nobody did anything.", "en"),
        ("La policía golpeó a mi hermano en la calle. Nadie investigó nada.", "es"),
        ("Vivimos en una casa muy fría desde enero.", "es"),
        ("La police a frappé mon frère dans la rue. Personne ne fait rien.", "fr"),
        ("Une voisine vit avec ses enfants sans chauffage.", "fr"),
        ("No heat since Monday", "und"),
    ],
)
def test_guess_language_on_short_testimonies(text, lang):
    assert guess_language(text) == lang


def test_splitter_fingerprint_changes_with_the_rules(monkeypatch):
    before = splitter_fingerprint()
    assert before == splitter_fingerprint() and len(before) == 12
    monkeypatch.setattr(text_module, "_MAX_SENTENCE", 400)
    assert splitter_fingerprint() != before
