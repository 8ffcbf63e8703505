import csv
import hashlib
import json

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from rightsmap.batch import ADDED_COLUMNS, read_table, safe_cell, tag_csv, tag_frame
from rightsmap.cli import main
from rightsmap.errors import DataError
from rightsmap.tagger import Tagger

TEXTS = [
    "The landlord shut off the heat in January and the pipes froze.",
    "Police beat my brother with batons while he was handcuffed.",
    "They purged me from the voter rolls and I could not vote in November.",
    "The bus was late again this morning and I missed my favourite show.",
    "My boss has not paid us for three weeks of work at the warehouse.",
    "La policía golpeó a mi hermano en la patrulla y nadie hizo nada.",
    "The school expelled my son without a hearing and will not say why.",
    "On nous a coupé l'eau en plein hiver pour une facture contestée.",
]


def write_csv(path, rows, header=("id", "text"), encoding="utf-8"):
    with path.open("w", newline="", encoding=encoding) as f:
        w = csv.writer(f)
        w.writerow(header)
        w.writerows(rows)
    return path


def read_csv(path):
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def digest(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def testimonies(tmp_path):
    return write_csv(tmp_path / "in.csv", [(f"r{i}", t) for i, t in enumerate(TEXTS)])


def test_csv_round_trip_keeps_every_column_and_row(tmp_path, testimonies, tagger):
    before = digest(testimonies)
    summary = tag_csv(testimonies, tmp_path / "out.csv", model=tagger, progress=False)
    rows = read_csv(tmp_path / "out.csv")
    assert [r["id"] for r in rows] == [f"r{i}" for i in range(len(TEXTS))]
    assert [r["text"] for r in rows] == TEXTS
    assert list(rows[0]) == ["id", "text", *ADDED_COLUMNS]
    assert rows[0]["top_article"] in {"UDHR-25", "ICESCR-11"}
    assert "UDHR-5" in rows[1]["rights"].split(";")
    assert rows[3]["rights"] == "" and rows[3]["rights_json"] == "[]"  # no right engaged
    tags = json.loads(rows[1]["rights_json"])
    assert tags[0]["evidence"][0]["text"] in TEXTS[1]
    assert summary.rows == len(TEXTS) and summary.errors == 0 and summary.counts["UDHR-5"] >= 1
    assert digest(testimonies) == before  # the input is never modified
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.csv", "out.csv"]  # no leftovers


@pytest.mark.parametrize("suffix", [".tsv", ".jsonl", ".parquet"])
def test_other_formats_in_and_out(tmp_path, tagger, suffix):
    df = pd.DataFrame({"id": [f"r{i}" for i in range(len(TEXTS))], "text": TEXTS})
    src = tmp_path / f"in{suffix}"
    if suffix == ".tsv":
        df.to_csv(src, sep="\t", index=False)
    elif suffix == ".jsonl":
        df.to_json(src, orient="records", lines=True, force_ascii=False)
    else:
        df.to_parquet(src)
    out = tmp_path / f"out{suffix}"
    tag_csv(src, out, model=tagger, progress=False)
    if suffix == ".tsv":
        got = pd.read_csv(out, sep="\t", keep_default_na=False)
    elif suffix == ".jsonl":
        got = pd.read_json(out, lines=True)
    else:
        got = pq.read_table(out).to_pandas()
    assert got["text"].tolist() == TEXTS
    assert list(got.columns) == ["id", "text", *ADDED_COLUMNS]
    assert "UDHR-5" in got["rights"][1]


def test_notes_name_the_articles_withheld_from_a_text_left_untagged(tagger, monkeypatch):
    # as if the "no right engaged" head doubted every text; the probabilities are the model's
    monkeypatch.setattr(tagger.scorer, "engaged", lambda X: np.zeros(len(X), dtype=bool))
    out = tag_frame(pd.DataFrame({"text": [TEXTS[1], TEXTS[3]]}), "text", tagger)
    assert out["rights"].tolist() == ["", ""]
    assert "doubts that this text engages any right, though it scores" in out["notes"][0]
    assert "UDHR-5 0.9" in out["notes"][0]
    assert out["notes"][1] == ""  # nothing scores 0.5 in an everyday complaint


def test_tag_frame_returns_a_dataframe_with_tags(tagger):
    df = pd.DataFrame({"text": [TEXTS[0], None, float("nan"), TEXTS[1]], "n": [1, 2, 3, 4]})
    out = tag_frame(df, "text", tagger)
    assert list(out.columns) == ["text", "n", *ADDED_COLUMNS]
    assert out["top_article"][0] in {"UDHR-25", "ICESCR-11"}
    assert out["rights"][1] == "" and "empty text" in out["notes"][2]
    assert "text" in df.columns and "rights" not in df.columns  # the input frame is untouched


class CountingTagger(Tagger):
    """The real model, counting the texts it is asked to tag; fails after ``fail_after`` calls."""

    def __init__(self, real, fail_after=None):
        super().__init__(real.embedder, real.scorer, real.meta, real.norms, real.whole_text)
        self.texts, self.calls, self.fail_after = 0, 0, fail_after

    def tag(self, texts, top_k=None, min_confidence=None, suggest=True):
        self.calls += 1
        if self.fail_after is not None and self.calls > self.fail_after:
            raise KeyboardInterrupt  # as if the process were stopped here
        self.texts += len(texts)
        return super().tag(texts, top_k, min_confidence, suggest=suggest)


def test_identical_texts_are_tagged_once(tmp_path, tagger):
    src = write_csv(tmp_path / "in.csv", [(str(i), TEXTS[i % 2]) for i in range(40)])
    counting = CountingTagger(tagger)
    tag_csv(src, tmp_path / "out.csv", model=counting, progress=False, chunk_size=7)
    assert counting.texts == 2
    rows = read_csv(tmp_path / "out.csv")
    assert len(rows) == 40 and rows[0]["rights"] == rows[38]["rights"]


def test_resume_after_an_interruption_equals_an_uninterrupted_run(tmp_path, tagger):
    rows = [(f"r{i}", f"{TEXTS[i % len(TEXTS)]} (testimony {i})") for i in range(30)]
    src = write_csv(tmp_path / "in.csv", rows)
    tag_csv(src, tmp_path / "whole.csv", model=tagger, progress=False, chunk_size=4)

    out = tmp_path / "out.csv"
    with pytest.raises(KeyboardInterrupt):
        tag_csv(src, out, model=CountingTagger(tagger, fail_after=5), progress=False, chunk_size=4)
    assert not out.exists()
    state = json.loads((tmp_path / "out.csv.partial.json").read_text())
    assert state["rows_done"] == 20
    # a chunk written after the last checkpoint, as if killed mid-write, is discarded on resume
    with (tmp_path / "out.csv.partial").open("a", encoding="utf-8") as f:
        f.write("r20,half a row")
    with pytest.raises(DataError, match="--resume"):
        tag_csv(src, out, model=tagger, progress=False, chunk_size=4)
    counting = CountingTagger(tagger)
    summary = tag_csv(src, out, model=counting, progress=False, chunk_size=4, resume=True)
    assert summary.resumed_from == 20 and summary.rows == 30 and counting.texts == 10
    assert out.read_bytes() == (tmp_path / "whole.csv").read_bytes()
    assert not (tmp_path / "out.csv.partial").exists() and not (tmp_path / "out.csv.partial.json").exists()


def test_resume_refuses_a_changed_input(tmp_path, testimonies, tagger):
    out = tmp_path / "out.csv"
    with pytest.raises(KeyboardInterrupt):
        tag_csv(testimonies, out, model=CountingTagger(tagger, fail_after=1), progress=False, chunk_size=2)
    write_csv(testimonies, [("x", "a different file")])
    with pytest.raises(DataError, match="input_size"):
        tag_csv(testimonies, out, model=tagger, progress=False, resume=True)


def test_malformed_rows_go_to_the_errors_file_with_line_numbers(tmp_path, tagger):
    src = tmp_path / "in.csv"
    src.write_text(
        'id,text\nr1,"The police beat me."\nr2,too,many,fields\nr3,"A quoted\nline break"\nr4\nr5,ok\n',
        encoding="utf-8",
    )
    out = tmp_path / "out.csv"
    summary = tag_csv(src, out, model=tagger, progress=False)
    assert [r["id"] for r in read_csv(out)] == ["r1", "r3", "r5"]
    errors = read_csv(tmp_path / "out.errors.csv")
    assert [(e["line"], e["problem"]) for e in errors] == [
        ("3", "4 fields where the header has 2"),
        ("6", "1 fields where the header has 2"),
    ]
    assert errors[0]["raw"] == "r2,too,many,fields"
    assert summary.errors == 2 and any("line(s) 3, 6" in w for w in summary.warnings)
    with pytest.raises(DataError, match="line 3: 4 fields"):
        tag_csv(src, tmp_path / "out2.csv", model=tagger, progress=False, on_error="fail")


def test_encodings_nul_bytes_and_empty_rows(tmp_path, tagger):
    for encoding in ("utf-8-sig", "utf-16"):
        src = write_csv(tmp_path / f"{encoding}.csv", [("r1", "Police beat my brother.")], encoding=encoding)
        assert next(read_table(src)[1]).values == {"id": "r1", "text": "Police beat my brother."}
    src = tmp_path / "mixed.csv"
    src.write_bytes(b"id,text\nr1,caf\xe9 owner cut my pay\nr2,the police\x00 beat me\nr3,\nr4,fine text\n")
    summary = tag_csv(src, tmp_path / "out.csv", model=tagger, progress=False)
    rows = read_csv(tmp_path / "out.csv")
    assert [r["id"] for r in rows] == ["r1", "r2", "r3", "r4"]  # nothing dropped
    assert rows[0]["text"] == "caf\ufffd owner cut my pay" and "undecodable" in rows[0]["notes"]
    assert rows[1]["text"] == "the police beat me" and "NUL" in rows[1]["notes"]
    assert rows[2]["rights"] == "" and "empty text" in rows[2]["notes"]
    warnings = " | ".join(summary.warnings)
    assert "undecodable bytes replaced: 1 row(s), line(s) 2" in warnings
    assert "NUL bytes removed: 1 row(s), line(s) 3" in warnings


def test_bad_files_get_specific_errors(tmp_path, tagger):
    empty = tmp_path / "empty.csv"
    empty.write_text("", encoding="utf-8")
    with pytest.raises(DataError, match="is empty"):
        tag_csv(empty, model=tagger)
    wrong = write_csv(tmp_path / "wrong.csv", [("1", "x")], header=("id", "testimony"))
    with pytest.raises(DataError, match=r"missing column\(s\) 'text'; columns found: id, testimony"):
        tag_csv(wrong, model=tagger)
    twice = write_csv(tmp_path / "twice.csv", [("1", "x")], header=("text", "text"))
    with pytest.raises(DataError, match="repeats"):
        tag_csv(twice, model=tagger)
    with pytest.raises(DataError, match=r"unknown file type '\.xlsx'"):
        tag_csv(tmp_path / "book.xlsx", model=tagger)
    with pytest.raises(DataError, match="does not exist"):
        tag_csv(tmp_path / "missing.csv", model=tagger)
    with pytest.raises(DataError, match=r"missing column\(s\) 'ident'"):
        tag_csv(wrong, text_column="testimony", id_column="ident", model=tagger)
    with pytest.raises(DataError, match="must differ"):
        tag_csv(wrong, wrong, text_column="testimony", model=tagger)


def test_formula_cells_are_escaped_unless_raw(tmp_path, tagger):
    assert safe_cell("=HYPERLINK(1)") == "'=HYPERLINK(1)" and safe_cell("@SUM(A1)") == "'@SUM(A1)"
    assert safe_cell("-5") == "-5" and safe_cell("+3.5") == "+3.5" and safe_cell("-2+3") == "'-2+3"
    assert safe_cell("plain") == "plain"
    src = write_csv(tmp_path / "in.csv", [("=cmd|' /C calc'!A0", "Police beat my brother.")])
    tag_csv(src, tmp_path / "safe.csv", model=tagger, progress=False)
    tag_csv(src, tmp_path / "raw.csv", model=tagger, progress=False, raw=True)
    assert read_csv(tmp_path / "safe.csv")[0]["id"] == "'=cmd|' /C calc'!A0"
    assert read_csv(tmp_path / "raw.csv")[0]["id"] == "=cmd|' /C calc'!A0"


def test_cli_tag_csv_writes_output_and_errors(tmp_path, capsys, tagger):
    src = tmp_path / "in.csv"
    src.write_text("id,text\nr1,The police beat my brother.\nr2,a,b\n", encoding="utf-8")
    out = tmp_path / "out.tsv"
    assert main(["tag-csv", str(src), "-o", str(out), "--id-column", "id", "--quiet"]) == 0
    printed = capsys.readouterr().out
    assert "Wrote" in printed and "out.errors.csv" in printed and "r1" in printed
    assert pd.read_csv(out, sep="\t")["id"].tolist() == ["r1"]
    assert main(["tag-csv", str(src), "-o", str(out), "--on-error", "fail", "--quiet"]) == 1
    assert "line 3" in capsys.readouterr().err
    assert main(["tag-csv", str(src), "-o", str(tmp_path / "no" / "out.csv"), "--quiet"]) == 1
    assert f"the output folder {tmp_path / 'no'} does not exist" in capsys.readouterr().err


def test_jsonl_bad_lines_are_reported_not_dropped(tmp_path, tagger):
    src = tmp_path / "in.jsonl"
    src.write_text(
        '{"id": 1, "text": "Police beat my brother."}\n'
        "{not json}\n"
        '{"id": 3, "text": "x", "extra": true}\n'
        "\n"
        '{"id": 5}\n'
        '{"id": 6, "text": null}\n',
        encoding="utf-8",
    )
    out = tmp_path / "out.jsonl"
    summary = tag_csv(src, out, model=tagger, progress=False)
    rows = pd.read_json(out, lines=True, dtype=False)
    assert rows["id"].tolist() == ["1", "6"] and "empty text" in rows["notes"][1]
    errors = read_csv(tmp_path / "out.errors.csv")
    assert [e["line"] for e in errors] == ["2", "3", "5"]
    assert "not valid JSON" in errors[0]["problem"] and "'extra'" in errors[1]["problem"]
    assert "no 'text' field" in errors[2]["problem"] and summary.errors == 3
    src.write_text('{"id": 1, "text": "Police beat my brother."}\n{"text": "No heat."}\n', encoding="utf-8")
    summary = tag_csv(src, out, id_column="id", model=tagger, progress=False)
    assert pd.read_json(out, lines=True, dtype=False)["id"].tolist() == ["1"]
    errors = read_csv(tmp_path / "out.errors.csv")
    assert [(e["line"], e["problem"]) for e in errors] == [("2", "no 'id' field")] and summary.errors == 1


def test_redact_option_keeps_no_personal_information(tmp_path, tagger):
    text = (
        "Officer Kevin Walsh beat my son Jamal. Call me at 415-555-0182. The Oakland Police never answered."
    )
    src = write_csv(tmp_path / "in.csv", [("r1", text)])
    tag_csv(src, tmp_path / "out.csv", model=tagger, progress=False, redact=True)
    row = read_csv(tmp_path / "out.csv")[0]
    for secret in ("Kevin", "Walsh", "Jamal", "555-0182"):
        assert secret not in row["text"] and secret not in row["rights_json"]
    assert "Oakland Police" in row["text"] and row["rights"]  # still tagged


@pytest.fixture
def small_index(tmp_path):
    from rightsmap import upr

    records = [
        {
            "id": "R-1",
            "text": "Stop water shut-offs for families who cannot pay",
            "state_under_review": "Utopia",
        },
        {"id": "R-2", "text": "End excessive force by police", "state_under_review": "Utopia"},
    ]
    (tmp_path / "recs.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    upr.import_recommendations(tmp_path / "recs.jsonl", tmp_path / "idx", progress=False)
    return tmp_path / "idx"


def test_resume_refuses_a_changed_upr_index(tmp_path, testimonies, tagger, small_index):
    out = tmp_path / "out.csv"
    with pytest.raises(KeyboardInterrupt):
        tag_csv(testimonies, out, model=CountingTagger(tagger, fail_after=1), progress=False, chunk_size=2)
    # resuming with an index would add a recommendations column the written rows lack
    with pytest.raises(DataError, match="index changed"):
        tag_csv(testimonies, out, model=tagger.use_index(small_index), progress=False, resume=True)


def test_cli_tag_csv_index_and_no_recommendations(tmp_path, testimonies, small_index, capsys, monkeypatch):
    import rightsmap

    shared = rightsmap.load()  # what the CLI loads: make it look for an installed index afresh
    monkeypatch.setenv("RIGHTSMAP_UPR_INDEX", str(small_index))
    monkeypatch.setattr(shared, "_index_checked", False, raising=False)
    monkeypatch.setattr(shared, "_index", None, raising=False)
    installed, explicit, without = tmp_path / "a.csv", tmp_path / "b.csv", tmp_path / "c.csv"
    assert main(["tag-csv", str(testimonies), "-o", str(installed), "--quiet"]) == 0
    rows = read_csv(installed)
    assert [r["recommendations"].split(";")[0] for r in rows[:2]] == ["R-1", "R-2"]  # heat/water, police
    assert (
        main(["tag-csv", str(testimonies), "-o", str(explicit), "--index", str(small_index), "--quiet"]) == 0
    )
    assert read_csv(explicit) == rows
    assert main(["tag-csv", str(testimonies), "-o", str(without), "--no-recommendations", "--quiet"]) == 0
    assert "recommendations" not in read_csv(without)[0]
    with pytest.raises(SystemExit):  # the two options exclude each other
        main(["tag-csv", str(testimonies), "--index", str(small_index), "--no-recommendations"])
    assert "not allowed with" in capsys.readouterr().err
