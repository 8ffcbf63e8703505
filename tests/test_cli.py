import csv
import json

import numpy as np
import pytest

from rightsmap.cli import main

ROOT_EXAMPLES = __import__("pathlib").Path(__file__).resolve().parents[1] / "examples" / "testimonies.csv"


def test_help_lists_the_commands(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["--help"])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    for cmd in ("tag", "tag-csv", "articles", "build-default"):
        assert cmd in out


def test_version(capsys):
    with pytest.raises(SystemExit):
        main(["--version"])
    assert capsys.readouterr().out.startswith("rightsmap 0.")


def test_tag_prints_a_table(capsys, tagger):
    assert main(["tag", "My landlord shut off the heat in January."]) == 0
    out = capsys.readouterr().out
    assert "UDHR-25" in out or "ICESCR-11" in out
    assert "evidence:" in out


def test_tag_names_the_articles_withheld_from_a_text_left_untagged(capsys, tagger, monkeypatch):
    # as if the "no right engaged" head doubted every text; the probabilities are the model's
    monkeypatch.setattr(tagger.scorer, "engaged", lambda X: np.zeros(len(X), dtype=bool))
    assert main(["tag", "Police took my phone at the protest.", "The bus was late again."]) == 0
    first, second = (" ".join(part.split()) for part in capsys.readouterr().out.split("Testimony 2:"))
    assert "no right engaged" in first and "though it scores UDHR-12 0.9" in first
    assert "rerun with --min-confidence 0.5 to tag them" in first
    assert "no right engaged" in second and "scores" not in second


def test_tag_given_a_file_name_points_to_tag_csv(capsys, tagger):
    assert main(["tag", str(ROOT_EXAMPLES)]) == 0
    assert (
        f"{ROOT_EXAMPLES} is a file: tag its testimonies with `rightsmap tag-csv" in capsys.readouterr().err
    )


def test_tag_json(capsys, tagger):
    assert main(["tag", "--json", "--top-k", "2", "--min-confidence", "0", "Police beat me."]) == 0
    data = json.loads(capsys.readouterr().out)
    assert len(data) == 1 and len(data[0]["tags"]) == 2


def test_tag_shows_suggestions_under_the_tags_and_json_includes_them(capsys, tagger):
    text = "Acme Property Group shut off the heat in January and my kids got sick."
    assert main(["tag", text]) == 0
    out = capsys.readouterr().out
    assert "framing and claiming (a draft for review, not legal advice)" in out
    assert "claim: Acme Property Group must" in out and "take it to: UPR" in out
    assert main(["tag", "--json", text]) == 0
    (result,) = json.loads(capsys.readouterr().out)
    assert result["suggestions"][0]["articles"][0] == "UDHR-25"
    assert main(["tag", "--no-suggestions", "--json", text]) == 0
    assert json.loads(capsys.readouterr().out)[0]["suggestions"] == []


def test_articles_lists_all_72(capsys):
    assert main(["articles"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 72 and lines[0].startswith("UDHR-1 ")


def test_tag_csv_writes_every_row_with_added_columns(tmp_path, capsys, tagger):
    out = tmp_path / "tagged.csv"
    assert main(["tag-csv", str(ROOT_EXAMPLES), "--id-column", "id", "-o", str(out), "--quiet"]) == 0
    with ROOT_EXAMPLES.open(encoding="utf-8") as f:
        original = list(csv.DictReader(f))
    with out.open(encoding="utf-8") as f:
        tagged = list(csv.DictReader(f))
    assert len(tagged) == len(original) >= 20
    assert [r["id"] for r in tagged] == [r["id"] for r in original]
    assert {"rights", "top_article", "top_confidence", "rights_json"} <= set(tagged[0])
    assert "Rights engaged" in capsys.readouterr().out


def test_tag_csv_missing_column_suggests_the_closest(tmp_path, capsys):
    f = tmp_path / "in.csv"
    f.write_text("id,testimony\n1,no heat\n", encoding="utf-8")
    assert main(["tag-csv", str(f), "--text-column", "testimonny"]) == 1
    err = capsys.readouterr().err
    assert "missing column(s) 'testimonny'" in err and "Did you mean 'testimony'" in err


def test_tag_csv_refuses_to_overwrite_its_input(tmp_path, capsys):
    f = tmp_path / "in.csv"
    f.write_text("text\nno heat\n", encoding="utf-8")
    assert main(["tag-csv", str(f), "-o", str(f)]) == 1
    assert f.read_text(encoding="utf-8") == "text\nno heat\n"
