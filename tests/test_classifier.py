import csv
from pathlib import Path

import numpy as np
import pytest

from rightsmap.classifier import RightsClassifier, _pool, decide, neighbour_votes
from rightsmap.embed import Encoded
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


def _synthetic(seed: int = 0, n: int = 120):
    """Sentence vectors that are pure noise; the label lives in a whole-text vector that applies
    to the first two thirds of the documents only."""
    rng = np.random.default_rng(seed)
    y = np.arange(n) % 2 == 0
    sentences = rng.normal(size=(n, 8)).astype(np.float32)
    whole = rng.normal(size=(n, 4)).astype(np.float32)
    whole[:, 0] += np.where(y, 3.0, -3.0)
    mask = np.arange(n) < 2 * n // 3
    whole[~mask] = 0.0
    Y = np.stack([y, ~y], axis=1)
    return sentences, whole, mask, Y


def _encoded(sentences, whole=None, mask=None):
    views = [] if whole is None else [(whole, mask)]
    return Encoded(sentences, np.arange(len(sentences)), len(sentences), views)


def _classifier(**params):
    return RightsClassifier(prior_weight=0.0, cv=3, n_jobs=1, **params)


def test_whole_text_heads_learn_what_the_sentences_miss():
    sentences, whole, mask, Y = _synthetic()
    with_view = _classifier().fit(_encoded(sentences, whole, mask), Y)
    without = _classifier().fit(_encoded(sentences), Y)
    test_s, test_w, test_m, test_Y = _synthetic(seed=1)
    p_with = with_view.predict_proba(_encoded(test_s, test_w, test_m))
    p_without = without.predict_proba(_encoded(test_s))
    right_with = np.mean((p_with[test_m, 0] > p_with[test_m, 1]) == test_Y[test_m, 0])
    right_without = np.mean((p_without[test_m, 0] > p_without[test_m, 1]) == test_Y[test_m, 0])
    assert right_with >= 0.95 and right_without <= 0.75


def test_whole_text_score_is_added_only_where_the_encoder_applies():
    sentences, whole, mask, Y = _synthetic()
    clf = _classifier(neighbours=0).fit(_encoded(sentences, whole, mask), Y)  # votes read the mask too
    p_on = clf.predict_proba(_encoded(sentences, whole, mask))
    p_off = clf.predict_proba(_encoded(sentences, whole, np.zeros_like(mask)))
    # calibrated p = sigmoid(a * score + b): the logit moves by a * (whole head's score) where it applies
    a, _ = clf.calibration_
    coef, intercept = clf.whole_[0]
    expected = a * clf.whole_weight * (whole @ coef.T + intercept)
    moved = np.log(p_on / (1 - p_on)) - np.log(p_off / (1 - p_off))
    assert np.allclose(moved[mask], expected[mask], atol=1e-3)
    assert np.allclose(moved[~mask], 0.0, atol=1e-6)


def test_whole_text_heads_survive_the_state_round_trip_and_must_match_the_input():
    sentences, whole, mask, Y = _synthetic()
    clf = _classifier().fit(_encoded(sentences, whole, mask), Y)
    params, arrays = clf.get_state()
    assert arrays["joint_hidden"].dtype == np.float16 and arrays["joint_hidden"].shape == (8 + 4, 256)
    # neighbour votes: the documents the whole-text encoder reads, as int8, labels as bits
    assert arrays["neighbour_vectors"].dtype == np.int8 and arrays["neighbour_vectors"].shape == (
        mask.sum(),
        4,
    )
    assert arrays["neighbour_labels"].shape == (mask.sum(), 1)
    again = RightsClassifier.from_state(params, arrays)
    X = _encoded(sentences, whole, mask)
    assert np.array_equal(again.predict_proba(X), clf.predict_proba(X))
    assert np.array_equal(again.engaged(X), clf.engaged(X))
    with pytest.raises(ValueError, match="1 whole-text encoders, the input 0"):
        again.predict_proba(_encoded(sentences))


def test_the_no_right_gate_reads_the_whole_text_vectors_too():
    # the first label says "engages a right"; only the whole-text vector shows it
    sentences, whole, mask, Y = _synthetic(n=240)
    Y[:, 1] = False
    test_s, test_w, test_m, test_Y = _synthetic(seed=1, n=240)
    right = {}
    for gate_whole in (True, False):
        clf = RightsClassifier(prior_weight=0.0, cv=3, n_jobs=1, gate_whole=gate_whole)
        clf.fit(_encoded(sentences, whole, mask), Y)
        engaged = clf.engaged(_encoded(test_s, test_w, test_m))
        right[gate_whole] = np.mean(engaged[test_m] == test_Y[test_m, 0])
    assert right[True] >= 0.95 and right[False] <= 0.75
    params, arrays = clf.get_state()
    del params["gate_whole"], params["joint_weight"]  # as written before both existed
    old = RightsClassifier.from_state(params, arrays)
    assert old.gate_whole is False and old.joint_weight == 0.0 and old.joint_ is None


def test_joint_network_learns_what_no_single_encoder_shows():
    # the label is the exclusive or of a sentence direction and a whole-text direction: each
    # encoder's own linear heads are blind to it, a network reading both sees it
    def data(seed, n=1200):
        rng = np.random.default_rng(seed)
        sentences = rng.normal(size=(n, 8)).astype(np.float32)
        whole = rng.normal(size=(n, 4)).astype(np.float32)
        y = (sentences[:, 0] > 0) ^ (whole[:, 0] > 0)
        return _encoded(sentences, whole, np.ones(n, dtype=bool)), np.stack([y, ~y], axis=1)

    X, Y = data(0)
    test_X, test_Y = data(1)
    right = {}
    for joint_weight in (1.0, 0.0):
        clf = RightsClassifier(prior_weight=0.0, cv=3, n_jobs=1, joint_weight=joint_weight).fit(X, Y)
        p = clf.predict_proba(test_X)
        right[joint_weight] = np.mean((p[:, 0] > p[:, 1]) == test_Y[:, 0])
    assert right[1.0] >= 0.9 and right[0.0] <= 0.6
    assert clf.joint_ is None and "joint_hidden" not in clf.get_state()[1]


def test_an_article_without_examples_gets_no_opinion_from_whole_text_heads():
    sentences, whole, mask, Y = _synthetic()
    Y = np.hstack([Y, np.zeros((len(Y), 1), dtype=bool)])
    clf = _classifier().fit(_encoded(sentences, whole, mask), Y)
    coef, intercept = clf.whole_[0]
    assert intercept[2] == 0.0 and not coef[2].any()
    assert clf.intercept_[2] == -10.0  # the sentence heads never predict it


@pytest.mark.parametrize(
    "negatives_at, target, gate",
    [
        (0.218, 0.95, 0.22),  # 1% loss lets the negatives through; 2% stops them all
        (0.95, 0.95, 0.9),  # the negatives look engaged: loosen up to max_positive_loss (5%)
        (0.218, 0.0, 0.21),  # no target: the strictest gate losing at most 1%
    ],
)
def test_gate_loosens_until_enough_negatives_get_no_tag(negatives_at, target, gate):
    # 100 engaged texts: five with a low chance of engaging any right (0.205, 0.215, ... 0.245),
    # so a gate at 0.21 loses 1% of them, 0.22 loses 2%, ..., 0.25 to 0.90 lose 5%; 20 negatives
    # that the article scores cannot tell apart from the engaged texts
    engaged_any = np.r_[0.205 + 0.01 * np.arange(5), np.full(95, 0.9)]
    oof_any = np.r_[engaged_any, np.full(20, negatives_at)]
    Y = np.zeros((120, 2), dtype=bool)
    Y[:100, 0] = True
    proba = np.tile([0.9, 0.05], (120, 1))
    clf = RightsClassifier(max_positive_loss=0.05, negatives_abstained=target)
    clf._fit_gate_and_rule(Y, proba, oof_any)
    assert clf.abstain_threshold_ == pytest.approx(gate)


@pytest.mark.parametrize(
    "params, message",
    [
        ({"negatives_abstained": 95}, "negatives_abstained must be a share from 0 to 1, not 95"),
        ({"max_positive_loss": 0.0}, "max_positive_loss must be a share from 0.01 to 1, not 0.0"),
    ],
)
def test_gate_settings_out_of_range_are_refused(params, message):
    sentences, _, _, Y = _synthetic()
    with pytest.raises(ValueError, match=message):
        RightsClassifier(**params).fit(_encoded(sentences), Y)


def test_neighbour_votes_by_hand():
    # a and b are equally close to the query (cosine 0.707), c is opposite; b weighs three times a
    pool = _pool(
        np.array([[1.0, 1.0], [1.0, -1.0], [-1.0, 0.0]]) / np.array([[2**0.5], [2**0.5], [1.0]]),
        np.array([[1, 0, 1], [0, 1, 1], [1, 1, 0]], dtype=bool),
        np.array([1.0, 3.0, 1.0]),
    )
    query = np.array([[1.0, 0.0], [1.0, 0.0]], dtype=np.float32)
    votes = neighbour_votes(query, np.array([True, False]), pool, k=2)
    assert np.allclose(votes[0], [0.25, 0.75, 1.0], atol=1e-6)
    # a document the encoder does not read gets the pool's weighted label shares: (a + 3b + c) / 5
    assert np.allclose(votes[1], [0.4, 0.8, 0.8], atol=1e-6)


def test_pool_keeps_the_principal_directions_of_its_vectors():
    # 40 unit vectors in 6 dimensions that vary only along the first two (a circle), kept along 2
    angle = np.linspace(0, 2 * np.pi, 40, endpoint=False)
    vectors = np.zeros((40, 6))
    vectors[:, 0], vectors[:, 1] = np.cos(angle), np.sin(angle)
    rotation = np.linalg.qr(np.random.default_rng(0).normal(size=(6, 6)))[0]
    labels = (np.arange(40) % 4 == 0)[:, None]
    pool = _pool(vectors @ rotation, labels, np.ones(40), dims=2)
    assert pool.components.shape == (6, 2) and pool.vectors.shape == (40, 2)
    # the two directions span the circle's plane: projecting on them loses nothing
    plane = rotation[:2]
    kept = np.asarray(pool.components, dtype=np.float64)
    assert np.allclose(plane @ kept @ kept.T, plane, atol=2e-3)
    # a query on the circle finds itself, and its votes are those of the whole vectors
    query = (vectors @ rotation)[[0, 5]]
    whole = _pool(vectors @ rotation, labels, np.ones(40), dims=6)
    mask = np.array([True, True])
    assert np.allclose(
        neighbour_votes(query, mask, pool, k=3), neighbour_votes(query, mask, whole, k=3), atol=1e-3
    )


def test_neighbour_votes_learn_what_linear_heads_cannot():
    # the label alternates around a circle (eight sectors): no linear head separates it, the
    # labels of the nearest training documents do
    def data(seed, n=800):
        rng = np.random.default_rng(seed)
        angle = rng.uniform(0, 2 * np.pi, n)
        whole = np.stack([np.cos(angle), np.sin(angle)], axis=1).astype(np.float32)
        y = (angle // (np.pi / 4)).astype(int) % 2 == 0
        sentences = rng.normal(size=(n, 8)).astype(np.float32)
        return _encoded(sentences, whole, np.ones(n, dtype=bool)), np.stack([y, ~y], axis=1)

    X, Y = data(0)
    test_X, test_Y = data(1)
    right = {}
    for k in (30, 0):
        clf = _classifier(joint_weight=0.0, neighbours=k).fit(X, Y)
        p = clf.predict_proba(test_X)
        right[k] = np.mean((p[:, 0] > p[:, 1]) == test_Y[:, 0])
    assert right[30] >= 0.9 and right[0] <= 0.65
    assert clf.pool_ is None and "neighbour_vectors" not in clf.get_state()[1]


@pytest.mark.parametrize("name", ["neighbours", "neighbour_dims"])
@pytest.mark.parametrize("bad", [-1, 2.5, True])
def test_neighbour_settings_must_be_whole_numbers(name, bad):
    sentences, whole, mask, Y = _synthetic()
    with pytest.raises(ValueError, match=f"^{name} must be a whole number from 0 up, not {bad!r}$"):
        _classifier(**{name: bad}).fit(_encoded(sentences, whole, mask), Y)
