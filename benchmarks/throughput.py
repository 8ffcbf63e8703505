"""Batch tagging throughput, memory and crash recovery, in one run.

    python benchmarks/throughput.py                       # 20,000 rows, then 100,000 for memory
    python benchmarks/throughput.py --rows 2000 --large 0  # a quick look

1. Generates realistic testimonies: our corpus's texts, each sentence roughly re-spoken (filler
   words inserted, numbers changed), so that almost no sentence repeats and no cache helps.
2. Raw encoder throughput on the same texts, each encoded whole once by each of the default
   model's encoders: its sentence embedder (``rightsmap.load().embedder``) on every text, and
   each whole-text embedder (``rightsmap.load().whole_text``) on the texts it reads (MiniLM:
   those read as English). Tagging cannot be faster than that; it also encodes sentence by
   sentence, for the evidence.
3. ``rightsmap tag-csv IN -o OUT`` as a whole process (start-up included): rows/s and peak RSS.
4. Crash recovery: the same command killed (SIGKILL) once 60% of the rows are checkpointed, then
   run again with ``--resume``; the result must equal the uninterrupted output byte for byte.
5. Peak RSS of the same command on ``--large`` rows (memory must not grow with the file).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import re
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import rightsmap
from rightsmap.dataset import load_labelled
from rightsmap.embed import speaks
from rightsmap.text import guess_language, split_sentences

BIN = Path(sys.executable).with_name("rightsmap")
FILLERS = ["like", "honestly", "you know", "I mean", "basically", "so", "actually", "really", "anyway"]


def generate(rows: int, seed: int = 0) -> list[str]:
    """``rows`` testimonies re-spoken from our corpus (sentences vary, so caches do not help)."""
    rng = random.Random(seed)
    corpus = load_labelled().texts
    out = []
    for _ in range(rows):
        sentences = []
        for s in split_sentences(rng.choice(corpus)):
            words = re.sub(r"\d+", lambda m: str(rng.randint(2, 99)), s.text).split()
            words.insert(rng.randrange(len(words) + 1), rng.choice(FILLERS))
            sentences.append(" ".join(words))
        out.append(" ".join(sentences))
    return out


def write_csv(path: Path, texts: list[str]) -> None:
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["id", "text"])
        writer.writerows((f"t{i}", t) for i, t in enumerate(texts))


def run(args: list[str], kill_at: tuple[Path, int] | None = None) -> tuple[float, float, int]:
    """Run ``rightsmap ARGS``: (seconds, peak RSS in MB, exit status); optionally SIGKILL it once
    the checkpoint file ``kill_at[0]`` records ``kill_at[1]`` rows done."""
    start = time.perf_counter()
    proc = subprocess.Popen([str(BIN), *args], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    while kill_at is not None:
        try:
            if json.loads(kill_at[0].read_text())["rows_done"] >= kill_at[1]:
                os.kill(proc.pid, signal.SIGKILL)
                break
        except (OSError, ValueError, KeyError):
            pass
        if proc.poll() is not None:
            break
        time.sleep(0.05)
    _, status, usage = os.wait4(proc.pid, 0)
    return time.perf_counter() - start, usage.ru_maxrss / 1024, status


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=20_000, help="rows for throughput and recovery")
    parser.add_argument("--large", type=int, default=100_000, help="rows for the memory check (0: skip)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="rightsmap-throughput-") as tmp:
        work = Path(tmp)
        texts = generate(args.rows)
        words = sum(len(t.split()) for t in texts) / len(texts)
        source = work / "in.csv"
        write_csv(source, texts)

        model = rightsmap.load()
        langs = [guess_language(t) for t in texts]
        jobs = [(f"{model.embedder.name} (sentence embedder)", model.embedder, texts)]
        for emb in model.whole_text:
            read = [t for t, lang in zip(texts, langs, strict=True) if speaks(emb, lang)]
            jobs.append((f"{emb.name} (whole text)", emb, read))
        raw = []  # (role, texts encoded, seconds)
        for role, embedder, subset in jobs:
            embedder.encode(subset[:64])  # warm-up (weights loaded)
            t = time.perf_counter()
            embedder.encode(subset)
            raw.append((role, len(subset), time.perf_counter() - t))
        encode_rate = len(texts) / sum(spent for _, _, spent in raw)

        seconds, rss, _ = run(["tag-csv", str(source), "-o", str(work / "whole.csv"), "--quiet"])
        tag_rate = args.rows / seconds

        out = work / "resumed.csv"
        state = work / "resumed.csv.partial.json"
        killed_s, _, status = run(
            ["tag-csv", str(source), "-o", str(out), "--quiet"], (state, int(0.6 * args.rows))
        )
        done = json.loads(state.read_text())["rows_done"]
        resume_s, _, _ = run(["tag-csv", str(source), "-o", str(out), "--quiet", "--resume"])
        same = out.read_bytes() == (work / "whole.csv").read_bytes()

        print(
            f"{args.rows:,} generated testimonies (mean {words:.0f} words), {os.cpu_count()} cores, "
            f"encoders {', '.join(name for name, _, _ in raw)}\n"
        )
        print("| measure | value |\n|---|---|")
        for name, n, spent in raw:
            print(f"| raw `encode()`, {name}, {n:,} texts | {n / spent:.1f} texts/s ({spent:.0f} s) |")
        print(f"| raw, every encoder together | {encode_rate:.1f} rows/s |")
        print(f"| `rightsmap tag-csv` (whole process) | {tag_rate:.1f} rows/s ({seconds:.0f} s) |")
        print(f"| tag-csv / raw encode | {tag_rate / encode_rate:.2f} |")
        print(f"| peak RSS, {args.rows:,} rows | {rss:.0f} MB |")
        how = (
            f"killed by signal {os.WTERMSIG(status)}"
            if os.WIFSIGNALED(status)
            else "finished before the kill"
        )
        print(
            f"| {how} after {killed_s:.0f} s, {done:,} rows checkpointed; resumed in {resume_s:.0f} s | "
            f"{'identical' if same else 'DIFFERENT'} to the uninterrupted output |"
        )

        if args.large:
            big = work / "big.csv"
            write_csv(big, generate(args.large, seed=1))
            seconds_big, rss_big, _ = run(["tag-csv", str(big), "-o", str(work / "big-out.csv"), "--quiet"])
            print(
                f"| peak RSS, {args.large:,} rows | {rss_big:.0f} MB ({rss_big / rss:.2f} x the "
                f"{args.rows:,}-row peak; {args.large / seconds_big:.1f} rows/s) |"
            )


if __name__ == "__main__":
    main()
