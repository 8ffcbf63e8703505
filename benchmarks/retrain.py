"""Time to retrain on 200 new labelled examples, cold and warm embedding cache, in one run.

    python benchmarks/retrain.py

Runs the command a coalition runs, ``rightsmap train NEW.csv -o DIR`` (our corpus's train split
plus the new rows), as a whole process, start-up included:

- cold: an empty embedding cache, so every sentence of the corpus and of the new rows is encoded;
- warm: the cache already holds the corpus (as after any earlier retraining), and 200 other new
  rows are encoded.

The "new" rows are 200 train-split testimonies with the words of each sentence shuffled (seeded):
as long as real testimonies and new to the cache, with their original labels (the fitted models
are thrown away; only the time is measured).
"""

from __future__ import annotations

import csv
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from rightsmap.dataset import load_labelled
from rightsmap.text import split_sentences

BIN = Path(sys.executable).with_name("rightsmap")


def new_rows(n: int, seed: int) -> list[tuple[str, str]]:
    """``n`` labelled rows whose sentences are not in any cache: shuffled train testimonies."""
    train = load_labelled().subset("train")
    rng = random.Random(seed)
    rows = []
    for i in rng.sample(range(len(train)), n):
        sentences = []
        for s in split_sentences(train.texts[i]):
            words = s.text.split()
            rng.shuffle(words)
            sentences.append(" ".join(words))
        rows.append((" ".join(sentences), ";".join(train.labels[i])))
    return rows


def timed_train(rows: list[tuple[str, str]], cache: Path, work: Path, name: str) -> float:
    path = work / f"{name}.csv"
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["text", "labels"])
        writer.writerows(rows)
    env = os.environ | {"XDG_CACHE_HOME": str(cache)}
    start = time.perf_counter()
    subprocess.run(
        [str(BIN), "train", str(path), "-o", str(work / name), "--quiet"],
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    return time.perf_counter() - start


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="rightsmap-retrain-") as tmp:
        work, cache = Path(tmp), Path(tmp) / "cache"
        cold = timed_train(new_rows(200, seed=1), cache, work, "cold")
        warm = timed_train(new_rows(200, seed=2), cache, work, "warm")
    print(f"`rightsmap train` with 200 new examples on top of our corpus ({os.cpu_count()} cores):\n")
    print("| embedding cache | seconds |\n|---|---|")
    print(f"| cold (empty) | {cold:.1f} |")
    print(f"| warm (corpus cached) | {warm:.1f} |")


if __name__ == "__main__":
    main()
