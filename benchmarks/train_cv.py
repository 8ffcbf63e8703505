"""Compare classifier settings by cross-validation on the train split only (the dev split and the
held-out set stay unseen), the way we choose them.

    python benchmarks/train_cv.py --compare max_positive_loss=0.01 negatives_abstained=0
    python benchmarks/train_cv.py --whole-text use,minilm     # the default without one encoder

Outer 5-fold CV: in each fold, the shipped recipe (``RightsClassifier`` with the default model's
embedders, each model with its own inner cross-validation for calibration and thresholds) is
refitted on four fifths of the train split and tags the fifth; ``--compare`` refits the same with
some parameters changed, ``--whole-text`` with other whole-text encoders. Prints micro-F1
overall and by language, the share of texts that engage no right and get no tag, and the share
of texts that engage a right but get no tag at all.
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Sequence

import numpy as np
from sklearn.model_selection import KFold

import rightsmap
from rightsmap.classifier import RightsClassifier
from rightsmap.dataset import load_labelled
from rightsmap.embed import Embedder, EmbeddingCache, Encoded, get_embedder
from rightsmap.evaluation import prf
from rightsmap.norms import load_norms, udhr_counterparts
from rightsmap.tagger import Tagger, prototypes


def setting(text: str) -> tuple[str, object]:
    """``name=value`` with a JSON value (``0.01``, ``true``) or else a string."""
    name, _, value = text.partition("=")
    if not name or not value:
        raise argparse.ArgumentTypeError(f"expected name=value, got {text!r}")
    try:
        return name, json.loads(value)
    except json.JSONDecodeError:
        return name, value


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
    parser.add_argument("--folds", type=int, default=5)
    args = parser.parse_args()

    train = load_labelled().subset("train")
    Y = train.matrix().astype(bool)
    langs = np.array(train.langs)
    default = rightsmap.load()
    norms = load_norms()

    def encoded(whole: Sequence[Embedder]) -> Encoded:
        encoder = Tagger(default.embedder, None, norms=norms, whole_text=whole)
        return encoder._encode(train.texts, EmbeddingCache())[0]

    fixed = {"crosswalk": udhr_counterparts(norms)}
    shipped = encoded(default.whole_text)
    recipes: dict[str, tuple[dict[str, object], Encoded]] = {"shipped recipe": ({}, shipped)}
    if args.compare or args.whole_text is not None:
        name = " ".join(f"{k}={v}" for k, v in args.compare)
        X = shipped
        if args.whole_text is not None:
            name += f" whole text: {','.join(args.whole_text) or 'none'}"
            X = encoded([get_embedder(w) for w in args.whole_text])
        recipes[name.strip()] = (dict(args.compare), X)

    print(f"Train split: {len(train)} testimonies, outer {args.folds}-fold CV\n")
    print("| recipe | F1 | en | es | fr | negatives untagged | engaged untagged | seconds |")
    print("|---|---|---|---|---|---|---|---|")
    for name, (params, X) in recipes.items():
        t = time.perf_counter()
        tagged = np.zeros(Y.shape, dtype=bool)
        for fit_idx, held_idx in KFold(args.folds, shuffle=True, random_state=1).split(X.docs):
            clf = RightsClassifier(*prototypes(default.embedder, norms), **fixed, **params)
            clf.fit(X.subset(fit_idx), Y[fit_idx])
            held = X.subset(held_idx)
            tagged[held_idx] = clf.decide(clf.predict_proba(held), clf.engaged(held))
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
            + f" | {time.perf_counter() - t:.0f} |"
        )


if __name__ == "__main__":
    main()
