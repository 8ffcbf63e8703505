"""Framing-and-claiming suggestions on our own example testimonies (examples/testimonies.csv)."""

import csv
import json
from pathlib import Path

import pytest

from rightsmap import framing
from rightsmap.errors import NormsError
from rightsmap.types import Evidence, Tag, TagResult

EXAMPLES = {
    row["id"]: row["text"]
    for row in csv.DictReader(
        (Path(__file__).parents[1] / "examples" / "testimonies.csv").open(encoding="utf-8")
    )
}


@pytest.fixture(scope="module")
def results(tagger):
    ids = ["T01", "T02", "T03", "T04", "T06"]
    return dict(zip(ids, tagger.tag([EXAMPLES[i] for i in ids]), strict=True))


def _suggestion(result, article):
    return next(s for s in result.suggestions if s.articles[0] == article)


def test_named_utility_is_claimed_from_and_the_housing_facet_is_framed(results):
    r = results["T01"]  # Pittsburgh Water and Sewer Authority shut the water off
    s = _suggestion(r, "UDHR-25")
    assert any(c.startswith("Pittsburgh Water and Sewer Authority must") for c in s.claims), s.claims
    assert "water" in s.frame.split("This engages")[1]
    assert "UDHR Article 25" in s.frame and "ICESCR Article 11" in s.frame
    quote = s.frame.split("“")[1].split("”")[0].rstrip(" …")
    assert quote in " ".join(r.text.split())  # the frame quotes the testimony's own words
    assert s.confidence == max(t.confidence for t in r.tags if t.article in s.articles)


def test_named_company_gets_the_claim_to_respect_and_government_the_others(results):
    s = _suggestion(results["T03"], "UDHR-25")  # Cascade Crest Property Management raised the rent
    respect, protect, fulfil = s.claims
    assert respect.startswith("Cascade Crest Property Management must")
    assert "Cascade Crest" not in protect and "Cascade Crest" not in fulfil
    assert s.duty_bearer == "Cascade Crest Property Management"


def test_each_right_lists_its_own_mechanisms_from_above_and_below(results, norms):
    s = _suggestion(results["T04"], "UDHR-5")  # police beating and taser
    assert s.mechanisms[0].startswith("UPR: a stakeholder submission")
    procedures = norms["UDHR-5"].special_procedures
    assert any(p in m for m in s.mechanisms for p in procedures)
    assert any("Human Rights Committee" in m for m in s.mechanisms)  # ICCPR-7's treaty body
    guide = framing.load_guide()
    assert any(m in s.mechanisms for m in guide.local)  # from below too


def test_one_suggestion_per_udhr_right_with_its_covenant_tags(results):
    for r in results.values():
        udhr = [t.article for t in r.tags if t.instrument == "UDHR"]
        assert [s.articles[0] for s in sorted(r.suggestions, key=lambda s: s.articles[0])] == sorted(udhr)
        grouped = [a for s in r.suggestions for a in s.articles]
        assert sorted(grouped) == sorted(t.article for t in r.tags)


def test_spanish_testimony_is_not_framed_with_bogus_entities(results):
    r = results["T06"]  # Spanish: the English entity model sees "un" and "el juez" as organisations
    for s in r.suggestions:
        for claim in s.claims:
            assert not claim.lower().startswith(("un ", "el ", "la "))


def test_evidence_offsets_slice_back_to_the_evidence_sentence(results):
    for r in results.values():
        for t in r.tags:
            for e in t.evidence:
                assert r.text[e.start : e.end] == e.text


def test_no_tags_no_suggestions(tagger):
    assert tagger.tag("The bus was late and my coffee was cold.").suggestions == []
    assert tagger.tag(EXAMPLES["T01"], suggest=False).suggestions == []


def test_named_place_and_actor_words_choose_the_duty_bearer():
    text = "In Detroit the police beat my brother during a traffic stop."
    tags = [Tag("UDHR-5", "UDHR", "Torture", 0.8, [Evidence(text, 0, len(text), 0.5)], ["ICCPR-7"])]
    (s,) = framing.suggest(TagResult(text, tags))
    assert s.claims[0].startswith("The police department must")  # an actor word, public
    assert s.duty_bearer == "the police department"
    assert "Detroit" in s.claims[2]  # fulfil: the city named in the text
    assert s.frame.startswith("A resident of Detroit reports: “In Detroit the police")


def test_asylum_testimony_gets_the_asylum_facet_and_no_care_home():
    text = "Pedí asilo en la frontera y en el puerto de entrada me regresaron a Honduras."
    tags = [Tag("UDHR-14", "UDHR", "Asylum", 0.8, [Evidence(text, 0, len(text), 0.5)], [])]
    (s,) = framing.suggest(TagResult(text, tags))
    assert "This engages the right to ask for asylum and not be sent back to danger" in s.frame
    # "asilo" alone is asylum, not a care home ("asilo de ancianos"); the port of entry is CBP's
    assert s.duty_bearer == "U.S. Customs and Border Protection (CBP)"


def test_only_a_government_is_asked_to_grant_asylum_even_when_a_gang_is_named():
    text = "The gang killed my brother, so I asked for asylum at the border and they sent me back."
    tags = [Tag("UDHR-14", "UDHR", "Asylum", 0.8, [Evidence(text, 0, len(text), 0.5)], [])]
    (s,) = framing.suggest(TagResult(text, tags))
    assert s.duty_bearer == "" and s.claims[0].startswith("The national government must"), s.claims
    tags = [Tag("UDHR-3", "UDHR", "Life", 0.8, [Evidence(text, 0, len(text), 0.5)], [])]
    (s,) = framing.suggest(TagResult(text, tags))
    assert s.duty_bearer == "the gang"  # a gang can be asked to respect life


def test_officers_at_a_port_of_entry_are_border_protection_not_police():
    text = "We asked for asylum at the port of entry and the officers turned us back to Juárez."
    tags = [Tag("UDHR-14", "UDHR", "Asylum", 0.8, [Evidence(text, 0, len(text), 0.5)], [])]
    (s,) = framing.suggest(TagResult(text, tags))
    assert s.duty_bearer == "U.S. Customs and Border Protection (CBP)"


def test_a_relatives_name_is_not_taken_for_a_city():
    text = "My daughter Aaliyah is eight and the school keeps sending her home because she is autistic."
    tags = [Tag("UDHR-26", "UDHR", "Education", 0.8, [Evidence(text, 0, len(text), 0.5)], ["ICESCR-13"])]
    ents = [(12, 19, "GPE")]  # what the small English model makes of "Aaliyah"
    (s,) = framing.suggest(TagResult(text, tags), ents=ents)
    assert not any("Aaliyah" in c for c in s.claims), s.claims
    assert s.frame.startswith("A resident reports")


def test_framing_corpus_errors_name_the_problem(tmp_path):
    src = Path(__file__).parents[1] / "corpora" / "norms"
    data = json.loads((src / "framing.json").read_text(encoding="utf-8"))
    del data["rights"]["UDHR-7"]
    data["rights"]["UDHR-25"]["respect"] = "The city must {bearer} act"
    (tmp_path / "framing.json").write_text(json.dumps(data), encoding="utf-8")
    (tmp_path / "places.json").write_text((src / "places.json").read_text(encoding="utf-8"), encoding="utf-8")
    with pytest.raises(NormsError) as err:
        framing.load_guide(tmp_path)
    assert "UDHR-7 is missing" in str(err.value) and "UDHR-25: 'respect'" in str(err.value)
