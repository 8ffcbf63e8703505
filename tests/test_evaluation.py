import numpy as np
import pytest

from rightsmap.evaluation import abstain_rate, prf, recall_at_k, top1_accuracy

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
