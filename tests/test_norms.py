import json
import re
import shutil

import pytest

import rightsmap
from rightsmap.norms import load_norms, parse_label


def test_every_article_present_once_in_canonical_order(norms):
    assert list(norms) == [f"UDHR-{i}" for i in range(1, 31)] + [f"ICCPR-{i}" for i in range(1, 28)] + [
        f"ICESCR-{i}" for i in range(1, 16)
    ]


def test_records_are_complete(norms):
    for n in norms.values():
        assert n.summary.count(".") + n.summary.count("!") + n.summary.count("?") >= 3, n.id
        assert 5 <= len(n.cues) <= 15, n.id
        assert n.title


def test_crosswalk_is_symmetric_and_crosses_instruments(norms):
    for n in norms.values():
        for rel in n.related:
            assert n.id in norms[rel].related
            assert rel.split("-")[0] != n.instrument
    assert set(norms["UDHR-25"].related) >= {"ICESCR-11", "ICESCR-12"}


def test_covenant_articles_name_their_treaty_body(norms):
    assert "Human Rights Committee" in norms["ICCPR-7"].treaty_bodies
    assert "Committee on Economic, Social and Cultural Rights" in norms["ICESCR-11"].treaty_bodies


def _broken_copy(tmp_path, edit):
    src = rightsmap.load_norms.__globals__["data_path"]("corpora", "norms")
    dst = tmp_path / "norms"
    shutil.copytree(src, dst)
    data = json.loads((dst / "udhr.json").read_text())
    edit(data)
    (dst / "udhr.json").write_text(json.dumps(data))
    return dst


def test_missing_article_is_reported(tmp_path):
    d = _broken_copy(tmp_path, lambda data: data.pop(24))
    with pytest.raises(rightsmap.NormsError, match="missing articles: UDHR-25"):
        load_norms(d)


def test_asymmetric_crosswalk_is_reported(tmp_path):
    d = _broken_copy(tmp_path, lambda data: data[24]["related"].append("ICCPR-19"))
    with pytest.raises(rightsmap.NormsError, match="UDHR-25 lists ICCPR-19"):
        load_norms(d)


def test_empty_summary_is_reported(tmp_path):
    d = _broken_copy(tmp_path, lambda data: data[0].update(summary=" "))
    with pytest.raises(rightsmap.NormsError, match="UDHR-1: empty summary"):
        load_norms(d)


def test_duplicate_article_is_reported(tmp_path):
    d = _broken_copy(tmp_path, lambda data: data.append(dict(data[3])))
    with pytest.raises(rightsmap.NormsError, match="UDHR-4 appears more than once"):
        load_norms(d)


@pytest.mark.parametrize(
    "spelling, expected",
    [
        ("UDHR-25", "UDHR-25"),
        ("udhr 25", "UDHR-25"),
        ("Article 25 UDHR", "UDHR-25"),
        ("ICCPR art. 9", "ICCPR-9"),
        ("art 11 of the ICESCR", "ICESCR-11"),
        ("iccpr_14", "ICCPR-14"),
        ("UDHR\u201325", "UDHR-25"),  # the en dash spreadsheets put in
        ("UDHR 25(1)", "UDHR-25"),
        ("ICESCR 11.1", "ICESCR-11"),
        ("Article 25(2) of the UDHR", "UDHR-25"),
        ("UDHR-025", "UDHR-25"),
    ],
)
def test_common_label_spellings(spelling, expected):
    assert parse_label(spelling) == expected


def test_unknown_label_names_the_closest_id():
    with pytest.raises(rightsmap.UnknownLabelError, match="closest valid ID: UDHR-25"):
        parse_label("UHDR-25")


@pytest.mark.parametrize(
    "label, says",
    [
        ("UDHR-31", "the UDHR has articles 1 to 30"),
        ("ICCPR 50", "the ICCPR has articles 1 to 27"),
        ("none", "leave the cell empty for a testimony that engages no right"),
        ("N/A", "leave the cell empty"),
        ("Article 25", "say which instrument, e.g. UDHR-25"),
    ],
)
def test_unknown_labels_say_what_is_wrong(label, says):
    with pytest.raises(rightsmap.UnknownLabelError, match=re.escape(says)):
        parse_label(label)
