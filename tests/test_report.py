"""compile: the stakeholder-report draft, checked as HTML in headless Chromium and as Markdown."""

import csv
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from markdown_it import MarkdownIt
from matplotlib.image import imread

import rightsmap
from rightsmap import upr
from rightsmap.batch import tag_csv
from rightsmap.cli import main
from rightsmap.errors import DataError
from rightsmap.norms import load_norms
from rightsmap.report import Testimony as ReportRow
from rightsmap.report import _sections, compile_report
from rightsmap.tagger import default_model_path
from rightsmap.types import Suggestion, TagResult

EXAMPLES = Path(__file__).parents[1] / "examples" / "testimonies.csv"
# Our own stand-ins for past recommendations (the project ships no third-party text).
RECORDS = [
    ("R-1", "Guarantee access to safe and affordable drinking water and end shut-offs for poor households",
     "Right to water and sanitation", "Supported"),
    ("R-2", "Strengthen protection of tenants against eviction and increase affordable housing",
     "Right to adequate housing", "Supported"),
    ("R-3", "End excessive use of force by police and hold officers accountable", "Torture and other CID",
     "Noted"),
    ("R-4", "End the detention of migrant children and families", "Migrants", "Noted"),
    ("R-5", "Protect the rights of workers to fair wages and safe working conditions",
     "Right to just and favourable conditions of work", "Supported"),
]  # fmt: skip


@pytest.fixture(scope="module")
def model():
    """A tagger of its own, so attaching an index never leaks into other tests."""
    return rightsmap.load(default_model_path())


@pytest.fixture(scope="module")
def index(tmp_path_factory, model):
    folder = tmp_path_factory.mktemp("upr")
    src = folder / "recs.jsonl"
    with src.open("w", encoding="utf-8") as out:
        for rid, text, theme, response in RECORDS:
            rec = {"id": rid, "text": text, "recommending_states": ["Norway"], "cycle": 3, "session": 36,
                   "state_under_review": "United States of America", "response": response,
                   "themes": [theme]}  # fmt: skip
            out.write(json.dumps(rec) + "\n")
    upr.import_recommendations(src, folder / "index", progress=False)
    return folder / "index"


@pytest.fixture(scope="module")
def compiled(tmp_path_factory, model, index):
    out = tmp_path_factory.mktemp("report")
    tag_csv(EXAMPLES, out / "tagged.csv", model=model.use_index(index), progress=False)
    done = compile_report(out / "tagged.csv", out / "report.html", group_by="city", model=model, index=index)
    return done


def test_html_has_summary_chart_sections_and_champions(compiled):
    page = compiled.html.read_text(encoding="utf-8")
    assert compiled.testimonies == 24 and compiled.rights >= 5
    assert page.count('<section class="right"') == compiled.rights
    assert page.count("data:image/png;base64,") == 2  # rights, and rights by city
    assert "Recommendations to champion" in page and "R-1" in page  # the water shut-off recommendation
    # each right lists the claims most of its testimonies make (a claim on an organisation one
    # testimony names is in that testimony's suggestions: tests/test_framing.py)
    assert re.search(
        r"<li>The (city|state) government must [^<]+<span class='muted'>\(\d+ testimonies\)", page
    )
    assert "not legal advice" in page and "Methodology" in page
    assert "http://" not in page and "https://" not in page  # no external asset
    assert all(p.is_file() for p in compiled.charts)


def test_each_right_lists_the_duty_bearers_its_testimonies_name(compiled):
    md = compiled.markdown.read_text(encoding="utf-8")
    living = md.split("(UDHR-25)")[1].split("\n### ")[0]  # T01 names the water authority, T03 a landlord
    shared, named = living.split("**Duty-bearers the testimonies name**")
    assert "- Pittsburgh Water and Sewer Authority must" in named
    assert "- Cascade Crest Property Management must" in named
    assert "Cascade Crest" not in shared  # a claim on one testimony's landlord is not a shared claim


def test_duty_bearers_are_counted_per_right_and_kept_out_of_shared_claims():
    def testimony(bearer):
        respect = f"{bearer or 'The city government'} must respect it."
        claims = [respect, "The state must protect it.", "The city must fulfil it."]
        return ReportRow(
            1, TagResult("x"), suggestions=[Suggestion(["UDHR-25"], "", claims, [], [], 0.5, bearer)]
        )

    testimonies = [testimony("Acme"), testimony("Acme"), testimony("Bolt Co"), testimony("")]
    (section,) = _sections(testimonies, load_norms(), redact_quotes=False)
    assert section.bearers == [
        ("Acme", "Acme must respect it.", 2),
        ("Bolt Co", "Bolt Co must respect it.", 1),
    ]
    assert section.more_bearers == 0
    assert dict(section.claims) == {
        "The state must protect it.": 4,
        "The city must fulfil it.": 4,
        "The city government must respect it.": 1,
    }


def test_champions_are_ranked_by_support(compiled):
    page = compiled.html.read_text(encoding="utf-8")
    rows = page.split("Recommendations to champion")[1].split("<tr><td>")[1:]
    counts = [int(r.split("</td><td>")[-1].split("</td>")[0]) for r in rows]
    assert counts and max(counts) >= 2


def test_markdown_twin_parses_and_points_at_its_charts(compiled):
    md = compiled.markdown.read_text(encoding="utf-8")
    tokens = MarkdownIt("commonmark").enable("table").parse(md)
    headings = [tokens[i + 1].content for i, t in enumerate(tokens) if t.type == "heading_open"]
    assert "Summary" in headings and "Recommendations to champion" in headings and "Methodology" in headings
    images = [
        c.attrs["src"] for t in tokens if t.type == "inline" for c in t.children or [] if c.type == "image"
    ]
    assert len(images) == 2 and all((compiled.markdown.parent / src).is_file() for src in images)
    assert any(t.type == "table_open" for t in tokens)


def test_quotes_are_redacted_by_default(tmp_path, model):
    planted = (  # one sentence, so the quoted evidence is this sentence
        "Our landlord Tom Becker shut off the heat in January and my kids got sick from the cold, "
        "call me at 412-555-0199."
    )
    src = tmp_path / "in.csv"
    with src.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows([["text"], [planted], ["The city cut off our water for a late bill."]])
    done = compile_report(src, tmp_path / "r.md", model=model, index=None)
    for path in (done.html, done.markdown):
        text = path.read_text(encoding="utf-8")
        assert "Becker" not in text and "555-0199" not in text
    assert "[PERSON]" in done.html.read_text(encoding="utf-8")
    shown = compile_report(src, tmp_path / "raw.html", model=model, redact_quotes=False)
    assert "Tom Becker" in shown.html.read_text(encoding="utf-8")


def test_untagged_input_is_tagged_first_through_the_cli(tmp_path, capsys):
    assert main(["compile", str(EXAMPLES), "--text-column", "text", "-o", str(tmp_path / "r.html")]) == 0
    assert "24 testimonies" in capsys.readouterr().out
    assert (tmp_path / "r.html").is_file() and (tmp_path / "r.md").is_file()


def test_broken_rights_json_names_the_line_and_column(tmp_path, model):
    src = tmp_path / "tagged.csv"
    src.write_text('text,rights_json\n"No heat.","[{bad"\n', encoding="utf-8")
    with pytest.raises(DataError, match=r"line 2, column 'rights_json'"):
        compile_report(src, tmp_path / "r.html", model=model)
    with pytest.raises(DataError, match=r"must end in \.html or \.md"):
        compile_report(EXAMPLES, tmp_path / "r.pdf", model=model)
    assert not (tmp_path / "r.html").exists()


def _chromium():
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if not found and os.environ.get("RIGHTSMAP_REQUIRE_BROWSER"):
        pytest.fail("Chromium is required (RIGHTSMAP_REQUIRE_BROWSER is set): apt-get install chromium")
    if not found:
        pytest.skip("Chromium is not installed (apt-get install chromium)")
    return found


def test_html_renders_in_headless_chromium(compiled, tmp_path):
    shot = tmp_path / "shot.png"
    cmd = [_chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
           "--disable-background-networking", "--disable-component-update", "--disable-sync",
           f"--user-data-dir={tmp_path / 'profile'}", "--window-size=1200,1800",
           f"--screenshot={shot}", compiled.html.as_uri()]  # fmt: skip
    subprocess.run(cmd, check=True, capture_output=True, timeout=120)
    pixels = imread(shot)[..., :3]
    ink = (pixels.mean(axis=2) < 0.9).mean()  # share of pixels that are not (near) white
    assert 0.02 < ink < 0.9, ink
    assert np.unique(pixels.reshape(-1, 3), axis=0).shape[0] > 50  # text, chart colours: not flat
