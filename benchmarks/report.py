"""How long ``rightsmap compile`` takes: whole processes, as an organizer runs them.

    python benchmarks/report.py

1. the bundled examples, untagged (compile tags them first): the issue's "under 60 s";
2. every testimony of our training corpus (corpora/training) tagged by tag-csv, then compiled with
   --group-by lang;
   with an index installed, tag-csv is also timed without one, in the same run.
Uses the UPR index installed in your user-data folder (or RIGHTSMAP_UPR_INDEX) if there is one.
"""

from __future__ import annotations

import csv
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from rightsmap.dataset import load_labelled

ROOT = Path(__file__).resolve().parents[1]
CLI = [sys.executable, "-m", "rightsmap.cli"]


def timed(args: list[str], env: dict[str, str] | None = None) -> float:
    start = time.perf_counter()
    subprocess.run([*CLI, *args], check=True, stdout=subprocess.DEVNULL, env=env)
    return time.perf_counter() - start


def main() -> None:
    from rightsmap.upr import default_index_path

    installed = (default_index_path() / "CURRENT").is_file()
    print(f"UPR index: {'installed at ' + str(default_index_path()) if installed else 'none'}")
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        examples = ROOT / "examples" / "testimonies.csv"
        seconds = timed(["compile", str(examples), "--group-by", "city", "-o", str(out / "examples.html")])
        print(f"compile examples/testimonies.csv (24 rows, untagged: tag + compile): {seconds:.1f} s")
        corpus = load_labelled()  # every round of corpora/training, as one file to tag
        with (out / "corpus.csv").open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(["text", "lang"])
            writer.writerows(zip(corpus.texts, corpus.langs, strict=True))
        tagging = timed(["tag-csv", str(out / "corpus.csv"), "-o", str(out / "tagged.csv"), "--quiet"])
        if installed:  # the same without recommendations: an empty folder as the index
            bare = timed(
                ["tag-csv", str(out / "corpus.csv"), "-o", str(out / "bare.csv"), "--quiet"],
                env={**os.environ, "RIGHTSMAP_UPR_INDEX": str(out / "no-index")},
            )
            print(f"tag-csv without an index: {bare:.1f} s")
        with (out / "tagged.csv").open(encoding="utf-8", newline="") as handle:
            rows = sum(1 for _ in csv.DictReader(handle))
        seconds = timed(
            ["compile", str(out / "tagged.csv"), "--group-by", "lang", "-o", str(out / "corpus.html")]
        )
        print(f"{rows} testimonies: tag-csv {tagging:.1f} s, then compile of the tagged file {seconds:.1f} s")
        size = (out / "corpus.html").stat().st_size
        print(f"corpus report: {size / 1e3:.0f} kB HTML (self-contained)")


if __name__ == "__main__":
    main()
