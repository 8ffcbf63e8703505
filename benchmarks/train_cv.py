"""Compare classifier settings by cross-validation on the train split only (the dev split and the
held-out set stay unseen), the way we choose them.

    python benchmarks/train_cv.py --compare max_positive_loss=0.01 negatives_abstained=0
    python benchmarks/train_cv.py --whole-text use,minilm,words     # the default without one encoder
    python benchmarks/train_cv.py --tfidf 128,8000      # a smaller tfidf encoder (dimensions, words)
    python benchmarks/train_cv.py --compare neighbours=0 --blocked  # folds of consecutive rows
    python benchmarks/train_cv.py --errors 10    # also the 10 articles with the most wrong decisions
    python benchmarks/train_cv.py --learning-curve   # each fold fitted on 1/4, 1/2, 3/4, all its rows
    python benchmarks/train_cv.py --extra new-rows.csv   # do new testimonies help on the ones we have?

Outer 5-fold CV: in each fold, the shipped recipe (``RightsClassifier`` with the default model's
embedders, each model with its own inner cross-validation for calibration and thresholds) is
refitted on four fifths of the train split and tags the fifth (a ``tfidf`` encoder is fitted on
those four fifths too); ``--compare`` refits the same with some parameters changed,
``--whole-text`` with other whole-text encoders. Prints micro-F1
overall and by language, the share of texts that engage no right and get no tag, the share
of texts that engage a right but get no tag at all, and the ranking figures (UDHR recall@3 and
top-1, as in benchmarks/quality.py); ``--errors N`` then the N articles with the
most wrong decisions, to show where a recipe still fails. ``--learning-curve`` refits each recipe
on a random quarter, half and three quarters of each fold's rows too (the same tagged fifths), to
show whether more testimonies of the kinds we have would still pay. ``--extra FILE`` runs each recipe
twice, without and with the train-split rows of a labelled CSV (all of them if it has no
``split`` column) added to every fold's fitting rows, never to the tagged fifths: run before
merging a new writing round, it says whether the new rows help tag the corpus we have, without
looking at the dev split.

``--blocked`` makes each fold a block of consecutive rows instead of a random fifth. The corpus
is in the order it was written, one writer's rows together, so a blocked fold is mostly tagged
by a model that never saw its writers: a check that a recipe's gain is not just recognising how
each writer words things (random folds flatter such recipes).
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from sklearn.model_selection import KFold

import rightsmap
from rightsmap.classifier import RightsClassifier
from rightsmap.dataset import load_labelled
from rightsmap.embed import EmbeddingCache, Encoded, TfidfEmbedder, get_embedder
from rightsmap.evaluation import prf, recall_at_k, top1_accuracy
from rightsmap.norms import LABELS, load_norms, udhr_counterparts
from rightsmap.tagger import UDHR_COLUMNS, WHOLE_CHARS, Tagger, prototypes
from rightsmap.text import clean


def setting(text: str) -> tuple[str, object]:
    """``name=value`` with a JSON value (``0.01``, ``true``) or else a string."""
    name, _, value = text.partition("=")
    if not name or not value:
        raise argparse.ArgumentTypeError(f"expected name=value, got {text!r}")
    try:
        return name, json.loads(value)
    except json.JSONDecodeError:
        return name, value


def tfidf_size(text: str) -> tuple[int, int]:
    """``DIM,WORDS``: two positive whole numbers."""
    parts = text.split(",")
    if len(parts) != 2 or not all(p.strip().isdigit() and int(p) > 0 for p in parts):
        raise argparse.ArgumentTypeError(f"expected DIM,WORDS as two positive whole numbers, got {text!r}")
    return int(parts[0]), int(parts[1])


def print_errors(name: str, Y: np.ndarray, tagged: np.ndarray, n: int) -> None:
    """The ``n`` articles with the most missed plus wrongly tagged texts, and their share of all errors."""
    missed, wrong = (Y & ~tagged).sum(axis=0), (~Y & tagged).sum(axis=0)
    total_missed, total_wrong = int(missed.sum()), int(wrong.sum())
    covenant = np.array([not aid.startswith("UDHR-") for aid in LABELS])
    print(f"\n{name}: {total_missed:,} labels missed, {total_wrong:,} wrong tags")
    print(
        f"covenant articles: {missed[covenant].sum() / max(total_missed, 1):.0%} of the missed labels, "
        f"{wrong[covenant].sum() / max(total_wrong, 1):.0%} of the wrong tags\n"
    )
    print("| article | texts | missed | wrong tags | F1 |")
    print("|---|---|---|---|---|")
    for j in np.argsort(-(missed + wrong), kind="stable")[:n]:
        print(
            f"| {LABELS[j]} | {int(Y[:, j].sum())} | {missed[j]} | {wrong[j]} | "
            f"{prf(Y[:, j : j + 1], tagged[:, j : j + 1])['f1']:.2f} |"
        )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--compare",
        nargs="*",
        type=setting,
        default=[],
        metavar="NAME=VALUE",
        help="RightsClassifier parameters of the alternative (none: the shipped recipe only)",
    )
    parser.add_argument(
        "--whole-text",
        type=lambda v: tuple(x.strip() for x in v.split(",") if x.strip() and x.strip() != "none"),
        metavar="LIST",
        help="whole-text encoders of the alternative, comma-separated, or 'none' (default: the shipped ones)",
    )
    parser.add_argument(
        "--tfidf",
        type=tfidf_size,
        default=(TfidfEmbedder.DIM, TfidfEmbedder.MAX_WORDS),
        metavar="DIM,WORDS",
        help="size of the alternative's tfidf encoder: dimensions, words and word pairs kept "
        f"(default: {TfidfEmbedder.DIM},{TfidfEmbedder.MAX_WORDS})",
    )
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument(
        "--blocked", action="store_true", help="folds of consecutive rows (writers kept apart), not random"
    )
    parser.add_argument(
        "--errors",
        type=int,
        default=0,
        metavar="N",
        help="after each recipe, its N articles with the most wrong decisions (missed plus wrongly tagged)",
    )
    parser.add_argument(
        "--learning-curve",
        action="store_true",
        help="also fit each recipe on 1/4, 1/2 and 3/4 of each fold's rows (F1 against corpus size)",
    )
    parser.add_argument(
        "--extra",
        type=Path,
        metavar="CSV",
        help="a labelled CSV whose train-split rows join every fold's fitting rows (never tagged)",
    )
    args = parser.parse_args()

    train = load_labelled().subset("train")
    extra = load_labelled(args.extra).subset("train") if args.extra else None
    Y = train.matrix().astype(bool)
    n_train = len(train)
    Y_fit = np.vstack([Y, extra.matrix().astype(bool)]) if extra is not None else Y
    langs = np.array(train.langs)
    default = rightsmap.load()
    norms = load_norms()

    shipped = [e.name for e in default.whole_text]
    alternative = list(args.whole_text) if args.whole_text is not None else shipped
    installed = [n for n in dict.fromkeys(shipped + alternative) if n != "tfidf"]
    encoder = Tagger(default.embedder, None, norms=norms, whole_text=[get_embedder(n) for n in installed])
    texts = train.texts + (extra.texts if extra is not None else [])
    X = encoder._encode(texts, EmbeddingCache())[0]
    frozen = dict(zip(installed, X.whole, strict=True))
    read = [clean(t)[:WHOLE_CHARS] for t in texts]
    added = np.arange(n_train, len(texts))  # the extra rows: fitted on (``+ extra``), never tagged

    def fold_input(names: Sequence[str], fit_idx: np.ndarray, size: tuple[int, ...]) -> Encoded:
        """The encoded train split, with a ``tfidf`` encoder of ``size`` fitted on the fold's rows only."""
        whole = []
        for n in names:
            if n == "tfidf":
                tfidf = TfidfEmbedder.fit([read[i] for i in fit_idx], *size)
                whole.append((tfidf.encode(read), np.array([bool(t.strip()) for t in read])))
            else:
                whole.append(frozen[n])
        return Encoded(X.sentences, X.owner, len(X), whole)

    fixed = {"crosswalk": udhr_counterparts(norms)}
    default_size = (TfidfEmbedder.DIM, TfidfEmbedder.MAX_WORDS)
    recipes: dict[str, tuple[dict[str, object], Sequence[str], tuple[int, ...]]] = {
        "shipped recipe": ({}, shipped, default_size)
    }
    if args.compare or args.whole_text is not None or args.tfidf != default_size:
        name = " ".join(f"{k}={v}" for k, v in args.compare)
        if args.whole_text is not None:
            name += f" whole text: {','.join(args.whole_text) or 'none'}"
        if args.tfidf != default_size:
            name += f" tfidf {args.tfidf[0]} dimensions of {args.tfidf[1]} words"
        recipes[name.strip()] = (dict(args.compare), alternative, args.tfidf)
    shares = (0.25, 0.5, 0.75, 1.0) if args.learning_curve else (1.0,)

    kind = "blocked (consecutive rows)" if args.blocked else "random"
    print(f"Train split: {n_train} testimonies, outer {args.folds}-fold CV, {kind} folds")
    if extra is not None:
        print(f"'+ extra rows': the {len(extra)} train-split rows of {args.extra} join every fold's fit")
    print()
    errors: list[tuple[str, np.ndarray]] = []
    print(
        "| recipe | F1 | en | es | fr | negatives untagged | engaged untagged | UDHR recall@3 | top-1 "
        "| seconds |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    options = (False, True) if extra is not None else (False,)
    runs = [(name, r, share, plus) for name, r in recipes.items() for share in shares for plus in options]
    for name, (params, names, size), share, plus in runs:
        if share < 1:
            name = f"{name}, {share:.0%} of each fold's rows"
        if plus:
            name = f"{name} + {len(extra)} extra rows"
        t = time.perf_counter()
        tagged = np.zeros(Y.shape, dtype=bool)
        proba = np.zeros(Y.shape)
        folds = KFold(args.folds) if args.blocked else KFold(args.folds, shuffle=True, random_state=1)
        for fit_idx, held_idx in folds.split(np.zeros(n_train)):
            if share < 1:  # a random part of the fold's rows; the tagged fifth stays the same
                rng = np.random.default_rng(0)
                fit_idx = np.sort(rng.permutation(fit_idx)[: round(share * len(fit_idx))])
            if plus:
                fit_idx = np.r_[fit_idx, added]
            fold = fold_input(names, fit_idx, size)
            clf = RightsClassifier(*prototypes(default.embedder, norms), **fixed, **params)
            clf.fit(fold.subset(fit_idx), Y_fit[fit_idx])
            held = fold.subset(held_idx)
            proba[held_idx] = clf.predict_proba(held)
            tagged[held_idx] = clf.decide(proba[held_idx], clf.engaged(held))
        f1 = [
            prf(Y[m], tagged[m])["f1"]
            for m in (np.ones(len(Y), dtype=bool), langs == "en", langs == "es", langs == "fr")
        ]
        untagged = np.asarray(~tagged.any(axis=1))
        engaged = np.asarray(Y.any(axis=1))
        print(
            f"| {name} | "
            + " | ".join(f"{v:.3f}" for v in f1)
            + f" | {untagged[~engaged].mean():.3f} | {untagged[engaged].mean():.3f}"
            + f" | {recall_at_k(Y, proba, 3, UDHR_COLUMNS):.3f} | {top1_accuracy(Y, proba):.3f}"
            + f" | {time.perf_counter() - t:.0f} |"
        )
        if args.errors and share == 1 and not plus:
            errors.append((name, tagged))
    for name, tagged in errors:
        print_errors(name, Y, tagged, args.errors)


if __name__ == "__main__":
    main()
