"""How well ``rightsmap.redact`` finds personal information, on our labelled PII set.

    python benchmarks/privacy.py               # the held-out test set, benchmarks/pii_set.jsonl
    python benchmarks/privacy.py --dev         # the development set we tune on, pii_dev.jsonl

benchmarks/pii_set.jsonl: testimonies written by us with every name, phone number, e-mail, street
address and ID number marked (character offsets), and the organisations and places that must stay.
A marked span counts as found when a redaction span of any PII label overlaps it; precision counts
the redaction spans that overlap a marked span; "kept" is the share of organisation and place
spans that no redaction span touches. Patterns are developed against pii_dev.jsonl (50 more
testimonies, written separately); pii_set.jsonl is only measured, never read while tuning.
"""

from __future__ import annotations

import json
import sys
import time
from collections import Counter
from pathlib import Path

from rightsmap.text import PII_LABELS, pii_spans

HERE = Path(__file__).resolve().parent


def overlaps(a: tuple[int, int], b: tuple[int, int]) -> bool:
    return a[0] < b[1] and b[0] < a[1]


def main() -> None:
    name = "pii_dev.jsonl" if "--dev" in sys.argv[1:] else "pii_set.jsonl"
    items = [json.loads(line) for line in (HERE / name).read_text(encoding="utf-8").splitlines() if line]
    found, total, predicted, correct, kept, keep_total = Counter(), Counter(), 0, 0, 0, 0
    start = time.perf_counter()
    for item in items:
        spans = pii_spans(item["text"])
        gold = [(s["start"], s["end"], s["label"]) for s in item["spans"]]
        for a, b, label in gold:
            total[label] += 1
            found[label] += any(overlaps((a, b), (x, y)) for x, y, _ in spans)
        predicted += len(spans)
        correct += sum(any(overlaps((x, y), (a, b)) for a, b, _ in gold) for x, y, _ in spans)
        for k in item.get("keep", []):
            keep_total += 1
            kept += not any(overlaps((k["start"], k["end"]), (x, y)) for x, y, _ in spans)
    seconds = time.perf_counter() - start
    print(
        f"{name}: {len(items)} testimonies, {sum(total.values())} marked spans, "
        f"{keep_total} organisations and places to keep "
        f"({seconds / len(items) * 1000:.0f} ms per testimony)\n"
    )
    print("| label | spans | recall |\n|---|---|---|")
    for label in PII_LABELS:
        if total[label]:
            print(f"| {label} | {total[label]} | {found[label] / total[label]:.3f} |")
    print(f"\nprecision (redaction spans that are personal information): {correct / max(predicted, 1):.3f}")
    print(f"organisations and places kept: {kept / max(keep_total, 1):.3f}")


if __name__ == "__main__":
    main()
