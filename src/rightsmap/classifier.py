"""Scorers that turn embedded documents into per-article probabilities."""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.linear_model import LogisticRegression
from tqdm import tqdm

from .embed import Encoded, normalise, quantise_rows


def _half(values: np.ndarray) -> np.ndarray:
    """An array as saved: float16. Prototypes and head coefficients are already rounded to it
    when made, so saving loses nothing (saving a model fitted before session 16 rounds its
    float32 coefficients: probabilities move by about 1e-4)."""
    return np.asarray(values, dtype=np.float16)


def _single(values: np.ndarray) -> np.ndarray:
    """A saved float16 array back to float32 for fast products."""
    return np.asarray(values, dtype=np.float32)


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

    def engaged(self, X: Encoded) -> np.ndarray:
        """Every non-empty document may be tagged (the zero-shot scorer cannot say "no right")."""
        return ~X.empty

    def decide(self, proba: np.ndarray, engaged: np.ndarray) -> np.ndarray:
        """Tagging decisions (n, L): probability at or above the threshold, in an engaged document."""
        return (proba >= self.thresholds_) & np.asarray(engaged, dtype=bool)[:, None]

    def get_state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        """Plain parameters and arrays for a safe model file (no pickle)."""
        params = {
            "sentence_weight": self.sentence_weight,
            "coef": self.coef_.tolist(),
            "intercept": self.intercept_,
        }
        arrays = {"prototypes": _half(self.prototypes), "starts": self.starts, "thresholds": self.thresholds_}
        return params, arrays

    @classmethod
    def from_state(cls, params: dict[str, Any], arrays: dict[str, np.ndarray]) -> ZeroShotScorer:
        """Rebuild a fitted scorer from ``get_state()`` output."""
        scorer = cls(_single(arrays["prototypes"]), arrays["starts"], float(params["sentence_weight"]))
        scorer.coef_ = np.asarray(params["coef"], dtype=np.float64)
        scorer.intercept_ = float(params["intercept"])
        scorer.thresholds_ = np.asarray(arrays["thresholds"], dtype=np.float64)
        return scorer


Heads = tuple[np.ndarray, np.ndarray]  # per-article coefficients (L, d) and intercepts (L,)
Joint = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]  # hidden (d, h), (h,); output (h, L), (L,)
JOINT_ARRAYS = ("joint_hidden", "joint_hidden_bias", "joint_output", "joint_output_bias")

# The joint network's size and training, chosen by cross-validation on the train split (blended
# with the rest): 256 hidden units (128: -0.005 F1, 512: no better at twice the cost), L2 penalty
# 0.01, 30 passes at learning rate 0.002 (as good as 60 at 0.001, in half the time)
JOINT_HIDDEN, JOINT_ALPHA, JOINT_EPOCHS, JOINT_RATE = 256, 0.01, 30, 0.002


def _fit_joint(Z: np.ndarray, Y: np.ndarray, weight: np.ndarray, random_state: int) -> Joint:
    """A one-hidden-layer network scoring every article at once from ``Z``; its weights are
    rounded to float16 as saved, so a loaded model predicts the same."""
    import warnings

    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier

    net = MLPClassifier(
        hidden_layer_sizes=(JOINT_HIDDEN,),
        alpha=JOINT_ALPHA,
        max_iter=JOINT_EPOCHS,
        learning_rate_init=JOINT_RATE,
        random_state=random_state,
    )
    with warnings.catch_warnings():  # a fixed number of passes is the point: it stops early
        warnings.simplefilter("ignore", ConvergenceWarning)
        net.fit(Z, Y, sample_weight=weight)
    hidden, output = net.coefs_
    b_hidden, b_output = net.intercepts_
    return (
        hidden.astype(np.float16),
        b_hidden.astype(np.float16),
        output.astype(np.float16),
        b_output.astype(np.float16),
    )


def _joint_logits(Z: np.ndarray, joint: Joint) -> np.ndarray:
    """The joint network's score (a logit) for each article, (n, L)."""
    hidden, b_hidden, output, b_output = (np.asarray(a, dtype=np.float32) for a in joint)
    return np.maximum(Z @ hidden + b_hidden, 0.0) @ output + b_output


# Neighbour votes, chosen by cross-validation on the train split: a softmax over cosine similarity
# at this temperature, among the most similar training documents (``neighbours``), and the vote
# share kept within [FLOOR, 1 - FLOOR] before its logit joins the calibration
NEIGHBOUR_TEMPERATURE, NEIGHBOUR_FLOOR = 0.02, 0.02
NEIGHBOUR_CHUNK = 1024  # query documents compared at once: bounds memory


class Pool(NamedTuple):
    """Training documents as kept for neighbour votes."""

    components: np.ndarray | None  # (d, p) directions the vectors are projected on; None: kept whole
    vectors: np.ndarray  # (n, p) int8, one scale per row
    scales: np.ndarray  # (n,) float32
    labels: np.ndarray  # (n, L) bool
    weights: np.ndarray  # (n,) float32 sample weights

    @property
    def reads(self) -> int:
        """The dimension of the vectors the pool is searched with."""
        return self.vectors.shape[1] if self.components is None else len(self.components)


def _directions(unit: np.ndarray, dims: int) -> np.ndarray:
    """The ``dims`` directions that keep the most of the rows' inner products (uncentred PCA), (d, p)."""
    _, _, vt = np.linalg.svd(unit, full_matrices=False)
    return np.ascontiguousarray(vt[:dims].T, dtype=np.float32)


def _pool(vectors: np.ndarray, Y: np.ndarray, weight: np.ndarray, dims: int = 0) -> Pool:
    """Training documents as stored for neighbour votes: along their ``dims`` principal directions
    (0: whole), rounded as saved."""
    unit = normalise(vectors)
    components = _half(_directions(unit, dims)) if dims and len(unit) else None
    projected = unit if components is None else unit @ _single(components)
    quantised, scales = quantise_rows(projected)
    return Pool(
        components, quantised, scales, np.asarray(Y, dtype=bool), np.asarray(weight, dtype=np.float32)
    )


def neighbour_votes(vectors: np.ndarray, mask: np.ndarray, pool: Pool, k: int) -> np.ndarray:
    """Each document's weighted label shares among its ``k`` most similar pool documents, (n, L).

    Similarity is the cosine of the vectors projected on the pool's directions. A neighbour's
    vote is its sample weight times a softmax of that similarity; documents outside ``mask`` (the
    encoder does not read them) get the pool's overall label shares.
    """
    components, quantised, scales, labels, weights = pool
    if not len(quantised):  # no training document the encoder reads: no opinion
        return np.zeros((len(vectors), labels.shape[1]))
    dense = normalise(quantised.astype(np.float32) * scales[:, None])
    overall = weights @ labels / max(float(weights.sum()), 1e-12)
    votes = np.tile(overall, (len(vectors), 1))
    k = min(k, len(dense))
    rows = np.flatnonzero(mask)
    directions = None if components is None else _single(components)
    for start in range(0, len(rows), NEIGHBOUR_CHUNK):
        idx = rows[start : start + NEIGHBOUR_CHUNK]
        query = normalise(vectors[idx])
        if directions is not None:
            query = normalise(query @ directions)
        sims = query @ dense.T
        top = np.argpartition(-sims, k - 1, axis=1)[:, :k]
        near = np.take_along_axis(sims, top, axis=1)
        w = np.exp((near - near.max(axis=1, keepdims=True)) / NEIGHBOUR_TEMPERATURE) * weights[top]
        w /= np.maximum(w.sum(axis=1, keepdims=True), 1e-12)
        votes[idx] = np.einsum("nk,nkl->nl", w, labels[top].astype(np.float32))
    return votes


def _vote_logit(votes: np.ndarray) -> np.ndarray:
    share = NEIGHBOUR_FLOOR + (1 - 2 * NEIGHBOUR_FLOOR) * votes
    return np.log(share / (1 - share))


RELATIVE_GRID = (0.0, 0.2, 0.3, 0.4, 0.5)  # candidate thresholds relative to a document's top article
SHRINK = 50  # pseudo-examples pulling each article's own threshold towards the global one


def _fit_head(
    docs: np.ndarray,
    y: np.ndarray,
    weight: np.ndarray,
    protos: np.ndarray | None,
    proto_weight: float,
    C: float,
) -> tuple[np.ndarray, float] | None:
    """One article's logistic regression; its own prototypes join as weighted positives."""
    if protos is not None:
        docs = np.vstack([docs, protos])
        y = np.r_[y, np.ones(len(protos), dtype=bool)]
        weight = np.r_[weight, np.full(len(protos), proto_weight)]
    if not y.any() or y.all():
        return None
    lr = LogisticRegression(C=C, max_iter=2000, class_weight="balanced").fit(docs, y, sample_weight=weight)
    return lr.coef_[0], float(lr.intercept_[0])


def _sigmoid(z: np.ndarray | float) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.asarray(z, dtype=np.float64)))


def _micro_f1(Y: np.ndarray, P: np.ndarray) -> float:
    tp = float(np.logical_and(Y, P).sum())
    denom = float(Y.sum() + P.sum())
    return 2 * tp / denom if denom else 0.0


def decide(
    proba: np.ndarray,
    engaged: np.ndarray,
    thresholds: np.ndarray,
    relative: float = 0.0,
    crosswalk: np.ndarray | None = None,
) -> np.ndarray:
    """Tagging decisions (n, L) from calibrated probabilities.

    In a document that engages some right (``engaged``): an article is tagged when its
    probability reaches its threshold and at least ``relative`` times the document's highest
    probability; and a covenant article is kept only beside one of the UDHR articles it is crosswalked to
    (``crosswalk[j]`` marks them), so predictions stay consistent with the crosswalk.
    """
    tagged = (proba >= thresholds) & (proba >= relative * proba.max(axis=1, keepdims=True))
    if crosswalk is not None:
        needs = crosswalk.any(axis=1)
        # float products: numpy has no fast integer matrix product, and this runs hundreds of
        # times while the decision rule is chosen
        has_partner = (tagged.astype(np.float32) @ crosswalk.T.astype(np.float32)) > 0
        tagged &= ~needs | has_partner
    return tagged & np.asarray(engaged, dtype=bool)[:, None]


class RightsClassifier(BaseEstimator):
    """One logistic regression per article on frozen embeddings, calibrated and thresholded.

    - Each article's embedded summary and cue phrases join the training data as extra positive
      examples (``prototype_weight``), so rare articles are not blind.
    - A document's score blends the classifier applied to the whole text and to its best sentence
      (``sentence_weight``); the best sentences are also the evidence.
    - The text's similarity to each article's description is added as a prior (``prior_weight``),
      which keeps the ranking sensible on text unlike the training examples.
    - Each whole-text encoder in the input (``Encoded.whole``) gets its own logistic regression
      per article, fitted on the documents it applies to; ``whole_weight`` times its score is
      added where it applies.
    - A small neural network (one hidden layer) reads the document vector and every whole-text
      vector together and scores all articles at once, so it can learn what no single encoder
      shows and which articles go together; ``joint_weight`` times its logit is added (0: none).
    - Neighbour votes: the labels of the ``neighbours`` most similar training documents (by the
      first whole-text encoder's vectors, else the document vectors), weighted by similarity and
      sample weight, so label combinations seen in the examples carry over (0: none). The
      training documents' vectors are kept in the model for this, as int8 coordinates along
      their ``neighbour_dims`` principal directions (0: whole), so the model stays small.
    - A separate head says whether a text engages any right at all ("no right engaged"); texts
      below its threshold get no tag (``engaged``). It reads the document vector and, with
      ``gate_whole``, every whole-text encoder's vector too. The threshold is the strictest that loses at
      most 1% of the cross-validated texts that do engage a right, loosened 1% at a time up to
      ``max_positive_loss`` until ``negatives_abstained`` of the cross-validated texts that
      engage none get no tag.
    - One logistic curve, fitted on out-of-fold scores from ``cv``-fold cross-validation on the
      training data, maps scores (and the logit of the neighbour votes beside them) to
      probabilities (calibration). The decision rule (see
      ``decide``: a global threshold, a threshold relative to the document's top article, covenant
      articles only beside a ``crosswalk`` partner) is chosen on the same out-of-fold predictions,
      without letting more texts that engage no right be tagged; each article then gets its own threshold, its
      best on those predictions shrunk towards the global one by ``SHRINK`` pseudo-examples, so
      rare articles keep the global threshold. The dev split is never seen.
    """

    def __init__(
        self,
        prototypes: np.ndarray | None = None,
        starts: np.ndarray | None = None,
        C: float = 4.0,
        prototype_weight: float = 1.0,
        sentence_weight: float = 0.2,
        prior_weight: float = 5.0,
        max_positive_loss: float = 0.05,
        negatives_abstained: float = 0.95,
        whole_weight: float = 1.0,
        gate_whole: bool = True,
        joint_weight: float = 3.0,
        neighbours: int = 30,
        neighbour_dims: int = 192,
        cv: int = 2,
        random_state: int = 0,
        verbose: bool = False,
        n_jobs: int | None = -1,
        crosswalk: np.ndarray | None = None,
    ) -> None:
        self.prototypes = prototypes
        self.starts = starts
        self.crosswalk = crosswalk
        self.C = C
        self.prototype_weight = prototype_weight
        self.sentence_weight = sentence_weight
        self.prior_weight = prior_weight
        self.max_positive_loss = max_positive_loss
        self.negatives_abstained = negatives_abstained
        self.whole_weight = whole_weight
        self.gate_whole = gate_whole
        self.joint_weight = joint_weight
        self.neighbours = neighbours
        self.neighbour_dims = neighbour_dims
        self.cv = cv
        self.random_state = random_state
        self.verbose = verbose
        self.n_jobs = n_jobs

    def _fit_heads(
        self,
        docs: np.ndarray,
        Y: np.ndarray,
        weight: np.ndarray,
        bar: Any = None,
        own_prototypes: bool = True,
    ) -> Heads:
        """One head per article on ``docs``; ``own_prototypes``: the article descriptions join
        (only for vectors from the sentence encoder, which embedded them).

        An article with no positive example gets intercept -10 (never predicted) from the sentence
        heads, and 0 (no opinion) from a whole-text encoder's heads.
        """
        from joblib import Parallel, delayed

        n_labels = Y.shape[1]
        own: list[np.ndarray | None] = [None] * n_labels
        if (
            own_prototypes
            and self.prototype_weight > 0
            and self.prototypes is not None
            and self.starts is not None
        ):
            bounds = np.r_[self.starts, len(self.prototypes)]
            own = [self.prototypes[bounds[j] : bounds[j + 1]] for j in range(n_labels)]
        jobs = (
            delayed(_fit_head)(docs, Y[:, j], weight, own[j], self.prototype_weight, self.C)
            for j in range(n_labels)
        )
        coef = np.zeros((n_labels, docs.shape[1]))
        intercept = np.full(n_labels, -10.0 if own_prototypes else 0.0)
        results = Parallel(n_jobs=self.n_jobs, return_as="generator")(jobs)
        for j, fitted in enumerate(results):
            if fitted is not None:
                coef[j], intercept[j] = fitted
            if bar is not None:
                bar.update()
        # rounded to float16, the precision they are saved at, so a loaded model predicts the same
        return coef.astype(np.float16).astype(np.float32), intercept

    def _fit_joint(self, X: Encoded, Y: np.ndarray, weight: np.ndarray, bar: Any = None) -> Joint | None:
        """The joint network on all of ``X``'s vectors (none when ``joint_weight`` is 0)."""
        if not self.joint_weight:
            return None
        joint = _fit_joint(self._joint_input(X), Y, weight, self.random_state)
        if bar is not None:
            bar.update()
        return joint

    def _neighbour_view(self, X: Encoded) -> tuple[np.ndarray, np.ndarray]:
        """The vectors neighbours are found by, and the documents they apply to."""
        return X.whole[0] if X.whole else (X.docs, ~X.empty)

    def _fit_pool(self, X: Encoded, Y: np.ndarray, weight: np.ndarray) -> Pool | None:
        """The training documents neighbour votes come from (none when ``neighbours`` is 0)."""
        if not self.neighbours:
            return None
        vectors, mask = self._neighbour_view(X)
        return _pool(vectors[mask], Y[mask], weight[mask], self.neighbour_dims)

    def _votes(self, X: Encoded, pool: Pool | None) -> np.ndarray | None:
        """The logit of each document's neighbour votes, (n, L); none without a pool."""
        if pool is None:
            return None
        vectors, mask = self._neighbour_view(X)
        return _vote_logit(neighbour_votes(vectors, mask, pool, self.neighbours))

    def _fit_whole(self, X: Encoded, Y: np.ndarray, weight: np.ndarray, bar: Any = None) -> list[Heads]:
        """Heads per whole-text encoder, each fitted on the documents it applies to."""
        return [self._fit_heads(v[m], Y[m], weight[m], bar, own_prototypes=False) for v, m in X.whole]

    def _scores(
        self, X: Encoded, coef: np.ndarray, intercept: np.ndarray, whole: list[Heads], joint: Joint | None
    ) -> tuple[np.ndarray, np.ndarray]:
        if len(X.whole) != len(whole):
            raise ValueError(f"the model has {len(whole)} whole-text encoders, the input {len(X.whole)}")
        doc = X.docs @ coef.T + intercept
        sent = X.sentences @ coef.T + intercept
        best = doc.copy()  # the better of the whole text and its best sentence
        np.maximum.at(best, X.owner, sent)
        w = self.sentence_weight
        score = (1 - w) * doc + w * best
        if self.prior_weight and self.prototypes is not None and self.starts is not None:
            score = score + self.prior_weight * prototype_similarity(X.docs, self.prototypes, self.starts)
        for (vectors, mask), (w_coef, w_intercept) in zip(X.whole, whole, strict=True):
            score = score + self.whole_weight * mask[:, None] * (vectors @ w_coef.T + w_intercept)
        if joint is not None:
            score = score + self.joint_weight * _joint_logits(self._joint_input(X), joint)
        return score, sent

    def check_params(self) -> None:
        """Raise ValueError on a parameter out of range (before any costly work)."""
        if not 0.0 <= self.negatives_abstained <= 1.0:
            raise ValueError(
                f"negatives_abstained must be a share from 0 to 1, not {self.negatives_abstained}"
            )
        if not 0.01 <= self.max_positive_loss <= 1.0:
            raise ValueError(
                f"max_positive_loss must be a share from 0.01 to 1, not {self.max_positive_loss}"
            )
        for name in ("neighbours", "neighbour_dims"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 0:
                raise ValueError(f"{name} must be a whole number from 0 up, not {value!r}")

    def fit(self, X: Encoded, Y: np.ndarray, sample_weight: np.ndarray | None = None) -> RightsClassifier:
        """Fit on embedded documents and a (n, L) 0/1 label matrix; ``sample_weight`` per document."""
        from sklearn.model_selection import KFold

        self.check_params()
        Y = np.asarray(Y, dtype=bool)
        if Y.shape[0] != len(X):
            raise ValueError(f"Y has {Y.shape[0]} rows but X has {len(X)} documents")
        weight = np.ones(len(X)) if sample_weight is None else np.asarray(sample_weight, dtype=float)
        oof = np.zeros(Y.shape)
        oof_votes = np.zeros(Y.shape)
        oof_any = np.ones(len(X))
        engaged: np.ndarray = np.asarray(Y.any(axis=1))
        gate = self._gate_input(X)
        folds = KFold(n_splits=self.cv, shuffle=True, random_state=self.random_state)
        total = (self.cv + 1) * (Y.shape[1] * (1 + len(X.whole)) + (self.joint_weight > 0))
        bar = tqdm(total=total, desc="fitting", unit="heads", disable=not self.verbose)
        for fit_idx, held_idx in folds.split(X.docs):
            fit = X.subset(fit_idx)
            coef, intercept = self._fit_heads(fit.docs, Y[fit_idx], weight[fit_idx], bar)
            whole = self._fit_whole(fit, Y[fit_idx], weight[fit_idx], bar)
            joint = self._fit_joint(fit, Y[fit_idx], weight[fit_idx], bar)
            held = X.subset(held_idx)
            oof[held_idx] = self._scores(held, coef, intercept, whole, joint)[0]
            votes = self._votes(held, self._fit_pool(fit, Y[fit_idx], weight[fit_idx]))
            if votes is not None:
                oof_votes[held_idx] = votes
            head = _fit_head(gate[fit_idx], engaged[fit_idx], weight[fit_idx], None, 0.0, self.C)
            if head is not None:
                oof_any[held_idx] = _sigmoid(gate[held_idx] @ head[0] + head[1])
        features = (
            np.stack([oof.ravel(), oof_votes.ravel()], axis=1) if self.neighbours else oof.reshape(-1, 1)
        )
        cal = LogisticRegression(C=1e4, max_iter=1000).fit(features, Y.ravel())
        self.calibration_ = (float(cal.coef_[0, 0]), float(cal.intercept_[0]), *map(float, cal.coef_[0, 1:]))
        proba = self._calibrate(oof, oof_votes)
        self.oof_proba_ = proba
        head = _fit_head(gate, engaged, weight, None, 0.0, self.C)
        any_coef, any_intercept = head if head is not None else (np.zeros(gate.shape[1]), 10.0)
        self.any_coef_: np.ndarray = np.asarray(any_coef, dtype=np.float32)
        self.any_intercept_ = float(any_intercept)
        self._fit_gate_and_rule(Y, proba, oof_any)
        self.coef_, self.intercept_ = self._fit_heads(X.docs, Y, weight, bar)
        self.whole_: list[Heads] = self._fit_whole(X, Y, weight, bar)
        self.joint_: Joint | None = self._fit_joint(X, Y, weight, bar)
        self.pool_: Pool | None = self._fit_pool(X, Y, weight)
        bar.close()
        return self

    def _fit_gate_and_rule(self, Y: np.ndarray, proba: np.ndarray, oof_any: np.ndarray) -> None:
        """The "no right engaged" gate, then the decision rule under it (see class doc).

        The gate is the strictest threshold on ``oof_any`` (out-of-fold probability of engaging
        any right) that loses at most 1% of the documents that do; the allowed loss then grows
        by 1% at a time, up to ``max_positive_loss``, until at least ``negatives_abstained`` of
        the documents that engage no right are left untagged end to end.
        """
        grid = np.linspace(0.05, 0.95, 91)
        engaged, negatives = Y.any(axis=1), ~Y.any(axis=1)
        lost = np.array([np.mean(oof_any[engaged] < g) if engaged.any() else 1.0 for g in grid])
        loss = 0.01
        while True:
            ok = grid[lost <= loss + 1e-9]
            self.abstain_threshold_ = float(ok.max()) if ok.size else 0.0
            self.oof_engaged_ = oof_any >= self.abstain_threshold_
            self._fit_decision_rule(Y, proba, self.oof_engaged_)
            if not negatives.any() or loss >= self.max_positive_loss:
                break
            if (
                np.mean(~self.decide(proba, self.oof_engaged_)[negatives].any(axis=1))
                >= self.negatives_abstained
            ):
                break
            loss = min(loss + 0.01, self.max_positive_loss)

    def _fit_decision_rule(self, Y: np.ndarray, proba: np.ndarray, engaged: np.ndarray) -> None:
        """Choose the global and relative thresholds, then per-article thresholds (see class doc)."""
        grid = np.linspace(0.05, 0.60, 56)
        negatives = ~Y.any(axis=1)
        candidates = []  # (F1, share of negatives left untagged, -relative, threshold)
        for r in RELATIVE_GRID:
            for t in grid:
                tagged = decide(proba, engaged, np.full(Y.shape[1], t), r, self.crosswalk)
                untagged = float(np.mean(~tagged[negatives].any(axis=1))) if negatives.any() else 1.0
                candidates.append((_micro_f1(Y, tagged), untagged, -r, t))
        plain = max(c for c in candidates if c[2] == 0)  # the best global threshold alone
        best = max(c for c in candidates if c[1] >= plain[1])  # ties: the simpler rule
        self.relative_threshold_ = -best[2]
        global_t = best[3]
        thresholds = np.full(Y.shape[1], global_t)
        for j in np.flatnonzero(Y.sum(axis=0)):
            y, p = Y[engaged, j], proba[engaged, j]
            own = grid[int(np.argmax([_micro_f1(y, p >= t) for t in grid]))]
            n = y.sum()
            thresholds[j] = (n * own + SHRINK * global_t) / (n + SHRINK)
        self.thresholds_ = thresholds

    @staticmethod
    def _joint_input(X: Encoded) -> np.ndarray:
        """The document vectors and every whole-text vector side by side."""
        return np.hstack([X.docs, *(vectors for vectors, _ in X.whole)])

    def _gate_input(self, X: Encoded) -> np.ndarray:
        """What the "no right engaged" head reads: the document vectors, and with ``gate_whole``
        the whole-text vectors beside them."""
        return self._joint_input(X) if self.gate_whole else X.docs

    def decide(self, proba: np.ndarray, engaged: np.ndarray) -> np.ndarray:
        """Tagging decisions (n, L) from calibrated probabilities and the "any right" gate."""
        return decide(proba, engaged, self.thresholds_, self.relative_threshold_, self.crosswalk)

    def _calibrate(self, scores: np.ndarray, votes: np.ndarray | None = None) -> np.ndarray:
        """Probabilities from scores, and from the neighbour votes' logits where the model has them."""
        a, b, *c = self.calibration_
        z = a * scores + b
        if c and votes is not None:
            z = z + c[0] * votes
        return 1.0 / (1.0 + np.exp(-z))

    def score(self, X: Encoded) -> tuple[np.ndarray, np.ndarray]:
        """Calibrated probabilities per document (n, L) and raw scores per sentence (m, L)."""
        doc, sent = self._scores(X, self.coef_, self.intercept_, self.whole_, self.joint_)
        proba = self._calibrate(doc, self._votes(X, self.pool_))
        proba[X.empty] = 0.0
        return proba, sent

    def predict_proba(self, X: Encoded) -> np.ndarray:
        """Calibrated probability that each article applies, (n, L)."""
        return self.score(X)[0]

    def engaged(self, X: Encoded) -> np.ndarray:
        """Whether each document engages any right at all; those that do not get no tag."""
        p_any = _sigmoid(self._gate_input(X) @ self.any_coef_ + self.any_intercept_)
        return (p_any >= self.abstain_threshold_) & ~X.empty

    _PARAMS = (
        "C",
        "prototype_weight",
        "sentence_weight",
        "prior_weight",
        "max_positive_loss",
        "negatives_abstained",
        "whole_weight",
        "gate_whole",
        "joint_weight",
        "neighbours",
        "neighbour_dims",
        "cv",
        "random_state",
    )

    def get_state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        """Plain parameters and arrays for a safe model file (no pickle)."""
        params: dict[str, Any] = {name: getattr(self, name) for name in self._PARAMS}
        params["calibration"] = list(self.calibration_)
        params["relative_threshold"] = self.relative_threshold_
        params["abstain_threshold"] = self.abstain_threshold_
        params["any_intercept"] = float(self.any_intercept_)
        arrays = {
            "coef": _half(self.coef_),
            "intercept": self.intercept_,
            "thresholds": self.thresholds_,
            "any_coef": np.asarray(self.any_coef_, dtype=np.float32),
        }
        for v, (w_coef, w_intercept) in enumerate(self.whole_):
            arrays[f"whole{v}_coef"], arrays[f"whole{v}_intercept"] = _half(w_coef), w_intercept
        if self.joint_ is not None:
            arrays.update(zip(JOINT_ARRAYS, self.joint_, strict=True))
        if self.pool_ is not None:
            components, vectors, scales, labels, weights = self.pool_
            arrays.update(
                neighbour_vectors=vectors,
                neighbour_scales=scales,
                neighbour_labels=np.packbits(labels, axis=1),
                neighbour_weights=weights,
            )
            if components is not None:
                arrays["neighbour_components"] = components
        if self.prototypes is not None:
            arrays["prototypes"] = _half(self.prototypes)
        for name in ("starts", "crosswalk"):
            if getattr(self, name) is not None:
                arrays[name] = np.asarray(getattr(self, name))
        return params, arrays

    @classmethod
    def from_state(cls, params: dict[str, Any], arrays: dict[str, np.ndarray]) -> RightsClassifier:
        """Rebuild a fitted classifier from ``get_state()`` output."""
        # format version 1 had no whole-text encoders; before session 6 the gate lost at most 1%;
        # before session 9 the gate read the document vectors only and there was no joint network;
        # before session 11 there were no neighbour votes, before session 12 no projection of them
        defaults: dict[str, Any] = {
            "whole_weight": 1.0,
            "negatives_abstained": 0.0,
            "gate_whole": False,
            "joint_weight": 0.0,
            "neighbours": 0,
            "neighbour_dims": 0,
        }
        clf = cls(
            None if arrays.get("prototypes") is None else _single(arrays["prototypes"]),
            arrays.get("starts"),
            crosswalk=arrays.get("crosswalk"),
            **{k: params[k] if k in params else defaults[k] for k in cls._PARAMS},
        )
        clf.calibration_ = tuple(float(v) for v in params["calibration"])
        clf.relative_threshold_ = float(params["relative_threshold"])
        clf.coef_ = np.asarray(arrays["coef"], dtype=np.float32)
        clf.intercept_ = np.asarray(arrays["intercept"], dtype=np.float64)
        clf.thresholds_ = np.asarray(arrays["thresholds"], dtype=np.float64)
        clf.abstain_threshold_ = float(params["abstain_threshold"])
        clf.any_coef_ = np.asarray(arrays["any_coef"], dtype=np.float32)
        clf.any_intercept_ = float(params["any_intercept"])
        clf.whole_ = []
        while f"whole{len(clf.whole_)}_coef" in arrays:
            v = len(clf.whole_)
            clf.whole_.append(
                (
                    np.asarray(arrays[f"whole{v}_coef"], dtype=np.float32),
                    np.asarray(arrays[f"whole{v}_intercept"], dtype=np.float64),
                )
            )
        clf.joint_ = None
        if clf.joint_weight:
            hidden, b_hidden, output, b_output = (
                np.asarray(arrays[k], dtype=np.float16) for k in JOINT_ARRAYS
            )
            clf.joint_ = (hidden, b_hidden, output, b_output)
        clf.pool_ = None
        if clf.neighbours:
            n_labels = len(arrays["thresholds"])
            components = arrays.get("neighbour_components")
            clf.pool_ = Pool(
                None if components is None else np.asarray(components, dtype=np.float16),
                np.asarray(arrays["neighbour_vectors"], dtype=np.int8),
                np.asarray(arrays["neighbour_scales"], dtype=np.float32),
                np.unpackbits(arrays["neighbour_labels"], axis=1, count=n_labels).astype(bool),
                np.asarray(arrays["neighbour_weights"], dtype=np.float32),
            )
        return clf
