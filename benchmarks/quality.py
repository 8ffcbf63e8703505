"""Quality of rightsmap on the dev split of our labelled corpus (never used for fitting).

    python benchmarks/quality.py                      # the shipped default model
    python benchmarks/quality.py --embedder minilm use minilm+use   # rebuild zero-shot variants

Each variant is calibrated on the train split only, then scored on dev.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

import rightsmap
from rightsmap.dataset import load_labelled
from rightsmap.evaluation import score_model
from rightsmap.tagger import UDHR_COLUMNS, Tagger

COLUMNS = [
    "precision",
    "recall",
    "f1",
    "macro_f1",
    "udhr_recall_at_3",
    "top1_accuracy",
    "negatives_abstained",
]


def row(name: str, model: object, texts: list[str], Y: np.ndarray) -> None:
    """Print one table row; the seconds are those of tagging the texts."""
    t = time.perf_counter()
    m = score_model(model, texts, Y, UDHR_COLUMNS)
    seconds = time.perf_counter() - t
    print(f"| {name:<31} | " + " | ".join(f"{m[c]:.3f}" for c in COLUMNS) + f" | {seconds:5.1f} |")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--embedder", nargs="*", default=[], help="also rebuild zero-shot models with these embedders"
    )
    args = parser.parse_args()

    corpus = load_labelled()
    train, dev = corpus.subset("train"), corpus.subset("dev")
    langs = {lang: [i for i, x in enumerate(dev.langs) if x == lang] for lang in sorted(set(dev.langs))}
    print(
        f"dev split: {len(dev)} testimonies ({', '.join(f'{k} {len(v)}' for k, v in langs.items())}); "
        f"train split: {len(train)}\n"
    )
    print("| model | " + " | ".join(COLUMNS) + " | seconds |")
    print("|---" * (len(COLUMNS) + 2) + "|")
    Y = dev.matrix()
    default = rightsmap.load()
    row(f"default ({default.meta['kind']}, {default.embedder.name})", default, dev.texts, Y)
    for lang, idx in langs.items():
        row(f"  default, {lang} only", default, [dev.texts[i] for i in idx], Y[idx])
    for spec in args.embedder:
        row(f"zero-shot {spec}", Tagger.zero_shot(spec).fit(train), dev.texts, Y)


if __name__ == "__main__":
    main()
