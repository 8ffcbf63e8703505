import csv
from pathlib import Path

import numpy as np

from rightsmap.classifier import decide
from rightsmap.norms import LABELS, udhr_counterparts

# three articles: 0 and 1 are "UDHR", 2 is a covenant article crosswalked to 0 only
CROSSWALK = np.array([[0, 0, 0], [0, 0, 0], [1, 0, 0]], dtype=np.int8)
THRESHOLDS = np.array([0.3, 0.3, 0.3])
EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "testimonies.csv"


def test_threshold_and_gate():
    proba = np.array([[0.5, 0.2, 0.1], [0.9, 0.9, 0.9]])
    out = decide(proba, np.array([True, False]), THRESHOLDS)
    assert out.tolist() == [[True, False, False], [False, False, False]]


def test_relative_threshold_drops_articles_far_below_the_top_one():
    proba = np.array([[0.9, 0.35, 0.0], [0.4, 0.35, 0.0]])
    out = decide(proba, np.array([True, True]), THRESHOLDS, relative=0.5)
    # 0.35 < 0.5 * 0.9 in the first text; 0.35 >= 0.5 * 0.4 in the second
    assert out.tolist() == [[True, False, False], [True, True, False]]


def test_covenant_article_needs_its_crosswalked_udhr_article():
    proba = np.array([[0.8, 0.1, 0.7], [0.1, 0.8, 0.7]])
    out = decide(proba, np.array([True, True]), THRESHOLDS, crosswalk=CROSSWALK)
    assert out.tolist() == [[True, False, True], [False, True, False]]


def test_udhr_counterparts_follows_the_crosswalk(norms):
    m = udhr_counterparts(norms)
    row = m[LABELS.index("ICESCR-11")]
    assert row[LABELS.index("UDHR-25")] == 1 and row.sum() == len(
        [r for r in norms["ICESCR-11"].related if r.startswith("UDHR-")]
    )
    assert m[LABELS.index("UDHR-25")].sum() == 0


def test_default_model_predictions_are_crosswalk_consistent(tagger, norms):
    with EXAMPLES.open(encoding="utf-8") as f:
        texts = [row["text"] for row in csv.DictReader(f)]
    for result in tagger.tag(texts):
        tagged = {t.article for t in result.tags}
        for t in result.tags:
            if t.instrument != "UDHR" and any(r.startswith("UDHR-") for r in t.related):
                assert tagged & set(t.related), (t.article, tagged)
