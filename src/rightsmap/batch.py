"""Tagging tables of testimonies: streaming, resumable, safe files in and out.

Formats follow the file extension: ``.csv``, ``.tsv`` / ``.tab``, ``.jsonl`` / ``.ndjson`` and
``.parquet`` (needs the ``parquet`` extra). Rows are read, tagged and written a chunk at a time,
so memory does not grow with the file. The output is built in ``OUT.partial`` beside ``OUT``,
with a small ``OUT.partial.json`` recording how far it got after each chunk; it is renamed to
``OUT`` only when complete, and ``resume=True`` continues an interrupted run from there.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import json
import os
import re
import sys
from collections import Counter, OrderedDict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from tqdm import tqdm

from .dataset import check_columns
from .errors import DataError
from .tagger import Tagger, load
from .text import redact as redact_text
from .types import TagResult

if TYPE_CHECKING:
    import pandas as pd

FORMATS = {
    ".csv": "csv",
    ".tsv": "tsv",
    ".tab": "tsv",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".parquet": "parquet",
}
UNDECODABLE = "undecodable bytes replaced"  # the note on a row whose bytes were not UTF-8
ADDED_COLUMNS = ("rights", "top_article", "top_confidence", "rights_json", "notes")
CHUNK_ROWS = 512  # rows read, tagged and written together; a crash loses at most one chunk
MEMO = 4096  # identical texts are tagged once (the most recent distinct texts are remembered)
PREVIEW = 50  # rows kept for the printed per-testimony summary
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")
_STATE_VERSION = 1


def table_format(path: str | Path) -> str:
    """``csv``, ``tsv``, ``jsonl`` or ``parquet``, from the file extension."""
    suffix = Path(path).suffix.lower()
    if suffix not in FORMATS:
        raise DataError(
            f"{path}: unknown file type {suffix or '(no extension)'!r}; "
            f"use one of {', '.join(sorted(FORMATS))}"
        )
    return FORMATS[suffix]


def safe_cell(value: str) -> str:
    """Escape a cell that a spreadsheet would run as a formula (a leading ``'``); numbers pass."""
    if value.startswith(FORMULA_START) and not _NUMBER.fullmatch(value):
        return "'" + value
    return value


# -- reading ---------------------------------------------------------------------------------


@dataclass
class Row:
    """One record of the input: its values, or the problem that makes it unusable."""

    line: int  # line in a text file where the record starts; row number in a Parquet file
    values: dict[str, str] | None
    problem: str = ""
    raw: str = ""
    notes: list[str] = field(default_factory=list)


def _encoding(head: bytes) -> str:
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    odd, even = head[1::2], head[0::2]
    if len(head) >= 4 and odd.count(0) > 0.3 * len(odd) and even.count(0) < 0.05 * len(even):
        return "utf-16-le"
    if len(head) >= 4 and even.count(0) > 0.3 * len(even) and odd.count(0) < 0.05 * len(odd):
        return "utf-16-be"
    return "utf-8"


class _Lines:
    """The physical lines of a text file with NUL characters removed; ``had_nul()`` tells
    whether any line read since the last call had one."""

    def __init__(self, handle: IO[str]) -> None:
        self.handle = handle
        self.number = 0
        self._nul = False

    def __iter__(self) -> Iterator[str]:
        for line in self.handle:
            self.number += 1
            if "\0" in line:
                self._nul = True
                line = line.replace("\0", "")
            yield line

    def had_nul(self) -> bool:
        nul, self._nul = self._nul, False
        return nul


def _open_text(path: Path) -> tuple[IO[str], str]:
    try:
        with path.open("rb") as raw:
            head = raw.read(4096)
    except FileNotFoundError:
        raise DataError(f"input file {path} does not exist") from None
    encoding = _encoding(head)
    return path.open(encoding=encoding, errors="replace", newline=""), encoding


def _reading_notes(values: Sequence[str], lines: _Lines) -> list[str]:
    notes = []
    if lines.had_nul():
        notes.append("NUL bytes removed")
    if any("\ufffd" in v for v in values):
        notes.append(UNDECODABLE)
    return notes


def _read_delimited(
    path: Path, text_column: str, delimiter: str, also: Sequence[str]
) -> tuple[list[str], Iterator[Row]]:
    handle, encoding = _open_text(path)
    lines = _Lines(handle)
    reader = csv.reader(lines, delimiter=delimiter)
    try:
        header = next((r for r in reader if r), None)
    except csv.Error as exc:
        handle.close()
        raise DataError(f"{path}, line {lines.number}: cannot read the header: {exc}") from None
    if header is None:
        handle.close()
        raise DataError(f"{path} is empty: expected a header row naming {text_column!r}")
    lines.had_nul()
    columns = [c.strip() if i else c.lstrip("\ufeff").strip() for i, c in enumerate(header)]
    duplicated = sorted({c for c in columns if columns.count(c) > 1})
    if duplicated:
        handle.close()
        raise DataError(f"{path}: the header repeats column(s) {', '.join(map(repr, duplicated))}")
    try:
        check_columns(path, columns, [text_column, *also])
    except DataError:
        handle.close()
        raise

    def rows() -> Iterator[Row]:
        with handle:
            end = lines.number
            while True:
                try:
                    fields = next(reader)
                except StopIteration:
                    return
                except csv.Error as exc:
                    start, end = end + 1, lines.number
                    yield Row(start, None, f"unreadable record: {exc}")
                    continue
                start, end = end + 1, lines.number
                notes = _reading_notes(fields, lines)
                if not fields:
                    continue  # a blank line is no record
                if len(fields) != len(columns):
                    out = io.StringIO()
                    csv.writer(out, delimiter=delimiter).writerow(fields)
                    problem = f"{len(fields)} fields where the header has {len(columns)}"
                    yield Row(start, None, problem, out.getvalue().rstrip("\r\n"), notes)
                    continue
                yield Row(start, dict(zip(columns, fields, strict=True)), notes=notes)

    if encoding.startswith("utf-16"):
        return columns, _with_note(rows(), f"decoded as {encoding.upper()}")
    return columns, rows()


def _with_note(rows: Iterator[Row], note: str) -> Iterator[Row]:
    """Attach a file-level note to the first row (so it reaches the summary once)."""
    first = True
    for row in rows:
        if first:
            row.notes.append(note)
            first = False
        yield row


def _plain(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, float) and value != value:  # NaN
        return ""
    if isinstance(value, (bool, int, float)):
        return json.dumps(value)
    return json.dumps(value, ensure_ascii=False, default=str)


def _read_jsonl(path: Path, text_column: str, also: Sequence[str]) -> tuple[list[str], Iterator[Row]]:
    handle, encoding = _open_text(path)
    lines = _Lines(handle)
    records = iter(lines)
    columns: list[str] | None = None
    pending: list[Row] = []
    for line in records:
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            pending.append(Row(lines.number, None, f"not valid JSON: {exc.msg}", line.rstrip("\r\n")))
            continue
        if not isinstance(obj, dict):
            pending.append(Row(lines.number, None, "expected a JSON object", line.rstrip("\r\n")))
            continue
        columns = [str(k) for k in obj]
        try:
            check_columns(path, columns, [text_column, *also])
        except DataError:
            handle.close()
            raise
        first = {k: _plain(v) for k, v in obj.items()}
        pending.append(Row(lines.number, first, notes=_reading_notes(list(first.values()), lines)))
        break
    if columns is None:
        handle.close()
        raise DataError(f"{path} has no JSON object: expected one per line with a {text_column!r} field")
    known = set(columns)

    def rows() -> Iterator[Row]:
        with handle:
            yield from pending
            for line in records:
                if not line.strip():
                    continue
                number, raw = lines.number, line.rstrip("\r\n")
                try:
                    obj = json.loads(line)
                except json.JSONDecodeError as exc:
                    yield Row(number, None, f"not valid JSON: {exc.msg}", raw)
                    continue
                if not isinstance(obj, dict):
                    yield Row(number, None, "expected a JSON object", raw)
                    continue
                extra = [str(k) for k in obj if k not in known]
                if extra:
                    problem = f"field(s) {', '.join(map(repr, extra))} not in the first record"
                    yield Row(number, None, problem, raw)
                    continue
                absent = [c for c in (text_column, *also) if c not in obj]
                if absent:
                    yield Row(number, None, f"no {', '.join(map(repr, absent))} field", raw)
                    continue
                values = {c: _plain(obj.get(c)) for c in columns}
                yield Row(number, values, notes=_reading_notes(list(values.values()), lines))

    if encoding.startswith("utf-16"):
        return columns, _with_note(rows(), f"decoded as {encoding.upper()}")
    return columns, rows()


def _pyarrow() -> Any:
    try:
        import pyarrow
        import pyarrow.parquet
    except ImportError:
        raise DataError("Parquet files need pyarrow: pip install 'rightsmap[parquet]'") from None
    return pyarrow


def _read_parquet(path: Path, text_column: str, also: Sequence[str]) -> tuple[list[str], Iterator[Row]]:
    pa = _pyarrow()
    if not path.is_file():
        raise DataError(f"input file {path} does not exist")
    try:
        source = pa.parquet.ParquetFile(path)
    except (OSError, pa.ArrowException) as exc:
        raise DataError(f"{path} is not a readable Parquet file: {exc}") from None
    columns = list(source.schema_arrow.names)
    check_columns(path, columns, [text_column, *also])

    def rows() -> Iterator[Row]:
        number = 0
        for batch in source.iter_batches(batch_size=CHUNK_ROWS):
            for record in batch.to_pylist():
                number += 1
                yield Row(number, {c: _plain(record[c]) for c in columns})

    return columns, rows()


def read_table(
    path: str | Path, text_column: str = "text", also: Sequence[str] = ()
) -> tuple[list[str], Iterator[Row]]:
    """The columns of a table file and an iterator over its records (read lazily).

    Checks up front that the file exists, has a header (or first record), the text column and
    the columns in ``also``.
    UTF-8 (with or without BOM) and UTF-16 are detected; other bytes are replaced, and NUL bytes
    removed, with a note on the row.
    """
    path = Path(path)
    fmt = table_format(path)
    if fmt == "parquet":
        return _read_parquet(path, text_column, also)
    if fmt == "jsonl":
        return _read_jsonl(path, text_column, also)
    return _read_delimited(path, text_column, "\t" if fmt == "tsv" else ",", also)


def count_records(path: str | Path) -> int | None:
    """Number of records in a table file (for a progress bar), or None if it cannot be counted."""
    path = Path(path)
    try:
        fmt = table_format(path)
        if fmt == "parquet":
            return int(_pyarrow().parquet.ParquetFile(path).metadata.num_rows)
        handle, _ = _open_text(path)
        with handle:
            if fmt == "jsonl":
                return sum(1 for line in handle if line.strip())
            reader = csv.reader(_Lines(handle), delimiter="\t" if fmt == "tsv" else ",")
            return max(sum(1 for r in reader if r) - 1, 0)
    except (DataError, csv.Error, OSError):
        return None


# -- writing ---------------------------------------------------------------------------------


def check_output_folder(path: str | Path) -> None:
    """Raise DataError when the folder an output file is to be written in does not exist."""
    folder = Path(path).parent
    if not folder.is_dir():
        raise DataError(f"the output folder {folder} does not exist: create it first")


class _Writer:
    """Appends rows to a CSV/TSV or JSON-lines file and reports its size after each flush."""

    def __init__(self, path: Path, fmt: str, columns: list[str], raw: bool, append: bool) -> None:
        self.fmt, self.columns, self.raw = fmt, columns, raw
        check_output_folder(path)
        self.handle = path.open("a" if append else "w", encoding="utf-8", newline="")
        self.csv = None
        if fmt in ("csv", "tsv"):
            self.csv = csv.writer(self.handle, delimiter="\t" if fmt == "tsv" else ",")
            if not append:
                self.csv.writerow([self._cell(c) for c in columns])

    def _cell(self, value: str) -> str:
        return value if self.raw else safe_cell(value)

    def write(self, rows: list[dict[str, str]]) -> None:
        for row in rows:
            if self.csv is not None:
                self.csv.writerow([self._cell(row.get(c, "")) for c in self.columns])
            else:
                self.handle.write(json.dumps({c: row.get(c, "") for c in self.columns}, ensure_ascii=False))
                self.handle.write("\n")

    def flush(self) -> int:
        self.handle.flush()
        os.fsync(self.handle.fileno())
        return self.handle.tell()

    def close(self) -> None:
        self.handle.close()


def _jsonl_to_parquet(source: Path, target: Path, columns: list[str]) -> None:
    pa = _pyarrow()
    schema = pa.schema([(c, pa.string()) for c in columns])
    with pa.parquet.ParquetWriter(target, schema) as writer, source.open(encoding="utf-8") as handle:
        batch: list[dict[str, str]] = []
        for line in handle:
            batch.append(json.loads(line))
            if len(batch) == CHUNK_ROWS * 8:
                writer.write_table(pa.Table.from_pylist(batch, schema=schema))
                batch = []
        if batch:
            writer.write_table(pa.Table.from_pylist(batch, schema=schema))


# -- tagging ---------------------------------------------------------------------------------


def withheld_note(result: TagResult) -> str:
    """What to tell a reader about ``result.withheld`` ("" when nothing was withheld)."""
    if not result.withheld:
        return ""
    scores = ", ".join(f"{t.article} {t.confidence:.2f}" for t in result.withheld)
    return f"the model doubts that this text engages any right, though it scores {scores}"


def tagged_values(result: TagResult, notes: Sequence[str] = ()) -> dict[str, str]:
    """The added columns for one tagged text (``ADDED_COLUMNS``, and ``recommendations``: the
    `;`-joined IDs of the past UPR recommendations found, when a UPR index is installed)."""
    top = result.tags[0] if result.tags else None
    return {
        "recommendations": ";".join(r.id for r in result.recommendations),
        "rights": ";".join(t.article for t in result.tags),
        "top_article": top.article if top else "",
        "top_confidence": f"{top.confidence:.3f}" if top else "",
        "rights_json": json.dumps(
            [t.__dict__ | {"evidence": [e.__dict__ for e in t.evidence]} for t in result.tags],
            ensure_ascii=False,
        ),
        "notes": "; ".join(n for n in [*notes, *result.warnings, withheld_note(result)] if n),
    }


class _Memo:
    """Tags texts in one batch, reusing the results of identical texts seen recently."""

    def __init__(self, tagger: Tagger, size: int = MEMO) -> None:
        self.tagger, self.size = tagger, size
        self.results: OrderedDict[str, TagResult] = OrderedDict()

    def tag(self, texts: list[str]) -> list[TagResult]:
        todo = list(dict.fromkeys(t for t in texts if t not in self.results))
        fresh = dict(zip(todo, self.tagger.tag(todo, suggest=False), strict=True)) if todo else {}
        out = []
        for text in texts:
            result = fresh.get(text) or self.results[text]
            self.results[text] = result
            self.results.move_to_end(text)
            out.append(result)
        while len(self.results) > self.size:
            self.results.popitem(last=False)
        return out


@dataclass
class BatchSummary:
    """What a batch run did: counts, files written and what the user should know."""

    rows: int = 0  # records read, malformed ones included
    tagged: int = 0  # rows engaging at least one right
    errors: int = 0  # malformed records (written to the errors file, never dropped silently)
    counts: Counter[str] = field(default_factory=Counter)  # testimonies per article
    output: Path | None = None
    errors_file: Path | None = None
    resumed_from: int = 0  # records already done by an interrupted run
    warnings: list[str] = field(default_factory=list)
    preview: list[tuple[dict[str, str], TagResult]] = field(default_factory=list)
    noted: dict[str, list[int]] = field(default_factory=dict)  # note -> lines (first few)


def _model_id(tagger: Tagger) -> str:
    params, arrays = tagger.scorer.get_state()
    h = hashlib.sha256(json.dumps(params, sort_keys=True, default=str).encode())
    for embedder in (tagger.embedder, *tagger.whole_text):
        h.update(embedder.fingerprint.encode())
    for name in sorted(arrays):
        h.update(name.encode() + arrays[name].tobytes())
    return h.hexdigest()[:16]


def _write_json(path: Path, data: dict[str, Any]) -> None:
    tmp = path.with_name(path.name + ".tmp")
    with tmp.open("w", encoding="utf-8") as handle:
        json.dump(data, handle)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)


def tag_csv(
    input: str | Path,
    output: str | Path | None = None,
    text_column: str = "text",
    model: str | Path | Tagger | None = None,
    *,
    id_column: str | None = None,
    resume: bool = False,
    on_error: str = "report",
    raw: bool = False,
    redact: bool = False,
    progress: bool | None = None,
    chunk_size: int = CHUNK_ROWS,
) -> BatchSummary:
    """Tag every row of a table file (CSV, TSV, JSONL or Parquet, by extension), streaming.

    The output keeps every input column and adds ``rights``, ``top_article``, ``top_confidence``,
    ``rights_json`` and ``notes``. It is built in ``OUT.partial`` and renamed when complete;
    ``resume=True`` continues an interrupted run. Malformed records are written with their line
    number to ``OUT.errors.csv`` (``on_error="report"``) or stop the run (``"fail"``). Cells that
    a spreadsheet would run as formulas are escaped in CSV/TSV output unless ``raw``. The input
    file is never modified. Without ``output`` nothing is written; the summary is returned.
    ``id_column``, if given, must exist (it names rows in the printed summary). ``redact``
    replaces names, phone numbers, e-mails, street addresses and ID numbers in the text column
    before tagging (see ``rightsmap.redact``), so neither the text nor the evidence keeps them.
    """
    if on_error not in ("report", "fail"):
        raise ValueError(f"on_error must be 'report' or 'fail', got {on_error!r}")
    if chunk_size < 1:
        raise ValueError(f"chunk_size must be a positive integer, got {chunk_size!r}")
    source = Path(input)
    target = Path(output) if output is not None else None
    if target is not None:
        if target.resolve() == source.resolve():
            raise DataError("the output file must differ from the input file (the input is never modified)")
        out_fmt = table_format(target)
    columns, records = read_table(source, text_column, [id_column] if id_column else [])
    tagger = model if isinstance(model, Tagger) else load(model)
    summary = BatchSummary(output=target)
    added = _added_columns(tagger)
    replaced = [c for c in added if c in columns]
    if replaced:
        summary.warnings.append(
            f"the input already has column(s) {', '.join(replaced)}: the output replaces them"
        )
    out_columns = columns + [c for c in added if c not in columns]
    state: dict[str, Any] = {
        "version": _STATE_VERSION,
        "input": str(source.resolve()),
        "input_size": source.stat().st_size,
        "input_mtime_ns": source.stat().st_mtime_ns,
        "text_column": text_column,
        "model": _model_id(tagger),
        "index": None if (index := tagger._upr_index(None)) is None else index.identity,
        "raw": raw,
        "redact": redact,
        "rows_done": 0,
        "output_bytes": 0,
        "errors_bytes": 0,
    }
    writer = errors = None
    if target is not None:
        partial = target.with_name(target.name + ".partial")
        state_file = target.with_name(target.name + ".partial.json")
        errors_partial = target.with_name(target.name + ".errors.csv.partial")
        previous = _resume_state(state_file, state, resume)
        if previous is not None:
            state = previous
            summary.resumed_from = summary.rows = state["rows_done"]
            summary.tagged, summary.errors = state["tagged"], state["errors"]
            summary.counts = Counter(state["counts"])
            for path, size in ((partial, state["output_bytes"]), (errors_partial, state["errors_bytes"])):
                with path.open("r+b") as handle:
                    handle.truncate(size)  # drop what was written after the last recorded chunk
        body_fmt = "jsonl" if out_fmt == "parquet" else out_fmt
        writer = _Writer(partial, body_fmt, out_columns, raw, append=previous is not None)
        errors = _Writer(errors_partial, "csv", ["line", "problem", "raw"], raw, append=previous is not None)
    show = sys.stderr.isatty() if progress is None else progress
    total = count_records(source) if show else None
    memo = _Memo(tagger)
    try:
        with tqdm(
            total=total, unit="rows", disable=not show, desc="tagging", initial=summary.resumed_from
        ) as bar:
            skip = summary.resumed_from
            chunk: list[Row] = []
            for row in records:
                if skip:
                    skip -= 1
                    continue
                chunk.append(row)
                if len(chunk) == chunk_size:
                    _process(chunk, text_column, memo, writer, errors, summary, on_error, source, redact)
                    _checkpoint(state, summary, writer, errors, target)
                    bar.update(len(chunk))
                    chunk = []
            if chunk:
                _process(chunk, text_column, memo, writer, errors, summary, on_error, source, redact)
                _checkpoint(state, summary, writer, errors, target)
                bar.update(len(chunk))
    finally:
        if writer is not None and errors is not None:
            writer.close()
            errors.close()
    if target is not None:
        _finish(target, out_fmt, out_columns, summary)
    _summarise_notes(summary)
    return summary


def tag_frame(
    df: pd.DataFrame, column: str = "text", model: str | Path | Tagger | None = None, progress: bool = False
) -> pd.DataFrame:
    """A copy of a pandas DataFrame with the ``ADDED_COLUMNS`` for the texts in ``column``.

    Missing values (None, NaN) are empty texts: no tags, and a note saying so.
    """
    check_columns("the DataFrame", [str(c) for c in df.columns], [column])
    tagger = model if isinstance(model, Tagger) else load(model)
    texts = [_plain(v) for v in df[column].tolist()]
    memo = _Memo(tagger)
    added: list[dict[str, str]] = []
    with tqdm(total=len(texts), unit="rows", disable=not progress, desc="tagging") as bar:
        for i in range(0, len(texts), CHUNK_ROWS):
            added += [tagged_values(r) for r in memo.tag(texts[i : i + CHUNK_ROWS])]
            bar.update(min(CHUNK_ROWS, len(texts) - i))
    out = df.copy()
    for name in _added_columns(tagger):
        out[name] = [a[name] for a in added]
    return out


def _added_columns(tagger: Tagger) -> tuple[str, ...]:
    """``ADDED_COLUMNS``, plus ``recommendations`` when the tagger has a UPR index."""
    return (*ADDED_COLUMNS, "recommendations") if tagger._upr_index(None) is not None else ADDED_COLUMNS


def write_table(path: str | Path, columns: list[str], rows: list[dict[str, str]], raw: bool = False) -> Path:
    """Write a small table in one go (format by extension), atomically: built aside, then renamed."""
    target = Path(path)
    fmt = table_format(target)
    tmp = target.with_name(f".{target.name}.tmp")
    try:
        writer = _Writer(tmp, "jsonl" if fmt == "parquet" else fmt, columns, raw, append=False)
        writer.write(rows)
        writer.flush()
        writer.close()
        if fmt == "parquet":
            _jsonl_to_parquet(tmp, target, columns)
            tmp.unlink()
        else:
            os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return target


def _resume_state(state_file: Path, fresh: dict[str, Any], resume: bool) -> dict[str, Any] | None:
    """The saved state of an interrupted run to continue, or None to start afresh."""
    if not state_file.is_file():
        return None
    try:
        saved = json.loads(state_file.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        saved = {}
    done = saved.get("rows_done", "?")
    if not resume:
        raise DataError(
            f"an interrupted run left {state_file.name} ({done} rows done): pass --resume "
            "(resume=True) to continue it, or delete it and its .partial files to start over"
        )
    same = (
        "version",
        "input",
        "input_size",
        "input_mtime_ns",
        "text_column",
        "model",
        "index",
        "raw",
        "redact",
    )
    changed = [k for k in same if saved.get(k) != fresh[k]]  # "index": the UPR index used, if any
    if changed:
        raise DataError(
            f"cannot resume from {state_file.name}: {', '.join(changed)} changed since the interrupted "
            "run; delete it and its .partial files to start over"
        )
    return saved


def _process(
    chunk: list[Row],
    text_column: str,
    memo: _Memo,
    writer: _Writer | None,
    errors: _Writer | None,
    summary: BatchSummary,
    on_error: str,
    source: Path,
    redact: bool = False,
) -> None:
    """Tag one chunk of records and write them (malformed ones to the errors file)."""
    good = [r for r in chunk if r.values is not None]
    bad = [r for r in chunk if r.values is None]
    if bad and on_error == "fail":
        raise DataError(f"{source}, line {bad[0].line}: {bad[0].problem}")
    if redact:
        for row in good:
            assert row.values is not None
            row.values[text_column] = redact_text(row.values[text_column])
    results = memo.tag([r.values[text_column] for r in good if r.values is not None])
    out = []
    for row, result in zip(good, results, strict=True):
        assert row.values is not None
        values = row.values | tagged_values(result, row.notes)
        out.append(values)
        for note in [*row.notes, *result.warnings]:
            summary.noted.setdefault(note, []).append(row.line)
        if result.tags:
            summary.tagged += 1
            summary.counts.update(t.article for t in result.tags)
        if len(summary.preview) < PREVIEW:
            summary.preview.append((row.values, result))
    for row in bad:
        summary.noted.setdefault("malformed records", []).append(row.line)
    summary.errors += len(bad)
    summary.rows += len(chunk)
    if writer is not None and errors is not None:
        writer.write(out)
        errors.write([{"line": str(r.line), "problem": r.problem, "raw": r.raw} for r in bad])


def _checkpoint(
    state: dict[str, Any],
    summary: BatchSummary,
    writer: _Writer | None,
    errors: _Writer | None,
    target: Path | None,
) -> None:
    """Record, after the chunk's rows are on disk, how far the run got."""
    if writer is None or errors is None or target is None:
        return
    state |= {
        "rows_done": summary.rows,
        "output_bytes": writer.flush(),
        "errors_bytes": errors.flush(),
        "tagged": summary.tagged,
        "errors": summary.errors,
        "counts": dict(summary.counts),
    }
    _write_json(target.with_name(target.name + ".partial.json"), state)


def _finish(target: Path, fmt: str, columns: list[str], summary: BatchSummary) -> None:
    """Move the complete output (and errors file) into place; remove the resume state."""
    partial = target.with_name(target.name + ".partial")
    errors_partial = target.with_name(target.name + ".errors.csv.partial")
    if fmt == "parquet":
        built = target.with_name(target.name + ".parquet.tmp")
        _jsonl_to_parquet(partial, built, columns)
        os.replace(built, target)
        partial.unlink()
    else:
        os.replace(partial, target)
    if summary.errors:
        summary.errors_file = target.with_name(target.name.rsplit(".", 1)[0] + ".errors.csv")
        os.replace(errors_partial, summary.errors_file)
    else:
        errors_partial.unlink(missing_ok=True)
    target.with_name(target.name + ".partial.json").unlink(missing_ok=True)


def _summarise_notes(summary: BatchSummary, shown: int = 10) -> None:
    for note, lines in summary.noted.items():
        where = ", ".join(map(str, lines[:shown])) + (
            f" and {len(lines) - shown} more" if len(lines) > shown else ""
        )
        summary.warnings.append(f"{note}: {len(lines)} row(s), line(s) {where}")
