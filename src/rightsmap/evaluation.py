"""Quality metrics for multi-label article tagging. Inputs are (n, L) arrays: 0/1 truth, scores."""

from __future__ import annotations

import numpy as np


def prf(y_true: np.ndarray, y_pred: np.ndarray) -> dict[str, float]:
    """Micro precision, recall and F1, and macro F1 over labels that occur in truth or prediction."""
    t = np.asarray(y_true, dtype=bool)
    p = np.asarray(y_pred, dtype=bool)
    tp = float((t & p).sum())
    precision = tp / p.sum() if p.sum() else 0.0
    recall = tp / t.sum() if t.sum() else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    tp_l = (t & p).sum(0)
    denom = t.sum(0) + p.sum(0)
    used = denom > 0
    macro = float(np.mean(2 * tp_l[used] / denom[used])) if used.any() else 0.0
    return {"precision": float(precision), "recall": float(recall), "f1": float(f1), "macro_f1": macro}


def recall_at_k(y_true: np.ndarray, scores: np.ndarray, k: int, columns: np.ndarray | None = None) -> float:
    """Share of true labels found among each document's k highest-scored labels.

    ``columns`` (a boolean mask over labels) restricts both truth and ranking, e.g. to the UDHR
    articles for "UDHR recall@3".
    """
    t = np.asarray(y_true, dtype=bool)
    s = np.asarray(scores, dtype=float)
    if columns is not None:
        t, s = t[:, columns], s[:, columns]
    top = np.argsort(-s, axis=1, kind="stable")[:, :k]
    hits = np.take_along_axis(t, top, axis=1).sum()
    total = t.sum()
    return float(hits / total) if total else 0.0


def top1_accuracy(y_true: np.ndarray, scores: np.ndarray) -> float:
    """Among documents with at least one label, the share whose top-scored label is a true one."""
    t = np.asarray(y_true, dtype=bool)
    rows = t.any(axis=1)
    if not rows.any():
        return 0.0
    best = np.argmax(np.asarray(scores)[rows], axis=1)
    return float(t[rows][np.arange(rows.sum()), best].mean())


def abstain_rate(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """Among documents with no true label (negatives), the share that got no predicted label."""
    t = np.asarray(y_true, dtype=bool)
    p = np.asarray(y_pred, dtype=bool)
    neg = ~t.any(axis=1)
    return float((~p[neg].any(axis=1)).mean()) if neg.any() else 0.0


def evaluate(model: object, texts: list[str], Y: np.ndarray, columns_udhr: np.ndarray) -> dict[str, float]:
    """All headline figures for a model with ``predict_proba(texts)`` and ``thresholds_``.

    Returns micro precision/recall/F1, macro F1, UDHR recall@3, top-1 accuracy and the share of
    negatives left untagged.
    """
    proba = model.predict_proba(texts)  # type: ignore[attr-defined]
    pred = proba >= model.thresholds_  # type: ignore[attr-defined]
    out = prf(Y, pred)
    out["udhr_recall_at_3"] = recall_at_k(Y, proba, 3, columns_udhr)
    out["top1_accuracy"] = top1_accuracy(Y, proba)
    out["negatives_abstained"] = abstain_rate(Y, pred)
    out["n"] = float(len(texts))
    return out
