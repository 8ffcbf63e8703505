"""Past UPR recommendations: importers for the files users download, a local index, and search.

The canonical record (one JSON object per line, as in a rightsmap index) has the fields
``id, text, recommending_states, state_under_review, cycle, session, document_symbol, paragraph,
response, themes``. Importers read three sources:

- ``jsonl``: canonical records;
- ``uhri``: the OHCHR Universal Human Rights Index export (Excel ``.xlsx`` with the ``excel``
  extra, the same sheet saved as ``.csv``, or the UHRI JSON download); only UPR rows are kept;
- ``uprinfo``: the UPR Info database CSV export (``To, Text, From, Response, Issue, Session``);
  joint recommendations, listed once per recommending State, become one record.

An index is a folder holding versions (``v-<time>/``: ``records.jsonl``, ``vectors.npy``,
``columns.npz`` (what search filters and ranks on), ``manifest.json``) and a ``CURRENT`` file
naming the live one. An import builds a new version aside and switches ``CURRENT`` atomically,
so a failed import leaves the old index untouched. Nothing here is bundled: users point the
importer at their own download.
"""

from __future__ import annotations

import csv
import datetime
import difflib
import hashlib
import io
import json
import os
import re
import secrets
import shutil
import sys
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
from tqdm import tqdm

from .embed import (
    RETRIEVAL_EMBEDDER,
    ConcatEmbedder,
    Embedder,
    VectorMemo,
    embedder_matching,
    sentence_embedder,
)
from .errors import DataError
from .norms import LABELS
from .resources import data_path
from .text import guess_language
from .types import Recommendation

FIELDS = (
    "id",
    "text",
    "recommending_states",
    "state_under_review",
    "cycle",
    "session",
    "document_symbol",
    "paragraph",
    "response",
    "themes",
)
FORMATS = ("jsonl", "uhri", "uprinfo")
VERSION_FILES = ("manifest.json", "records.jsonl", "vectors.npy", "columns.npz")
AGREEMENT_WEIGHT = 0.25  # for ranking="combined"; fixed a priori

_RESPONSES = {"accepted": "Supported", "supported": "Supported", "noted": "Noted"}
_STATE_ALIASES = {
    "usa": "united states of america",
    "us": "united states of america",
    "united states": "united states of america",
    "uk": "united kingdom of great britain and northern ireland",
    "united kingdom": "united kingdom of great britain and northern ireland",
}
_PARAGRAPH = re.compile(r"^\s*(\d+(?:\.\d+)+)\s*")


def default_index_path() -> Path:
    """``$RIGHTSMAP_UPR_INDEX``, else the platform's user-data folder + ``rightsmap/upr-index``."""
    if os.environ.get("RIGHTSMAP_UPR_INDEX"):
        return Path(os.environ["RIGHTSMAP_UPR_INDEX"])
    if sys.platform == "win32":
        base = Path(os.environ.get("LOCALAPPDATA") or Path.home() / "AppData" / "Local")
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Application Support"
    else:
        base = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    return base / "rightsmap" / "upr-index"


def cycle_of(session: int | None) -> int | None:
    """The UPR cycle of a Working Group session (cycles of 12, 14, 14, 14 sessions)."""
    if session is None:
        return None
    for cycle, last in ((1, 12), (2, 26), (3, 40), (4, 54)):
        if session <= last:
            return cycle
    return 5 + (session - 55) // 14


@cache
def _theme_articles() -> dict[str, list[str]]:
    themes = json.loads(data_path("corpora", "norms", "themes.json").read_text(encoding="utf-8"))
    merged: dict[str, list[str]] = {}
    for vocabulary in themes.values():
        for name, articles in vocabulary.items():
            merged.setdefault(name.casefold(), []).extend(articles)
    return merged


def theme_articles(themes: Iterable[str]) -> list[str]:
    """Article IDs that UPR Info issues / UHRI themes map to (``corpora/norms/themes.json``)."""
    table = _theme_articles()
    found = {a for t in themes for a in table.get(t.strip().casefold(), [])}
    return [a for a in LABELS if a in found]


# -- reading the exports -----------------------------------------------------------------------


@dataclass
class ImportReport:
    """What reading a file found: records, problems (with line numbers) and merged duplicates."""

    records: list[dict[str, Any]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    duplicates: int = 0  # records whose ID was already seen (merged)
    skipped: int = 0  # rows that are not UPR recommendations (UHRI treaty-body rows, ...)
    format: str = ""


def _text_of(data: bytes) -> str:
    """Decode an export: UTF-8 (BOM or not), else Mac Roman for CR-only files (old Mac Excel), else
    Windows-1252."""
    for bom, encoding in ((b"\xef\xbb\xbf", "utf-8-sig"), (b"\xff\xfe", "utf-16"), (b"\xfe\xff", "utf-16")):
        if data.startswith(bom):
            return data.decode(encoding)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        cr_only = b"\r" in data and b"\n" not in data
        return data.decode("mac_roman" if cr_only else "cp1252")


def _norm_header(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.casefold()).replace("reccomend", "recommend")


def _multi(value: Any) -> list[str]:
    """A UHRI multi-value cell ("- a\\n- b") or list as a list of strings."""
    if value is None:
        return []
    items = value if isinstance(value, list) else str(value).splitlines()
    out = []
    for item in items:
        item = str(item).strip()
        item = item[2:].strip() if item.startswith("- ") else item.lstrip("-").strip()
        if item:
            out.append(item)
    return out


def _int(value: Any) -> int | None:
    m = re.search(r"\d+", str(value)) if value not in (None, "") else None
    return int(m.group()) if m else None


def _response(value: Any) -> str:
    text = " ".join(_multi(value)) or ""
    return _RESPONSES.get(text.casefold(), text)


def detect_format(path: Path, head: str) -> str:
    """``jsonl``, ``uhri`` or ``uprinfo`` from the extension and the first line of the file."""
    suffix = path.suffix.lower()
    if suffix in (".jsonl", ".ndjson"):
        return "jsonl"
    if suffix in (".xlsx", ".json"):
        return "uhri"
    header = {_norm_header(h) for h in next(csv.reader([head.splitlines()[0] if head else ""]), [])}
    if {"to", "from", "text", "issue"} <= header:
        return "uprinfo"
    if "text" in header and ({"uprposition", "countriesconcerned", "ohchrannotationid"} & header):
        return "uhri"
    if head.lstrip().startswith("{"):
        return "jsonl"
    raise DataError(
        f"{path}: cannot tell the format; expected canonical JSON lines (.jsonl), a UHRI export "
        "(.xlsx/.json, or CSV with 'Text' and 'UPR Position' columns) or a UPR Info CSV "
        "('To', 'Text', 'From', 'Issue' columns). Pass --format to choose."
    )


def _canonical(rec: dict[str, Any]) -> dict[str, Any]:
    states = rec.get("recommending_states") or []
    session = _int(rec.get("session"))
    return {
        "id": str(rec["id"]).strip(),
        "text": " ".join(str(rec["text"]).split()),
        "recommending_states": [states] if isinstance(states, str) else [str(s) for s in states],
        "state_under_review": str(rec.get("state_under_review") or ""),
        "cycle": _int(rec.get("cycle")) or cycle_of(session),
        "session": session,
        "document_symbol": str(rec.get("document_symbol") or ""),
        "paragraph": str(rec.get("paragraph") or ""),
        "response": _response(rec.get("response")),
        "themes": [str(t) for t in rec.get("themes") or []],
    }


def _add(report: ImportReport, seen: dict[str, int], rec: dict[str, Any]) -> None:
    """Add a record, merging one whose ID was seen (recommending States and themes united)."""
    if rec["id"] in seen:
        old = report.records[seen[rec["id"]]]
        for key in ("recommending_states", "themes"):
            old[key] += [v for v in rec[key] if v not in old[key]]
        report.duplicates += 1
        return
    seen[rec["id"]] = len(report.records)
    report.records.append(rec)


def _read_jsonl(text: str, path: Path, report: ImportReport) -> None:
    seen: dict[str, int] = {}
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            rec = json.loads(line)
        except json.JSONDecodeError as exc:
            report.problems.append(f"line {number}: not valid JSON ({exc.msg})")
            continue
        missing = [
            k for k in ("id", "text") if not isinstance(rec, dict) or not str(rec.get(k) or "").strip()
        ]
        if missing:
            report.problems.append(f"line {number}: no {' or '.join(missing)}")
            continue
        _add(report, seen, _canonical(rec))


def _uhri_record(row: dict[str, Any]) -> dict[str, Any] | str | None:
    """One UHRI row (normalised headers) as a canonical record, a problem, or None if not UPR."""
    body = " ".join(_multi(row.get("recommendingbody") or row.get("body")))
    if body and "upr" not in body.casefold():
        return None
    text = str(row.get("text") or "").strip()
    ident = str(row.get("ohchrannotationid") or row.get("annotationid") or "").strip()
    if not text or not ident:
        return "no " + " or ".join(n for n, v in (("Text", text), ("OHCHR Annotation Id", ident)) if not v)
    paragraph = ""
    m = _PARAGRAPH.match(text)
    if m:
        paragraph, text = m.group(1), text[m.end() :]
    states = _multi(row.get("uprrecommendingstates"))
    for state in states:  # the text ends with "(State)" / "(State);" in UPR rows
        text = re.sub(rf"\s*\({re.escape(state)}\)\s*[;.]?\s*$", "", text)
    countries = _multi(row.get("countriesconcerned") or row.get("countries"))
    return _canonical(
        {
            "id": ident,
            "text": text,
            "recommending_states": states,
            "state_under_review": countries[0] if countries else "",
            "session": _int(row.get("uprsession")),
            "document_symbol": " ".join(_multi(row.get("documentsymbol") or row.get("symbol"))),
            "paragraph": paragraph,
            "response": row.get("uprposition"),
            "themes": _multi(row.get("themes")),
        }
    )


def _uhri_rows(path: Path, text: str | None) -> Iterator[tuple[int, dict[str, Any]]]:
    if path.suffix.lower() == ".xlsx":
        try:
            import openpyxl
        except ImportError:
            raise DataError("UHRI Excel files need openpyxl: pip install 'rightsmap[excel]'") from None
        sheet = openpyxl.load_workbook(path, read_only=True, data_only=True).worksheets[0]
        rows = sheet.iter_rows(values_only=True)
        header = [_norm_header(str(h or "")) for h in next(rows, [])]
        for number, values in enumerate(rows, 2):
            yield number, dict(zip(header, values, strict=False))
    elif path.suffix.lower() == ".json":
        try:
            data = json.loads(text or "")
        except json.JSONDecodeError as exc:
            raise DataError(f"{path}: not valid JSON ({exc.msg}, line {exc.lineno})") from None
        records = data if isinstance(data, list) else data.get("records") or data.get("data") or []
        for number, rec in enumerate(records, 1):
            yield number, {_norm_header(k): v for k, v in rec.items()} if isinstance(rec, dict) else {}
    else:
        reader = csv.DictReader(io.StringIO(text or "", newline=""))
        for row in reader:
            yield reader.line_num, {_norm_header(k): v for k, v in row.items() if k is not None}


def _read_uhri(path: Path, text: str | None, report: ImportReport) -> None:
    seen: dict[str, int] = {}
    for number, row in _uhri_rows(path, text):
        rec = _uhri_record(row)
        if rec is None:
            report.skipped += 1
        elif isinstance(rec, str):
            report.problems.append(f"{'record' if path.suffix == '.json' else 'line'} {number}: {rec}")
        else:
            _add(report, seen, rec)


def _read_uprinfo(text: str, path: Path, report: ImportReport) -> None:
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = {_norm_header(h): h for h in reader.fieldnames or []}
    missing = [
        c for c in ("To", "Text", "From", "Response", "Issue", "Session") if _norm_header(c) not in header
    ]
    if missing:
        raise DataError(
            f"{path}: missing UPR Info column(s) {', '.join(missing)}; columns found: "
            f"{', '.join(reader.fieldnames or [])}"
        )
    col = {k: header[_norm_header(k)] for k in ("To", "Text", "From", "Response", "Issue", "Session")}
    seen: dict[str, int] = {}
    for row in reader:
        if None in row:
            report.problems.append(f"line {reader.line_num}: more fields than the header has")
            continue
        if None in row.values():
            report.problems.append(f"line {reader.line_num}: fewer fields than the header has")
            continue
        text_value = " ".join((row[col["Text"]] or "").split())
        if not text_value:
            report.problems.append(f"line {reader.line_num}: empty Text")
            continue
        state, session = row[col["To"]].strip(), _int(row[col["Session"]])
        key = f"{state}|{session}|{text_value.casefold()}"
        _add(
            report,
            seen,
            _canonical(
                {
                    "id": "uprinfo-" + hashlib.sha1(key.encode()).hexdigest()[:16],
                    "text": text_value,
                    "recommending_states": [row[col["From"]].strip()],
                    "state_under_review": state,
                    "session": session,
                    "response": row[col["Response"]],
                    "themes": [t.strip() for t in (row[col["Issue"]] or "").split(",") if t.strip()],
                }
            ),
        )


def read_recommendations(path: str | Path, fmt: str = "auto") -> ImportReport:
    """Read an export into canonical records (format ``auto``, ``jsonl``, ``uhri`` or ``uprinfo``)."""
    path = Path(path)
    if fmt != "auto" and fmt not in FORMATS:
        raise ValueError(f"format must be 'auto' or one of {', '.join(FORMATS)}, got {fmt!r}")
    if not path.is_file():
        raise DataError(f"{path} does not exist")
    text = None if path.suffix.lower() == ".xlsx" else _text_of(path.read_bytes())
    if text is not None and not text.strip():
        raise DataError(f"{path} is empty")
    report = ImportReport(format=detect_format(path, text or "") if fmt == "auto" else fmt)
    if report.format == "jsonl":
        _read_jsonl(text or "", path, report)
    elif report.format == "uprinfo":
        _read_uprinfo(text or "", path, report)
    else:
        _read_uhri(path, text, report)
    for rec in report.records:
        rec["articles"] = theme_articles(rec["themes"])
    return report


# -- the index ---------------------------------------------------------------------------------


def _state_key(name: str) -> str:
    key = " ".join(re.sub(r"[^\w\s]", " ", name.casefold()).split())
    key = key.removeprefix("the ")
    return _STATE_ALIASES.get(key, key)


class RecommendationIndex:
    """Recommendations with their embeddings and articles, searchable by text and tags."""

    def __init__(
        self,
        records: list[dict[str, Any]] | None,
        vectors: np.ndarray,
        manifest: dict[str, Any],
        columns: dict[str, np.ndarray] | None = None,
        source: Path | None = None,
    ):
        """In memory from ``records``; or (``load``) from precomputed ``columns`` with the records
        read from ``source`` only when one is needed."""
        self.vectors, self.manifest = vectors, manifest
        self._records, self._source = records, source
        cols = columns if columns is not None else _columns(records or [])
        self._offsets = cols["offsets"]
        self._article_columns = cols["articles"]  # padded with len(LABELS): a zero probability
        self._state_names = cols["states"]
        self._cycles = cols["cycles"]
        self._responses = cols["responses"]
        names = np.unique(self._state_names)
        keys = np.array([_state_key(str(n)) for n in names], dtype=object)
        self._states = keys[np.searchsorted(names, self._state_names)] if len(names) else keys

    def __len__(self) -> int:
        return len(self.vectors)

    @property
    def identity(self) -> str:
        """Which index this is: its version folder when loaded from disk (a re-import makes a new
        one), else a digest of its vectors."""
        if self._source is not None:
            return str(self._source.parent.resolve())
        return hashlib.sha256(np.ascontiguousarray(self.vectors).tobytes()).hexdigest()[:16]

    @property
    def records(self) -> list[dict[str, Any]]:
        """Every record (read from disk on first use for a loaded index)."""
        if self._records is None:
            assert self._source is not None
            with self._source.open(encoding="utf-8") as handle:
                self._records = [json.loads(line) for line in handle]
        return self._records

    def record(self, i: int) -> dict[str, Any]:
        """Record ``i``, read alone from disk when the records are not in memory."""
        if self._records is not None or self._source is None:
            return self.records[i]
        with self._source.open("rb") as handle:
            handle.seek(int(self._offsets[i]))
            return json.loads(handle.readline())

    def get(self, ids: Iterable[str]) -> list[Recommendation]:
        """The recommendations with these IDs, in the order asked; unknown IDs are left out."""
        wanted = list(ids)
        keys = set(wanted)
        found = {r["id"]: r for r in self.records if r["id"] in keys}
        return [_recommendation(found[i], 0.0) for i in wanted if i in found]

    @classmethod
    def load(cls, path: str | Path | None = None) -> RecommendationIndex:
        """Load the live version of an index folder (default: ``default_index_path()``)."""
        root = Path(path) if path is not None else default_index_path()
        current = root / "CURRENT"
        if not current.is_file():
            raise DataError(
                f"no UPR index at {root}: import your download first, e.g. "
                "`rightsmap upr import recommendations.jsonl`"
            )
        version = root / current.read_text(encoding="utf-8").strip()
        missing = [n for n in VERSION_FILES if not (version / n).is_file()]
        if missing:
            raise DataError(
                f"the UPR index at {root} is damaged ({', '.join(missing)} missing in {version.name}): "
                "delete that folder and import your download again"
            )
        manifest = json.loads((version / "manifest.json").read_text(encoding="utf-8"))
        vectors = np.load(version / "vectors.npy", allow_pickle=False)
        with np.load(version / "columns.npz", allow_pickle=False) as npz:
            columns = {k: npz[k] for k in npz.files}
        if len(columns["offsets"]) != len(vectors):
            raise DataError(f"{version}: {len(columns['offsets'])} records but {len(vectors)} vectors")
        return cls(None, vectors, manifest, columns, version / "records.jsonl")

    @property
    def embedder(self) -> Embedder:
        """The embedder the records were encoded with; queries are encoded with it too."""
        if getattr(self, "_embedder", None) is None:
            self._embedder: Embedder | None = embedder_matching(
                self.manifest["embedder"], "the UPR index", "import your file again to re-encode the index"
            )
        assert self._embedder is not None
        return self._embedder

    def encode(self, texts: list[str], memo: VectorMemo | None = None) -> np.ndarray:
        """Query vectors for texts, from the index's embedder (``memo``: vectors already computed).

        With a concatenated embedder, each text is compared only in the parts that understand
        its language (``text.guess_language``): an English text in the English parts, a Spanish
        or French one in the multilingual parts, a text of unsure language in all of them. On our
        development judged sets (English, Spanish, French) this beat comparing in every part.
        """
        emb = self.embedder
        if not isinstance(emb, ConcatEmbedder):
            return memo.encode(emb, texts) if memo is not None else emb.encode(texts)
        out = np.zeros((len(texts), emb.dim), dtype=np.float32)
        groups: dict[tuple[bool, ...], list[int]] = {}
        for i, text in enumerate(texts):
            groups.setdefault(_parts_for(emb, guess_language(text)), []).append(i)
        for used, rows in groups.items():
            out[rows] = emb.encode_with([texts[i] for i in rows], used, memo=memo)
        return out

    def mask(
        self, state: str | None = None, cycle: int | None = None, response: str | None = None
    ) -> np.ndarray:
        """Which records pass the filters; an unknown State raises DataError with the closest names."""
        keep = np.ones(len(self), dtype=bool)
        if state:
            keep &= self._states == _state_key(state)
            if not keep.any():
                names = sorted({str(n) for n in self._state_names})
                close = difflib.get_close_matches(state, names, n=3)
                hint = f" Did you mean {', '.join(map(repr, close))}?" if close else ""
                raise DataError(f"no recommendation to {state!r} in the index.{hint}")
        if cycle is not None:
            keep &= self._cycles == int(cycle)
        if response:
            keep &= self._responses == _RESPONSES.get(response.casefold(), response).casefold()
        return keep

    def scores(self, vectors: np.ndarray, proba: np.ndarray | None = None) -> np.ndarray:
        """(n, records) relevance: cosine similarity, plus ``AGREEMENT_WEIGHT`` times the
        strongest tag probability among each recommendation's articles when ``proba`` is given."""
        sims = np.asarray(vectors, dtype=np.float32) @ self.vectors.T
        if proba is None:
            return sims
        padded = np.hstack([np.asarray(proba, dtype=np.float32), np.zeros((len(proba), 1), np.float32)])
        for row, p in zip(sims, padded, strict=True):
            row += AGREEMENT_WEIGHT * p[self._article_columns].max(axis=1)
        return sims

    def search(
        self,
        vectors: np.ndarray,
        proba: np.ndarray | None = None,
        k: int = 10,
        state: str | None = None,
        cycle: int | None = None,
        response: str | None = None,
    ) -> list[list[Recommendation]]:
        """The ``k`` best recommendations for each query vector (and its tag probabilities)."""
        if not isinstance(k, int) or k < 1:
            raise ValueError(f"k must be a positive integer, got {k!r}")
        keep = self.mask(state, cycle, response)
        scores = self.scores(vectors, proba)
        if not keep.all():
            scores[:, ~keep] = -np.inf
        out = []
        k = min(k, int(keep.sum()))
        for row in scores:
            best = np.argpartition(-row, k - 1)[:k] if k else np.zeros(0, dtype=int)
            top = best[np.argsort(-row[best], kind="stable")]
            out.append([_recommendation(self.record(int(i)), float(row[i])) for i in top])
        return out


def _parts_for(emb: ConcatEmbedder, lang: str) -> tuple[bool, ...]:
    """Which parts of ``emb`` compare a text in ``lang`` (see ``RecommendationIndex.encode``)."""
    everything = tuple(True for _ in emb.parts)
    if lang == "und":
        return everything
    languages = [getattr(p, "languages", None) for p in emb.parts]
    speaks = tuple(ls is not None and lang in ls for ls in languages)
    if any(speaks):
        return speaks
    multilingual = tuple(ls is None for ls in languages)
    return multilingual if any(multilingual) else everything


def _columns(records: list[dict[str, Any]]) -> dict[str, np.ndarray]:
    """The arrays search needs, one row per record (saved beside the records as columns.npz)."""
    index = {a: j for j, a in enumerate(LABELS)}
    width = max((len(r.get("articles", [])) for r in records), default=1) or 1
    articles = np.full((len(records), width), len(LABELS), dtype=np.int16)
    offsets = np.zeros(len(records), dtype=np.int64)
    position = 0
    for i, rec in enumerate(records):
        cols = [index[a] for a in rec.get("articles", [])]
        articles[i, : len(cols)] = cols
        offsets[i] = position
        position += len(_line(rec))
    return {
        "offsets": offsets,
        "articles": articles,
        "states": np.array([r["state_under_review"] for r in records], dtype=str),
        "cycles": np.array([r.get("cycle") or 0 for r in records], dtype=np.int32),
        "responses": np.array([(r.get("response") or "").casefold() for r in records], dtype=str),
    }


def _line(rec: dict[str, Any]) -> bytes:
    return (json.dumps(rec, ensure_ascii=False) + "\n").encode("utf-8")


def _recommendation(rec: dict[str, Any], score: float) -> Recommendation:
    return Recommendation(
        id=rec["id"],
        text=rec["text"],
        recommending_states=list(rec["recommending_states"]),
        state_under_review=rec["state_under_review"],
        cycle=rec.get("cycle"),
        response=rec.get("response", ""),
        score=round(score, 4),
        session=rec.get("session"),
        document_symbol=rec.get("document_symbol", ""),
        paragraph=rec.get("paragraph", ""),
        articles=list(rec.get("articles", [])),
    )


@dataclass
class ImportSummary:
    """What ``import_recommendations`` did."""

    path: Path
    read: int
    added: int
    updated: int
    total: int
    encoded: int
    report: ImportReport


def import_recommendations(
    source: str | Path,
    index: str | Path | None = None,
    fmt: str = "auto",
    embedder: str | Embedder | None = None,
    progress: bool | None = None,
) -> ImportSummary:
    """Import an export into the index (merging by ID with what is there), atomically.

    Records already in the index with the same text keep their vectors; the rest are encoded with
    ``embedder`` (a name such as ``"mpnet+use"`` or an Embedder; default: ``RETRIEVAL_EMBEDDER``);
    an index built with another embedder is re-encoded whole. A failure leaves the previous index
    as it was.
    """
    emb = sentence_embedder(embedder or RETRIEVAL_EMBEDDER, "a retrieval embedder")  # before reading
    report = read_recommendations(source, fmt)
    if not report.records:
        raise DataError(
            f"{source}: no recommendation could be read"
            + (
                f" ({len(report.problems)} problem(s), first: {report.problems[0]})"
                if report.problems
                else ""
            )
        )
    root = Path(index) if index is not None else default_index_path()
    old: RecommendationIndex | None = None
    if (root / "CURRENT").is_file():
        old = RecommendationIndex.load(root)
    records = list(old.records) if old else []
    vectors = [old.vectors] if old else []
    position = {r["id"]: i for i, r in enumerate(records)}
    stale = np.zeros(len(records), dtype=bool)
    new: list[dict[str, Any]] = []
    updated = 0
    for rec in report.records:
        if rec["id"] in position:
            i = position[rec["id"]]
            stale[i] = records[i]["text"] != rec["text"]
            records[i] = rec
            updated += 1
        else:
            new.append(rec)
    reencode = old is not None and old.manifest["embedder"]["fingerprint"] != emb.fingerprint
    stale |= reencode  # another embedder: every vector is encoded again
    redo = [records[i] for i in np.flatnonzero(stale)] + new
    show = sys.stderr.isatty() if progress is None else progress
    encoded = _encode(emb, [r["text"] for r in redo], show)
    if old is not None and stale.any():
        vectors[0] = np.zeros((len(records), emb.dim), np.float32) if reencode else old.vectors.copy()
        vectors[0][stale] = encoded[: int(stale.sum())]
    all_records = records + new
    matrix = np.vstack([*vectors, encoded[int(stale.sum()) :]]).astype(np.float32)
    _write_version(root, all_records, matrix, emb, Path(source))
    return ImportSummary(
        Path(source), len(report.records), len(new), updated, len(all_records), len(redo), report
    )


def _encode(embedder: Embedder, texts: list[str], progress: bool, step: int = 2048) -> np.ndarray:
    parts = [np.zeros((0, embedder.dim), dtype=np.float32)]
    with tqdm(total=len(texts), unit="recs", desc="encoding", disable=not progress) as bar:
        for i in range(0, len(texts), step):
            parts.append(embedder.encode(texts[i : i + step]))
            bar.update(len(texts[i : i + step]))
    return np.vstack(parts)


def _write_version(
    root: Path, records: list[dict[str, Any]], vectors: np.ndarray, embedder: Embedder, source: Path
) -> None:
    from . import __version__

    root.mkdir(parents=True, exist_ok=True)
    name = f"v-{time.strftime('%Y%m%dT%H%M%S')}-{secrets.token_hex(4)}"
    build = root / f".{name}.tmp"
    build.mkdir()
    try:
        with (build / "records.jsonl").open("wb") as handle:
            for rec in records:
                handle.write(_line(rec))
        np.save(build / "vectors.npy", vectors)
        np.savez(build / "columns.npz", **_columns(records))  # type: ignore[arg-type]  # numpy stubs
        manifest = {
            "format": "rightsmap-upr-index",
            "format_version": 1,
            "records": len(records),
            "embedder": {"name": embedder.name, "dim": embedder.dim, "fingerprint": embedder.fingerprint},
            "last_import": {"file": str(source), "date": datetime.date.today().isoformat()},
            "rightsmap": __version__,
        }
        (build / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
        os.replace(build, root / name)
        pointer = root / ".CURRENT.tmp"
        pointer.write_text(name + "\n", encoding="utf-8")
        previous = (
            (root / "CURRENT").read_text(encoding="utf-8").strip() if (root / "CURRENT").is_file() else None
        )
        os.replace(pointer, root / "CURRENT")  # the switch: atomic
    except BaseException:
        shutil.rmtree(build, ignore_errors=True)
        raise
    if previous and previous != name:
        shutil.rmtree(root / previous, ignore_errors=True)


def search(
    text: str,
    k: int = 10,
    state: str | None = None,
    cycle: int | None = None,
    response: str | None = None,
    index: str | Path | RecommendationIndex | None = None,
    model: Any = None,
    ranking: str = "cosine",
) -> list[Recommendation]:
    """Past recommendations most relevant to ``text``, best first.

    ``ranking="cosine"``: similarity under the index's embedder; ``"combined"`` adds agreement
    between the text's tags (from ``model``) and each recommendation's articles.
    """
    from .tagger import Tagger, load

    if ranking not in ("combined", "cosine"):
        raise ValueError(f"ranking must be 'combined' or 'cosine', got {ranking!r}")
    if not isinstance(text, str) or not text.strip():
        raise ValueError("search needs a non-empty text")
    idx = index if isinstance(index, RecommendationIndex) else RecommendationIndex.load(index)
    proba = None
    if ranking == "combined":
        tagger = model if isinstance(model, Tagger) else load(model)
        proba = tagger.predict_proba([text])
    return idx.search(idx.encode([text]), proba, k, state, cycle, response)[0]
