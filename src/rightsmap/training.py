"""Training: the shipped default model, and retraining on a coalition's own labelled examples."""

from __future__ import annotations

import datetime
import warnings
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from .dataset import LabelledSet, load_labelled
from .embed import DEFAULT_EMBEDDER, DEFAULT_WHOLE_TEXT, EmbeddingCache
from .errors import DataError
from .evaluation import score_model, scores
from .norms import LABELS
from .tagger import CHUNK, UDHR_COLUMNS, Tagger, _check_texts, check_model_dir, load

MIN_EXAMPLES = 5  # fewer examples of a label than this gets a warning


def build_default(
    corpus: LabelledSet,
    embedder: str = DEFAULT_EMBEDDER,
    cache: EmbeddingCache | None = None,
    whole_text: Sequence[str] = DEFAULT_WHOLE_TEXT,
) -> Tagger:
    """The shipped model: fitted on the train split of our corpus, scored on its dev split."""
    train, dev = corpus.subset("train"), corpus.subset("dev")
    tagger = Tagger.train(train, embedder, cache=cache, whole_text=whole_text)
    tagger.meta["metrics"] = {"dev": score_model(tagger, dev.texts, dev.matrix(), UDHR_COLUMNS)}
    tagger.meta["created"] = datetime.date.today().isoformat()
    return tagger


def train(
    path: str | Path,
    text_column: str = "text",
    labels_column: str = "labels",
    output: str | Path | None = None,
    weight: float = 3.0,
    include_corpus: bool = True,
    embedder: str = DEFAULT_EMBEDDER,
    cache: EmbeddingCache | None = None,
    progress: bool = False,
    whole_text: Sequence[str] = DEFAULT_WHOLE_TEXT,
    neighbours: int = 30,
) -> Tagger:
    """Retrain on a coalition's labelled CSV (or folder of CSVs), on top of our corpus.

    The coalition's rows count ``weight`` times.

    Labels may be spelled ``UDHR 25``, ``udhr-25`` or ``Article 25 UDHR``; unknown labels raise
    DataError with the closest valid ID; labels with fewer than 5 examples give a warning, and
    so does a file whose rows are mostly unlabelled (an empty cell means "no right"). The
    returned tagger's ``meta["metrics"]["cross_validated"]`` holds out-of-fold figures on the
    coalition's rows. ``embedder`` encodes sentences, ``whole_text`` the whole texts (see
    ``Tagger``). ``neighbours``: how many similar training texts lend their labels to each
    text (see ``RightsClassifier``); 0 keeps no vector of any training text in the model.
    Saves the model directory when ``output`` is given (checked before training: a new or empty
    folder, or an earlier model directory).

    >>> tagger = rightsmap.train("our_labels.csv", output="models/my-coalition")  # doctest: +SKIP
    """
    if not weight > 0:
        raise ValueError(f"weight must be a positive number, got {weight!r}")
    if output is not None:
        check_model_dir(output)  # before minutes of training, not after
    theirs = load_labelled(path, text_column, labels_column)
    unlabelled = sum(not row for row in theirs.labels)
    if unlabelled > len(theirs) / 2:
        warnings.warn(
            f"{unlabelled} of the {len(theirs)} rows of {path} have no label, so they are trained as "
            "testimonies that engage no right: remove the rows you have not labelled yet",
            stacklevel=2,
        )
    counts = Counter(label for row in theirs.labels for label in row)
    rare = sorted((aid for aid, n in counts.items() if n < MIN_EXAMPLES), key=LABELS.index)
    if rare:
        warnings.warn(
            f"fewer than {MIN_EXAMPLES} examples of {', '.join(rare)} in {path}: "
            "these labels rely mostly on our corpus",
            stacklevel=2,
        )
    ours = load_labelled().subset("train") if include_corpus else LabelledSet([], [], [], [])
    data = LabelledSet(
        ours.texts + theirs.texts,
        ours.labels + theirs.labels,
        ours.langs + theirs.langs,
        ["train"] * (len(ours) + len(theirs)),
    )
    sample_weight = np.r_[np.ones(len(ours)), np.full(len(theirs), float(weight))]
    cache = cache or EmbeddingCache(progress=progress)
    tagger = Tagger.train(
        data,
        embedder,
        sample_weight=sample_weight,
        cache=cache,
        whole_text=whole_text,
        verbose=progress,
        neighbours=neighbours,
    )
    clf = tagger.scorer
    oof = clf.oof_proba_[len(ours) :]
    decided = clf.decide(oof, clf.oof_engaged_[len(ours) :])
    tagger.meta["metrics"] = {"cross_validated": scores(theirs.matrix(), oof, decided, UDHR_COLUMNS)}
    tagger.meta["training_data"]["coalition_rows"] = len(theirs)
    tagger.meta["training_data"]["coalition_weight"] = float(weight)
    tagger.meta["created"] = datetime.date.today().isoformat()
    if output is not None:
        tagger.save(output)
    return tagger


def evaluate(
    path: str | Path | None = None,
    model: str | Path | Tagger | None = None,
    split: str | None = "dev",
    text_column: str = "text",
    labels_column: str = "labels",
) -> dict[str, Any]:
    """Evaluate a model (default: the bundled one) on a labelled CSV or folder (default: our dev split).

    ``split=None`` uses every row. Returns figures overall, per language and per label.
    """
    data = load_labelled(path, text_column, labels_column)
    if split is not None:
        chosen = data.subset(split)
        if not len(chosen):
            # a row with no split value counts as train (load_labelled): say so, since a
            # coalition's own file usually has no split column
            found = ", ".join(f"{n} {s}" for s, n in sorted(Counter(data.splits).items()))
            raise DataError(
                f"no row of {path or 'the bundled corpus'} has split {split!r} (its rows: {found}; "
                "a row with no split value counts as train): score every row with --split all "
                "(split=None), but not with a model trained on these rows, whose figures on them "
                "are no fair test (`rightsmap train` prints cross-validated ones)"
            )
        data = chosen
    tagger = model if isinstance(model, Tagger) else load(model)
    return tagger.evaluate(data)


def suggest_labels(
    texts: Sequence[str], n: int = 50, model: str | Path | Tagger | None = None, diversity: float = 0.5
) -> list[tuple[int, float]]:
    """Which texts to label next to improve the model most: ``(index, expected errors)``, best first.

    A text's score is the expected number of wrong tagging decisions on it under the model's own
    calibrated probabilities (a tag given with confidence p is wrong with probability 1 - p; one
    withheld is wrong with probability p). Texts are picked greedily by that score, discounted by
    ``diversity`` times their highest cosine similarity to a text already picked, so
    near-duplicates are not suggested twice. Empty texts are never suggested.
    """
    if not isinstance(n, int) or n < 1:
        raise ValueError(f"n must be a positive integer, got {n!r}")
    if not 0.0 <= diversity <= 1.0:
        raise ValueError(f"diversity must be between 0 and 1, got {diversity!r}")
    tagger = model if isinstance(model, Tagger) else load(model)
    expected, docs = [], []
    for i in range(0, len(texts), CHUNK):
        encoded = tagger._encode(_check_texts(texts[i : i + CHUNK]))[0]
        proba = tagger.scorer.predict_proba(encoded)
        tagged = tagger.scorer.decide(proba, tagger.scorer.engaged(encoded))
        errors = np.where(tagged, 1.0 - proba, proba).sum(axis=1)
        errors[encoded.empty] = 0.0
        expected.append(errors)
        docs.append(encoded.docs)
    score = np.concatenate(expected) if expected else np.zeros(0)
    vectors = np.vstack(docs) if docs else np.zeros((0, 1), dtype=np.float32)
    available = score > 0
    discount = diversity * score.max(initial=0.0)  # similarity 1 costs this much
    picked: list[int] = []
    closest = np.full(len(score), -1.0)  # highest similarity to a picked text
    for _ in range(min(n, int(available.sum()))):
        gain = np.where(available, score - discount * np.maximum(closest, 0.0), -np.inf)
        best = int(np.argmax(gain))
        picked.append(best)
        available[best] = False
        closest = np.maximum(closest, vectors @ vectors[best])
    return [(i, float(score[i])) for i in picked]
