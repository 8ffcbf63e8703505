import csv
import io
import json
from pathlib import Path

import numpy as np
import openpyxl
import pytest

from rightsmap import upr
from rightsmap.cli import main
from rightsmap.errors import DataError, ModelError
from rightsmap.norms import LABELS

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"

RECORDS = [
    {
        "id": "X-1",
        "text": "Ensure accountability for killings by police officers and end excessive use of force",
        "recommending_states": ["Norway"],
        "state_under_review": "United States of America",
        "cycle": 3,
        "session": 36,
        "response": "Supported",
        "themes": ["Right to life"],
    },
    {
        "id": "X-2",
        "text": "Take measures to reduce homelessness and guarantee access to adequate housing",
        "recommending_states": ["Ethiopia"],
        "state_under_review": "United States of America",
        "cycle": 3,
        "session": 36,
        "response": "Noted",
        "themes": ["Right to adequate housing"],
    },
    {
        "id": "X-3",
        "text": "Abolish the death penalty",
        "recommending_states": ["France"],
        "state_under_review": "Canada",
        "cycle": 2,
        "session": 16,
        "response": "Supported",
        "themes": ["Death penalty"],
    },
]


def write_jsonl(path, records):
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


@pytest.fixture
def index(tmp_path, tagger):
    src = write_jsonl(tmp_path / "recs.jsonl", RECORDS)
    upr.import_recommendations(src, tmp_path / "index", progress=False)
    return tmp_path / "index"


def test_canonical_jsonl_is_read_and_themes_map_to_articles(tmp_path):
    src = tmp_path / "recs.jsonl"
    src.write_text(
        json.dumps(RECORDS[0])
        + "\n{broken\n"
        + json.dumps({"id": "X-9"})
        + "\n"
        + json.dumps(RECORDS[0])
        + "\n",
        encoding="utf-8",
    )
    report = upr.read_recommendations(src)
    assert report.format == "jsonl" and len(report.records) == 1 and report.duplicates == 1
    assert report.problems == [
        "line 2: not valid JSON (Expecting property name enclosed in double quotes)",
        "line 3: no text",
    ]
    rec = report.records[0]
    assert set(upr.FIELDS) <= set(rec) and rec["cycle"] == 3
    assert rec["articles"] == upr.theme_articles(["Right to life"]) and rec["articles"]


UHRI_HEADER = [
    "Text",
    "Countries Concerned",
    "Reccomending Body",
    "Document Symbol",
    "Themes",
    "UPR Session",
    "UPR Reccomending States",
    "UPR Position",
    "OHCHR Annotation Id",
]
UHRI_ROWS = [
    [
        "26.217 Strengthen legislation to end racial injustice (India);",
        "- United States of America",
        "- UPR",
        "A/HRC/46/15",
        "- Racial discrimination\n- Right to life",
        "- 36th Session",
        "- India",
        "- Supported",
        "b4288060-0001",
    ],
    ["Concern about prisons", "- Iraq", "- CAT", "CAT/C/IRQ/CO/1", "- Torture", "", "", "", "b4288060-0002"],
    ["", "- Iraq", "- UPR", "A/HRC/1/1", "", "- 1st Session", "- Chile", "- Noted", "b4288060-0003"],
]


def check_uhri(report):
    assert report.format == "uhri" and report.skipped == 1 and len(report.problems) == 1
    rec = report.records[0]
    assert rec["id"] == "b4288060-0001" and rec["paragraph"] == "26.217"
    assert rec["text"] == "Strengthen legislation to end racial injustice"
    assert rec["recommending_states"] == ["India"] and rec["state_under_review"] == "United States of America"
    assert (rec["session"], rec["cycle"], rec["response"]) == (36, 3, "Supported")
    assert rec["themes"] == ["Racial discrimination", "Right to life"] and "UDHR-2" in rec["articles"]


def test_uhri_export_as_xlsx_csv_and_json(tmp_path):
    book = openpyxl.Workbook()
    book.active.append(UHRI_HEADER)
    for row in UHRI_ROWS:
        book.active.append(row)
    book.save(tmp_path / "export.xlsx")
    check_uhri(upr.read_recommendations(tmp_path / "export.xlsx"))
    with (tmp_path / "export.csv").open("w", newline="", encoding="utf-8-sig") as f:
        csv.writer(f).writerows([UHRI_HEADER, *UHRI_ROWS])
    check_uhri(upr.read_recommendations(tmp_path / "export.csv"))
    as_json = [
        {
            "AnnotationId": r[8],
            "Symbol": r[3],
            "Body": r[2],
            "Countries": r[1].split("\n"),
            "Themes": r[4].split("\n"),
            "Text": r[0],
            "UprSession": r[5],
            "UprRecommendingStates": [r[6]],
            "UprPosition": r[7],
        }
        for r in UHRI_ROWS
    ]
    (tmp_path / "export.json").write_text(json.dumps(as_json), encoding="utf-8")
    check_uhri(upr.read_recommendations(tmp_path / "export.json"))


def test_upr_info_csv_mac_roman_with_joint_recommendations_merged(tmp_path):
    rows = [
        [
            "To",
            "To-Rgrp",
            "To-Org",
            "Text",
            "From",
            "From-Rgrp",
            "From-Org",
            "Response",
            "Action",
            "Issue",
            "Session",
        ],
        [
            "United States",
            "WEOG",
            "",
            "Ensure the right to housing for all  ",
            "Cuba",
            "GRULAC",
            "",
            "Accepted",
            "4",
            "Right to housing,Poverty",
            "9",
        ],
        [
            "United States",
            "WEOG",
            "",
            "Ensure the right to housing for all",
            "Iran",
            "Asia",
            "OIC",
            "Accepted",
            "4",
            "Right to housing",
            "9",
        ],
        [
            "Côte d'Ivoire",
            "Africa",
            "AU",
            "Abolish the death penalty",
            "France",
            "WEOG",
            "EU",
            "Noted",
            "5",
            "Death penalty",
            "19",
        ],
        ["bad", "row"],
    ]
    out = io.StringIO()
    csv.writer(out, lineterminator="\r").writerows(rows)
    (tmp_path / "1-5.csv").write_bytes(out.getvalue().encode("mac_roman"))
    report = upr.read_recommendations(tmp_path / "1-5.csv")
    assert report.format == "uprinfo" and report.duplicates == 1 and len(report.records) == 2
    housing, death = report.records
    assert housing["recommending_states"] == ["Cuba", "Iran"] and housing["response"] == "Supported"
    assert housing["cycle"] == 1 and "UDHR-25" in housing["articles"]
    assert death["state_under_review"] == "Côte d'Ivoire" and death["cycle"] == 2
    assert report.problems == ["line 5: fewer fields than the header has"]


def test_unknown_format_and_missing_file_are_explained(tmp_path):
    (tmp_path / "x.csv").write_text("a,b\n1,2\n", encoding="utf-8")
    with pytest.raises(DataError, match="cannot tell the format"):
        upr.read_recommendations(tmp_path / "x.csv")
    with pytest.raises(DataError, match="does not exist"):
        upr.read_recommendations(tmp_path / "nope.jsonl")


def test_an_index_from_another_embedder_is_reencoded_whole(tmp_path, index, tagger):
    done = upr.import_recommendations(
        write_jsonl(tmp_path / "one.jsonl", [RECORDS[0]]), index, embedder=tagger.embedder, progress=False
    )
    assert (done.added, done.encoded, done.total) == (0, 3, 3)
    loaded = upr.RecommendationIndex.load(index)
    assert loaded.embedder.name == tagger.embedder.name and loaded.vectors.shape[1] == tagger.embedder.dim


def test_import_merges_by_id_and_reencodes_only_changed_text(tmp_path, index, tagger):
    loaded = upr.RecommendationIndex.load(index)
    assert len(loaded) == 3 and loaded.vectors.shape == (3, loaded.embedder.dim)
    changed = [dict(RECORDS[0], text="Investigate every killing by police"), dict(RECORDS[1], id="X-4")]
    done = upr.import_recommendations(write_jsonl(tmp_path / "more.jsonl", changed), index, progress=False)
    assert (done.added, done.updated, done.encoded, done.total) == (1, 1, 2, 4)
    again = upr.RecommendationIndex.load(index)
    assert [r["id"] for r in again.records] == ["X-1", "X-2", "X-3", "X-4"]
    assert np.allclose(
        again.vectors[0], loaded.embedder.encode(["Investigate every killing by police"])[0], atol=1e-5
    )
    assert np.allclose(again.vectors[2], loaded.vectors[2])
    assert len([p for p in index.iterdir() if p.name.startswith("v-")]) == 1  # the old version is gone


def test_a_failed_import_leaves_the_index_untouched(tmp_path, index, tagger, monkeypatch):
    before = (index / "CURRENT").read_text()

    class Broken:
        name, dim, fingerprint = tagger.embedder.name, tagger.embedder.dim, tagger.embedder.fingerprint

        def encode(self, texts, batch_size=64):
            raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        upr.import_recommendations(
            write_jsonl(tmp_path / "n.jsonl", [dict(RECORDS[0], id="X-7")]),
            index,
            embedder=Broken(),
            progress=False,
        )
    monkeypatch.setattr(upr.np, "save", lambda *a, **k: (_ for _ in ()).throw(OSError("disk full")))
    with pytest.raises(OSError):
        upr.import_recommendations(
            write_jsonl(tmp_path / "m.jsonl", [dict(RECORDS[0], id="X-8")]),
            index,
            progress=False,
        )
    assert (index / "CURRENT").read_text() == before
    assert [r["id"] for r in upr.RecommendationIndex.load(index).records] == ["X-1", "X-2", "X-3"]
    assert not [p for p in index.iterdir() if p.name.endswith(".tmp")]


def test_a_damaged_index_is_named_not_a_traceback(index):
    version = index / (index / "CURRENT").read_text().strip()
    (version / "columns.npz").unlink()
    with pytest.raises(DataError, match=r"damaged \(columns.npz missing"):
        upr.RecommendationIndex.load(index)


def test_an_index_from_other_embedder_weights_says_to_import_again(index):
    version = index / (index / "CURRENT").read_text().strip()
    manifest = json.loads((version / "manifest.json").read_text())
    manifest["embedder"]["fingerprint"] = "0" * 16
    (version / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(ModelError, match=r"UPR index was built with embedder .*import your file again"):
        upr.RecommendationIndex.load(index).encode(["police"])


def test_search_ranks_and_filters(index, tagger):
    found = upr.search(
        "Police shot my unarmed son and nobody was held accountable", k=2, index=index, model=tagger
    )
    assert found[0].id == "X-1" and found[0].score >= found[1].score
    assert upr.search("we sleep in our car since the eviction", k=1, index=index, model=tagger)[0].id == "X-2"
    only = upr.search("police", k=5, state="USA", response="accepted", cycle=3, index=index, model=tagger)
    assert [r.id for r in only] == ["X-1"]
    with pytest.raises(ValueError, match="positive"):
        upr.search("police", k=0, index=index, model=tagger)
    with pytest.raises(DataError, match="Did you mean 'Canada'"):
        upr.search("police", state="Canadaa", index=index, model=tagger)


def test_queries_are_compared_in_the_parts_that_understand_their_language(index):
    idx = upr.RecommendationIndex.load(index)
    minilm = idx.embedder.parts[0].dim  # minilm (English) + use (multilingual)
    english, spanish, unsure = idx.encode(
        [
            "The police shot my son and nobody was charged.",
            "La policía mató a mi hijo y nadie fue acusado.",
            "ICE",
        ]
    )
    assert np.abs(english[minilm:]).max() == 0 and np.abs(english[:minilm]).max() > 0
    assert np.abs(spanish[:minilm]).max() == 0 and np.abs(spanish[minilm:]).max() > 0
    assert np.abs(unsure[:minilm]).max() > 0 and np.abs(unsure[minilm:]).max() > 0
    found = idx.search(np.vstack([english, spanish]), None, 1)
    assert [r[0].id for r in found] == ["X-1", "X-1"]
    assert 0 < found[0][0].score <= 1  # a cosine: the mean over the parts used


def test_combined_score_adds_the_agreement_of_tags_and_articles_by_hand():
    recs = [dict(RECORDS[0], articles=["UDHR-3", "ICCPR-6"]), dict(RECORDS[1], articles=["UDHR-25"])]
    vectors = np.array([[1.0, 0.0], [0.6, 0.8]], dtype=np.float32)
    idx = upr.RecommendationIndex(recs, vectors, {"embedder": {}})
    query = np.array([[0.6, 0.8]], dtype=np.float32)
    proba = np.zeros((1, len(LABELS)))
    proba[0, LABELS.index("UDHR-3")], proba[0, LABELS.index("ICCPR-6")] = 0.2, 0.9
    proba[0, LABELS.index("UDHR-25")] = 0.1
    assert idx.scores(query)[0].tolist() == pytest.approx([0.6, 1.0])
    assert idx.scores(query, proba)[0].tolist() == pytest.approx([0.6 + 0.25 * 0.9, 1.0 + 0.25 * 0.1])


def test_tag_attaches_recommendations_only_with_an_index(index, tagger):
    text = "The police shot my unarmed cousin and the officer was never charged."
    assert tagger.tag(text).recommendations == []  # none installed in the tests
    with pytest.raises(DataError, match="needs a UPR index"):
        tagger.tag(text, recommendations=3)
    mine = tagger.use_index(index)
    assert tagger.tag(text).recommendations == []  # the shared tagger itself is unchanged
    result = mine.tag(text, recommendations=2, upr_filter={"state": "United States of America"})
    assert [r.id for r in result.recommendations[:1]] == ["X-1"] and len(result.recommendations) == 2
    assert mine.tag("The bus was late and I missed my show.").recommendations == []  # no tag, no claim


def test_tag_can_rank_recommendations_with_tag_agreement(index, tagger):
    mine = tagger.use_index(index)
    text = "The police shot my unarmed cousin and the officer was never charged."
    plain = {r.id: r.score for r in mine.tag(text, recommendations=3).recommendations}
    combined = mine.tag(text, recommendations=3, upr_ranking="combined").recommendations
    proba = dict(zip(LABELS, tagger.predict_proba([text])[0], strict=True))
    for rec in combined:  # the cosine + 0.25 x the strongest probability among its articles
        agreement = max((proba[a] for a in rec.articles), default=0.0)
        assert rec.score == pytest.approx(plain[rec.id] + upr.AGREEMENT_WEIGHT * agreement, abs=1e-4)
    assert any(r.articles for r in combined)
    with pytest.raises(ValueError, match="upr_ranking must be"):
        mine.tag(text, upr_ranking="bm25")


def test_cli_import_and_search(tmp_path, capsys, tagger):
    src = write_jsonl(tmp_path / "recs.jsonl", RECORDS)
    assert main(["upr", "import", str(src), "--index", str(tmp_path / "idx"), "--quiet"]) == 0
    assert "3 new" in capsys.readouterr().out
    assert main(["upr", "search", "homeless families", "-k", "1", "--index", str(tmp_path / "idx")]) == 0
    assert "X-2" in capsys.readouterr().out
    assert main(["upr", "search", "x", "--index", str(tmp_path / "nothing")]) == 1
    assert "no UPR index" in capsys.readouterr().err
    text = "The police shot my unarmed cousin and the officer was never charged."
    scores = []
    for extra in ([], ["--with-tags"]):
        args = ["tag", "--json", "--no-suggestions", "--index", str(tmp_path / "idx"), *extra, text]
        assert main(args) == 0
        found = json.loads(capsys.readouterr().out)[0]["recommendations"]
        scores.append({r["id"]: r["score"] for r in found})
    assert scores[1]["X-1"] > scores[0]["X-1"] + 0.05  # its articles (life) agree with the tags


@pytest.mark.skipif(not (SHARED / "upr-usa-cycle3").is_dir(), reason="needs ../shared/data")
def test_real_us_cycle3_recommendations(tmp_path, tagger):
    done = upr.import_recommendations(
        SHARED / "upr-usa-cycle3" / "recommendations.jsonl",
        tmp_path / "i",
        progress=False,
    )
    assert done.total == 347
    found = upr.search(
        "ICE separated my children from me at the border", k=5, index=tmp_path / "i", model=tagger
    )
    assert any(
        "migra" in r.text.lower() or "asylum" in r.text.lower() or "famil" in r.text.lower() for r in found
    )


def test_tagging_with_an_index_encodes_each_text_once_per_embedder(index, tagger, monkeypatch):
    mine = tagger.use_index(index)
    texts = ["The police shot my unarmed cousin. The officer was never charged.",
             "La policía golpeó a mi hermano en la calle. Nadie investigó nada."]  # fmt: skip
    expected = [[r.id for r in rs] for rs in mine.recommend(texts, upr.RecommendationIndex.load(index), 3)]
    seen: dict[str, list[str]] = {}
    for emb in mine.whole_text:
        real = emb.encode

        def counting(batch, batch_size=64, real=real, name=emb.name):
            seen.setdefault(name, []).extend(batch)
            return real(batch, batch_size)

        monkeypatch.setattr(emb, "encode", counting)
    results = mine.tag(texts, recommendations=3)
    assert all(r.tags for r in results)
    assert [[r.id for r in res.recommendations] for res in results] == expected
    # each text is read whole once, for the tags; the search reuses those vectors (MiniLM for the
    # English text, USE for the Spanish one)
    assert seen["minilm"] == texts[:1] and seen["use"].count(texts[1]) == 1
