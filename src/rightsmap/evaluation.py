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


def precision_at_k(y_true: np.ndarray, scores: np.ndarray, k: int) -> float:
    """Share of true labels among each labelled document's k highest-scored labels (averaged)."""
    t = np.asarray(y_true, dtype=bool)
    rows = t.any(axis=1)
    if not rows.any():
        return 0.0
    top = np.argsort(-np.asarray(scores, dtype=float)[rows], axis=1, kind="stable")[:, :k]
    return float(np.take_along_axis(t[rows], top, axis=1).mean())


def reliability(y_true: np.ndarray, proba: np.ndarray, bins: int = 10) -> list[tuple[float, float, int]]:
    """Reliability-diagram points over every (document, label) probability, in ``bins``
    equal-width bins: (mean confidence, observed frequency, cells) for each non-empty bin."""
    p = np.asarray(proba, dtype=float).ravel()
    y = np.asarray(y_true, dtype=float).ravel()
    which = np.minimum((p * bins).astype(int), bins - 1)
    return [
        (float(p[which == b].mean()), float(y[which == b].mean()), int((which == b).sum()))
        for b in range(bins)
        if (which == b).any()
    ]


def expected_calibration_error(y_true: np.ndarray, proba: np.ndarray, bins: int = 10) -> float:
    """ECE: the cell-weighted gap between mean confidence and observed frequency over the
    ``reliability`` bins."""
    points = reliability(y_true, proba, bins)
    total = sum(n for _, _, n in points)
    return float(sum(n * abs(conf - freq) for conf, freq, n in points) / total) if total else 0.0


def brier_score(y_true: np.ndarray, proba: np.ndarray) -> float:
    """Mean squared error of the probabilities against the 0/1 truth, over all cells."""
    return float(np.mean((np.asarray(proba, dtype=float) - np.asarray(y_true, dtype=float)) ** 2))


def per_label(y_true: np.ndarray, y_pred: np.ndarray, labels: tuple[str, ...]) -> dict[str, dict[str, float]]:
    """Precision, recall, F1 and support of each label."""
    t = np.asarray(y_true, dtype=bool)
    p = np.asarray(y_pred, dtype=bool)
    out = {}
    for j, name in enumerate(labels):
        tp = float((t[:, j] & p[:, j]).sum())
        prec = tp / p[:, j].sum() if p[:, j].sum() else 0.0
        rec = tp / t[:, j].sum() if t[:, j].sum() else 0.0
        f1 = 2 * prec * rec / (prec + rec) if prec + rec else 0.0
        out[name] = {"precision": prec, "recall": rec, "f1": f1, "support": float(t[:, j].sum())}
    return out


def scores(y_true: np.ndarray, proba: np.ndarray, pred: np.ndarray, udhr: np.ndarray) -> dict[str, float]:
    """All headline figures from probabilities (ranking, calibration) and decisions (the tags).

    Micro precision/recall/F1, macro F1, UDHR recall@3, precision@1 and @3, top-1 accuracy,
    negatives abstained, ECE (10 bins) and Brier score.
    """
    out = prf(y_true, pred)
    out["udhr_recall_at_3"] = recall_at_k(y_true, proba, 3, udhr)
    out["precision_at_1"] = precision_at_k(y_true, proba, 1)
    out["precision_at_3"] = precision_at_k(y_true, proba, 3)
    out["top1_accuracy"] = top1_accuracy(y_true, proba)
    out["negatives_abstained"] = abstain_rate(y_true, pred)
    out["ece"] = expected_calibration_error(y_true, proba)
    out["brier"] = brier_score(y_true, proba)
    out["n"] = float(len(y_true))
    return out


def score_model(model: object, texts: list[str], Y: np.ndarray, columns_udhr: np.ndarray) -> dict[str, float]:
    """All headline figures (see ``scores``) for a model with ``score_texts(texts)``, which returns
    probabilities and decisions (as ``Tagger.score_texts``)."""
    proba, pred = model.score_texts(texts)  # type: ignore[attr-defined]
    return scores(Y, proba, pred, columns_udhr)


def report(
    model: object,
    texts: list[str],
    Y: np.ndarray,
    langs: list[str],
    labels: tuple[str, ...],
    udhr: np.ndarray,
) -> dict[str, object]:
    """A full evaluation: headline figures overall and per language, and per-label figures."""
    proba, pred = model.score_texts(texts)  # type: ignore[attr-defined]
    by_lang = {}
    for lang in sorted(set(langs)):
        idx = [i for i, x in enumerate(langs) if x == lang]
        by_lang[lang] = scores(Y[idx], proba[idx], pred[idx], udhr)
    return {
        "overall": scores(Y, proba, pred, udhr),
        "by_language": by_lang,
        "per_label": per_label(Y, pred, labels),
    }
