"""Tagging a table of testimonies (CSV) and writing the tagged table safely."""

from __future__ import annotations

import csv
import json
import os
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

from tqdm import tqdm

from .dataset import open_csv
from .errors import DataError
from .tagger import CHUNK, Tagger, load
from .types import TagResult

ADDED_COLUMNS = ("rights", "top_article", "top_confidence", "rights_json")


def read_rows(path: str | Path, text_column: str) -> tuple[list[str], list[dict[str, str]]]:
    """Read a CSV (UTF-8, BOM tolerated); returns its columns and rows. Checks the text column."""
    path = Path(path)
    with open_csv(path, (text_column,), "input file") as (columns, reader):
        rows = []
        for row in reader:
            if None in row:
                raise DataError(
                    f"{path}, line {reader.line_num}: more fields than the header's {len(columns)}"
                )
            rows.append({k: (v if v is not None else "") for k, v in row.items()})
    return columns, rows


def tag_rows(
    rows: list[dict[str, str]], text_column: str, tagger: Tagger | None = None, progress: bool | None = None
) -> Iterator[TagResult]:
    """Tag each row's text in batches, yielding results in order (with a progress bar on a terminal)."""
    tagger = tagger or load()
    show = sys.stderr.isatty() if progress is None else progress
    with tqdm(total=len(rows), unit="rows", disable=not show, desc="tagging") as bar:
        for i in range(0, len(rows), CHUNK):
            chunk = [r[text_column] for r in rows[i : i + CHUNK]]
            yield from tagger.tag(chunk)
            bar.update(len(chunk))


def tagged_row(row: dict[str, str], result: TagResult) -> dict[str, str]:
    """The input row plus ``rights``, ``top_article``, ``top_confidence`` and ``rights_json``."""
    top = result.tags[0] if result.tags else None
    return {
        **row,
        "rights": ";".join(t.article for t in result.tags),
        "top_article": top.article if top else "",
        "top_confidence": f"{top.confidence:.3f}" if top else "",
        "rights_json": json.dumps(
            [t.__dict__ | {"evidence": [e.__dict__ for e in t.evidence]} for t in result.tags],
            ensure_ascii=False,
        ),
    }


def write_rows(path: str | Path, columns: list[str], rows: list[dict[str, str]]) -> Path:
    """Write a CSV atomically: a temporary file beside the target, renamed when complete."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent or ".")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=columns)
            writer.writeheader()
            writer.writerows(rows)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path
