import numpy as np
import pytest

from rightsmap.evaluation import (
    abstain_rate,
    brier_score,
    expected_calibration_error,
    per_label,
    precision_at_k,
    prf,
    recall_at_k,
    reliability,
    top1_accuracy,
)

Y = np.array([[1, 0, 1], [0, 1, 0], [0, 0, 0]])
P = np.array([[1, 1, 0], [0, 1, 0], [0, 0, 1]])
S = np.array([[0.9, 0.8, 0.1], [0.2, 0.7, 0.6], [0.1, 0.2, 0.3]])


def test_micro_and_macro_scores_by_hand():
    # tp = 2 (row0 col0, row1 col1); predicted 4; true 3
    m = prf(Y, P)
    assert m["precision"] == pytest.approx(2 / 4)
    assert m["recall"] == pytest.approx(2 / 3)
    assert m["f1"] == pytest.approx(2 * 0.5 * (2 / 3) / (0.5 + 2 / 3))
    # per label F1: col0 2*1/(1+1)=1, col1 2*1/(1+2)=2/3, col2 2*0/(1+1)=0
    assert m["macro_f1"] == pytest.approx((1 + 2 / 3 + 0) / 3)


def test_recall_at_k_by_hand():
    # k=1: row0 top is col0 (true), row1 top col1 (true): 2 of 3 true labels
    assert recall_at_k(Y, S, 1) == pytest.approx(2 / 3)
    assert recall_at_k(Y, S, 3) == pytest.approx(1.0)
    # restricted to columns 1..2: truths row0 col2, row1 col1; top-1 row0 is col1 (false), row1 col1
    assert recall_at_k(Y, S, 1, np.array([False, True, True])) == pytest.approx(1 / 2)


def test_top1_ignores_documents_without_labels():
    assert top1_accuracy(Y, S) == pytest.approx(1.0)
    wrong_first = np.array([[0.1, 0.9, 0.2], [0.2, 0.7, 0.6], [0.5, 0.1, 0.1]])
    assert top1_accuracy(Y, wrong_first) == pytest.approx(1 / 2)


def test_abstain_rate_counts_untagged_negatives():
    assert abstain_rate(Y, P) == 0.0
    assert abstain_rate(Y, np.zeros_like(P)) == 1.0


def test_precision_at_k_by_hand():
    # labelled rows 0 and 1; top-1 of each is true; top-2 holds one true label of two in each row
    assert precision_at_k(Y, S, 1) == pytest.approx(1.0)
    assert precision_at_k(Y, S, 2) == pytest.approx(0.5)


def test_ece_and_brier_by_hand():
    P = np.array([[0.9, 0.8, 0.1], [0.2, 0.7, 0.6], [0.1, 0.2, 0.35]])
    # bins: 0.9 |0.9-1|; 0.8 |0.8-0|; 0.1 x2 (one true) |0.1-0.5|; 0.2 x2 |0.2-0|; 0.7 |0.7-1|;
    # 0.6 |0.6-0|; 0.35 |0.35-0| -> weighted by bin size over 9 cells
    assert expected_calibration_error(Y, P) == pytest.approx(
        (0.1 + 0.8 + 2 * 0.4 + 2 * 0.2 + 0.3 + 0.6 + 0.35) / 9
    )
    squared = [0.01, 0.64, 0.81, 0.04, 0.09, 0.36, 0.01, 0.04, 0.1225]
    assert brier_score(Y, P) == pytest.approx(sum(squared) / 9)


def test_per_label_by_hand():
    out = per_label(Y, P, ("A", "B", "C"))
    assert out["A"] == {"precision": 1.0, "recall": 1.0, "f1": 1.0, "support": 1.0}
    assert out["B"]["precision"] == pytest.approx(0.5) and out["B"]["recall"] == 1.0
    assert out["C"]["f1"] == 0.0 and out["C"]["support"] == 1.0


def test_reliability_points_and_ece_by_hand():
    y = np.array([[1, 0], [1, 0]])
    p = np.array([[0.95, 0.85], [0.15, 0.05]])
    pts = reliability(y, p, bins=10)
    assert [n for _, _, n in pts] == [1, 1, 1, 1]
    assert [c for c, _, _ in pts] == pytest.approx([0.05, 0.15, 0.85, 0.95])
    assert [f for _, f, _ in pts] == [0.0, 1.0, 0.0, 1.0]
    # gaps 0.05, 0.85, 0.85, 0.05, each bin one cell of four
    assert expected_calibration_error(y, p, bins=10) == pytest.approx(0.45)
