"""Scorers that turn embedded documents into per-article probabilities."""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.linear_model import LogisticRegression

from .embed import Encoded


def prototype_similarity(vectors: np.ndarray, prototypes: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """Cosine of each vector to each article: the best match among that article's prototypes.

    ``prototypes`` are grouped by article; ``starts[j]`` is the first row of article j.
    """
    sims = vectors @ prototypes.T
    if sims.shape[0] == 0:
        return np.zeros((0, len(starts)), dtype=np.float32)
    return np.maximum.reduceat(sims, starts, axis=1)


class ZeroShotScorer(BaseEstimator):
    """Scores articles by how close a text and its sentences come to each article's summary and cues.

    No labelled example shapes the ranking; ``fit`` only maps raw similarity to calibrated
    probabilities (one global logistic curve) and picks one global decision threshold.

    Parameters
    ----------
    prototypes : (p, d) float32, embedded summaries and cue phrases, grouped by article.
    starts : (L,) int, first prototype row of each article.
    sentence_weight : weight of the best-matching sentence against the whole text, in [0, 1].
    """

    def __init__(self, prototypes: np.ndarray, starts: np.ndarray, sentence_weight: float = 0.5) -> None:
        self.prototypes = prototypes
        self.starts = starts
        self.sentence_weight = sentence_weight

    def similarity(self, X: Encoded) -> tuple[np.ndarray, np.ndarray]:
        """Raw scores: per document (n, L) and per sentence (m, L)."""
        sent = prototype_similarity(X.sentences, self.prototypes, self.starts)
        doc = prototype_similarity(X.docs, self.prototypes, self.starts)
        best = np.full_like(doc, -1.0)
        np.maximum.at(best, X.owner, sent)
        w = self.sentence_weight
        return w * best + (1 - w) * doc, sent

    @staticmethod
    def _features(raw: np.ndarray) -> np.ndarray:
        centred = raw - raw.mean(axis=1, keepdims=True)
        return np.stack([raw.ravel(), centred.ravel()], axis=1)

    def fit(self, X: Encoded, Y: np.ndarray) -> ZeroShotScorer:
        """Fit the calibration curve and the global threshold on labelled documents.

        ``Y`` is a (n, L) 0/1 matrix in the order of the articles.
        """
        Y = np.asarray(Y, dtype=bool)
        if Y.shape != (len(X), len(self.starts)):
            raise ValueError(f"Y has shape {Y.shape}, expected {(len(X), len(self.starts))}")
        raw, _ = self.similarity(X)
        lr = LogisticRegression(C=1.0, max_iter=1000).fit(self._features(raw), Y.ravel())
        self.coef_ = lr.coef_.ravel().astype(np.float64)
        self.intercept_ = float(lr.intercept_[0])
        proba = self._calibrate(raw)
        grid = np.linspace(0.05, 0.95, 91)
        f1 = [_micro_f1(Y, proba >= t) for t in grid]
        self.thresholds_ = np.full(len(self.starts), float(grid[int(np.argmax(f1))]))
        return self

    def _calibrate(self, raw: np.ndarray) -> np.ndarray:
        z = self._features(raw) @ self.coef_ + self.intercept_
        return (1.0 / (1.0 + np.exp(-z))).reshape(raw.shape)

    def score(self, X: Encoded) -> tuple[np.ndarray, np.ndarray]:
        """Calibrated probabilities per document (n, L) and raw similarity per sentence (m, L)."""
        raw, sent = self.similarity(X)
        proba = self._calibrate(raw)
        proba[X.empty] = 0.0
        return proba, sent

    def predict_proba(self, X: Encoded) -> np.ndarray:
        """Calibrated probability that each article applies, (n, L)."""
        return self.score(X)[0]

    def get_state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        """Plain parameters and arrays for a safe model file (no pickle)."""
        params = {
            "sentence_weight": self.sentence_weight,
            "coef": self.coef_.tolist(),
            "intercept": self.intercept_,
        }
        arrays = {"prototypes": self.prototypes, "starts": self.starts, "thresholds": self.thresholds_}
        return params, arrays

    @classmethod
    def from_state(cls, params: dict[str, Any], arrays: dict[str, np.ndarray]) -> ZeroShotScorer:
        """Rebuild a fitted scorer from ``get_state()`` output."""
        scorer = cls(arrays["prototypes"], arrays["starts"], float(params["sentence_weight"]))
        scorer.coef_ = np.asarray(params["coef"], dtype=np.float64)
        scorer.intercept_ = float(params["intercept"])
        scorer.thresholds_ = np.asarray(arrays["thresholds"], dtype=np.float64)
        return scorer


def _micro_f1(Y: np.ndarray, P: np.ndarray) -> float:
    tp = float(np.logical_and(Y, P).sum())
    denom = float(Y.sum() + P.sum())
    return 2 * tp / denom if denom else 0.0
