"""Retrieval of past UPR recommendations: quality on our judged set, import and search speed.

    python benchmarks/retrieval.py            # needs ../shared/data (the real exports)
    python benchmarks/retrieval.py --quick    # judged set only

1. Quality: our own testimonies, each with the US cycle-3 recommendations a US organizer would
   cite, judged by us by reading all 347 recommendations (never by looking at a ranking):
   benchmarks/judged_upr_usa3.jsonl (held out: only measured), judged_upr_usa3_dev.jsonl
   (written later, separately, to choose the ranking on) and judged_upr_usa3_dev_esfr.jsonl (the
   development testimonies retold in Spanish and French, same judgments). Precision@5 and
   nDCG@10 (binary gains), averaged over the testimonies with at least one relevant
   recommendation, overall and by language (``text.guess_language``), for: plain cosine under
   the tagging model's embedder; the ranking shipped before session 3 (that plus tag agreement);
   session 3's (cosine under the index's own embedder, all its parts); ours (the same, each
   query compared in the parts that understand its language); and the opt-in mpnet+use index
   when the mpnet packages are installed.
2. Speed on the 42,013-record UPR Info file: import throughput against the raw throughput of the
   model's embedder on the same texts, index load time, and search time per query.
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import rightsmap
from rightsmap import upr
from rightsmap.embed import RETRIEVAL_EMBEDDER, get_embedder
from rightsmap.errors import ModelError
from rightsmap.text import guess_language

HERE = Path(__file__).resolve().parent
SHARED = HERE.parents[1] / "shared" / "data"


def precision_at(ranked: list[str], relevant: set[str], k: int) -> float:
    return sum(r in relevant for r in ranked[:k]) / k


def ndcg_at(ranked: list[str], relevant: set[str], k: int) -> float:
    dcg = sum(1 / math.log2(i + 2) for i, r in enumerate(ranked[:k]) if r in relevant)
    ideal = sum(1 / math.log2(i + 2) for i in range(min(k, len(relevant))))
    return dcg / ideal if ideal else 0.0


JUDGED = (
    ("judged_upr_usa3.jsonl", "held-out judged set"),
    ("judged_upr_usa3_dev.jsonl", "development judged set (choices were made on it)"),
    ("judged_upr_usa3_dev_esfr.jsonl", "the development set retold in Spanish and French"),
)


def quality(tagger: rightsmap.Tagger, work: Path) -> None:
    source = SHARED / "upr-usa-cycle3" / "recommendations.jsonl"
    indexes = {"model": tagger.embedder, "default": RETRIEVAL_EMBEDDER}
    try:
        get_embedder("mpnet").dim  # noqa: B018  # loads it: are its packages installed?
        indexes["mpnet"] = "mpnet+use"
    except ModelError as err:
        print(f"(mpnet+use skipped: {err})")
    loaded = {}
    for key, emb in indexes.items():
        upr.import_recommendations(source, work / key, embedder=emb, progress=False)
        loaded[key] = upr.RecommendationIndex.load(work / key)

    def every_part(index: upr.RecommendationIndex) -> Callable[[str], list[upr.Recommendation]]:
        return lambda text: index.search(index.embedder.encode([text]), None, 10)[0]

    def ranked(key: str, ranking: str = "cosine") -> Callable[[str], list[upr.Recommendation]]:
        return lambda text: upr.search(text, k=10, index=loaded[key], model=tagger, ranking=ranking)

    rankings = [
        (f"plain cosine, the tagging model's embedder ({tagger.embedder.name})", ranked("model")),
        ("the same + tag agreement (shipped before session 3)", ranked("model", "combined")),
        (f"cosine under `{RETRIEVAL_EMBEDDER}`, every part (session 3)", every_part(loaded["default"])),
        (f"**rightsmap default: `{RETRIEVAL_EMBEDDER}`, parts by language**", ranked("default")),
        ("the same + tag agreement (`--with-tags`)", ranked("default", "combined")),
    ]
    if "mpnet" in loaded:
        rankings.append(("opt-in `--embedder mpnet+use`, parts by language", ranked("mpnet")))
    for name, what in JUDGED:
        judged = [json.loads(line) for line in (HERE / name).read_text().splitlines() if line]
        scored = [j for j in judged if j["relevant"]]
        langs = sorted({guess_language(j["text"]) for j in scored})
        print(
            f"\n{what}, {name}: {len(judged)} testimonies ({len(scored)} with relevant "
            f"recommendations, mean {statistics.mean(len(j['relevant']) for j in scored):.1f} each); "
            "347 US cycle-3 recommendations; P@5 / nDCG@10\n"
        )
        print(f"| ranking | all ({len(scored)}) | " + " | ".join(langs) + " |")
        print("|---|---|" + "---|" * len(langs))
        for label, search in rankings:
            p5, n10, by_lang = [], [], {lang: [] for lang in langs}
            for j in scored:
                ids = [r.id for r in search(j["text"])]
                p5.append(precision_at(ids, set(j["relevant"]), 5))
                n10.append(ndcg_at(ids, set(j["relevant"]), 10))
                by_lang[guess_language(j["text"])].append((p5[-1], n10[-1]))
            cells = [
                f"{statistics.mean(a for a, _ in v):.3f} / {statistics.mean(b for _, b in v):.3f} ({len(v)})"
                for v in by_lang.values()
            ]
            overall = f"{statistics.mean(p5):.3f} / {statistics.mean(n10):.3f}"
            print(f"| {label} | {overall} | " + " | ".join(cells) + " |")


def speed(tagger: rightsmap.Tagger, work: Path) -> None:
    source = SHARED / "upr-info-sessions1-20" / "recommendations.jsonl"
    texts = [json.loads(line)["text"] for line in source.read_text(encoding="utf-8").splitlines()]
    embedder = get_embedder(RETRIEVAL_EMBEDDER)
    embedder.encode(texts[:64])
    t = time.perf_counter()
    embedder.encode(texts)
    raw = len(texts) / (time.perf_counter() - t)
    t = time.perf_counter()
    done = upr.import_recommendations(source, work / "info", embedder=embedder, progress=False)
    imported = len(texts) / (time.perf_counter() - t)
    loads = []
    for _ in range(3):
        t = time.perf_counter()
        index = upr.RecommendationIndex.load(work / "info")
        loads.append(time.perf_counter() - t)
    queries = index.encode(texts[:200:2])
    times = []
    for q in queries:
        t = time.perf_counter()
        index.search(q[None, :], None, k=10)
        times.append(time.perf_counter() - t)
    end_to_end = []
    for text in texts[1:40:4]:
        t = time.perf_counter()
        upr.search(text, k=10, index=index, model=tagger)
        end_to_end.append(time.perf_counter() - t)
    print(f"\nUPR Info file: {len(texts):,} rows -> {done.total:,} records (canonical JSON lines)\n")
    print("| measure | value |\n|---|---|")
    print(f"| raw `embedder.encode()` on the texts | {raw:.0f} rows/s |")
    print(
        f"| `upr import` (read, merge, encode, write) | {imported:.0f} rows/s ({imported / raw:.2f} x raw) |"
    )
    print(f"| index load (median of 3) | {statistics.median(loads):.2f} s |")
    print(f"| search, query vector given, k=10 (median of 100) | {1000 * statistics.median(times):.1f} ms |")
    print(
        f"| `upr.search(text)`: encode the query + search (median of 10) | "
        f"{1000 * statistics.median(end_to_end):.1f} ms |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="judged set only")
    args = parser.parse_args()
    if not SHARED.is_dir():
        raise SystemExit(f"needs the real exports in {SHARED}")
    tagger = rightsmap.load()
    with tempfile.TemporaryDirectory(prefix="rightsmap-retrieval-") as tmp:
        quality(tagger, Path(tmp))
        if not args.quick:
            speed(tagger, Path(tmp))


if __name__ == "__main__":
    main()
