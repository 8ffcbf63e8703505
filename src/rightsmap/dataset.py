"""Labelled testimonies: reading and checking ``text,labels,lang,split`` files."""

from __future__ import annotations

import difflib
import hashlib
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .errors import DataError, UnknownLabelError
from .norms import LABELS, parse_label
from .resources import data_path
from .text import guess_language

LABEL_SEPARATOR = re.compile(r"[;,]")  # between the labels of one cell


@dataclass(frozen=True)
class LabelledSet:
    """Texts with their article labels (canonical IDs), language and split."""

    texts: list[str]
    labels: list[list[str]]
    langs: list[str]
    splits: list[str]

    def __len__(self) -> int:
        return len(self.texts)

    def subset(self, split: str) -> LabelledSet:
        """Only the rows of one split (``train`` or ``dev``)."""
        keep = [i for i, s in enumerate(self.splits) if s == split]
        return LabelledSet(
            [self.texts[i] for i in keep],
            [self.labels[i] for i in keep],
            [self.langs[i] for i in keep],
            [self.splits[i] for i in keep],
        )

    def matrix(self, labels: tuple[str, ...] = LABELS) -> np.ndarray:
        """(n, L) 0/1 matrix of the labels in the given order."""
        index = {aid: j for j, aid in enumerate(labels)}
        Y = np.zeros((len(self), len(labels)), dtype=np.int8)
        for i, row in enumerate(self.labels):
            for aid in row:
                Y[i, index[aid]] = 1
        return Y

    def fingerprint(self) -> str:
        """Hash of the content, recorded in model directories as the training-data hash."""
        h = hashlib.sha256()
        for t, ls in zip(self.texts, self.labels, strict=True):
            h.update(t.encode("utf-8") + b"\x1f" + ";".join(ls).encode() + b"\x1e")
        return h.hexdigest()[:16]


def default_corpus_path() -> Path:
    """The bundled training corpus: the folder ``corpora/training/``, one CSV per writing round."""
    return data_path("corpora", "training")


def check_columns(path: str | Path, columns: Sequence[str], required: Sequence[str]) -> None:
    """Raise DataError naming the missing columns, the columns found and the closest match."""
    missing = [c for c in required if c not in columns]
    if missing:
        close = [m for c in missing for m in difflib.get_close_matches(c, list(columns), n=1)]
        hint = f" Did you mean {', '.join(map(repr, close))}?" if close else ""
        for sep, advice in (
            (";", "';': save it with commas (Excel: CSV UTF-8)"),
            ("\t", "tabs: name it .tsv"),
        ):
            if any(c in column.split(sep) for c in missing for column in columns):
                hint = f" The file separates its fields with {advice}."
        raise DataError(
            f"{path}: missing column(s) {', '.join(map(repr, missing))}; "
            f"columns found: {', '.join(columns)}.{hint}"
        )


def load_labelled(
    path: str | Path | None = None, text_column: str = "text", labels_column: str = "labels"
) -> LabelledSet:
    """Read a labelled table (CSV, TSV, JSONL or Parquet, as ``tag-csv`` reads them), or every
    ``*.csv`` in a folder in name order (default: our corpus).

    Labels are IDs in any common spelling, separated by ``;`` (or ``,``); an empty cell means the
    text engages no right. A row with no ``lang`` value gets the language its words suggest
    (``en``, ``es``, ``fr``, or ``und`` when unsure); one with no ``split`` value counts as train.
    Raises DataError naming the file, line and column of the first problems found (also a row
    with too few or too many fields, or bytes that are not UTF-8), or for a file with no rows.
    """
    path = Path(path) if path is not None else default_corpus_path()
    if not path.is_dir():
        return _load_file(path, text_column, labels_column)
    files = sorted(path.glob("*.csv"))
    if not files:
        raise DataError(f"labelled folder {path} holds no .csv files")
    parts = [_load_file(f, text_column, labels_column) for f in files]
    return LabelledSet(
        [t for part in parts for t in part.texts],
        [ls for part in parts for ls in part.labels],
        [g for part in parts for g in part.langs],
        [s for part in parts for s in part.splits],
    )


def _label_cell(cell: str) -> list[str]:
    """The labels written in one cell: separated by ``;`` or ``,``, or a JSON list (from JSONL)."""
    if cell.startswith("["):
        try:
            values = json.loads(cell)
        except json.JSONDecodeError:
            values = None
        if isinstance(values, list):
            return [str(v) for v in values]
    return LABEL_SEPARATOR.split(cell)


def _load_file(path: Path, text_column: str, labels_column: str) -> LabelledSet:
    """Read one labelled table (see load_labelled)."""
    from .batch import UNDECODABLE, read_table  # batch imports this module

    _, records = read_table(path, text_column, also=(labels_column,))
    texts, labels, langs, splits, problems = [], [], [], [], []
    for row in records:
        line = row.line
        if row.values is None:
            problems.append(f"line {line}: {row.problem}")
            continue
        if UNDECODABLE in row.notes:
            problems.append(
                f"line {line}: bytes that are not UTF-8, or a U+FFFD character (save the file as UTF-8)"
            )
        ids: list[str] = []
        for raw in _label_cell(row.values[labels_column]):
            if raw.strip():
                try:
                    ids.append(parse_label(raw))
                except UnknownLabelError as exc:
                    problems.append(f"line {line}, column {labels_column!r}: {exc}")
        text = row.values[text_column]
        if not text.strip():
            problems.append(f"line {line}, column {text_column!r}: empty text")
        texts.append(text)
        labels.append(sorted(set(ids), key=LABELS.index))
        langs.append((row.values.get("lang") or "").strip() or guess_language(text))
        splits.append((row.values.get("split") or "train").strip())
    if problems:
        shown = "\n  ".join(problems[:20])
        more = f"\n  ... and {len(problems) - 20} more" if len(problems) > 20 else ""
        raise DataError(f"{path}: {len(problems)} problem(s):\n  {shown}{more}")
    if not texts:
        raise DataError(f"{path} has a header but no labelled rows")
    return LabelledSet(texts, labels, langs, splits)
