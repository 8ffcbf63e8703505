"""The norms: UDHR, ICCPR and ICESCR articles with our summaries, cues, crosswalk and UN mechanisms.

The corpus lives in ``corpora/norms/{udhr,iccpr,icescr}.json`` and is validated when loaded.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np

from .errors import NormsError, UnknownLabelError
from .resources import data_path

INSTRUMENTS: dict[str, int] = {"UDHR": 30, "ICCPR": 27, "ICESCR": 15}
LABELS: tuple[str, ...] = tuple(
    f"{inst}-{n}" for inst, count in INSTRUMENTS.items() for n in range(1, count + 1)
)
_FILES = {inst: f"{inst.lower()}.json" for inst in INSTRUMENTS}


@dataclass(frozen=True)
class Norm:
    """One article: our short title, plain-language summary, cue phrases, crosswalk and mechanisms."""

    id: str
    instrument: str
    number: int
    title: str
    summary: str
    cues: tuple[str, ...]
    related: tuple[str, ...]
    treaty_bodies: tuple[str, ...]
    special_procedures: tuple[str, ...]


def load_norms(directory: str | Path | None = None) -> dict[str, Norm]:
    """Load and validate the norms corpus; keys are article IDs in canonical order.

    >>> load_norms()["UDHR-25"].title
    'Adequate standard of living: food, housing, health care'
    """
    if directory is None:
        return _default_norms()
    return _load(Path(directory))


@cache
def _default_norms() -> dict[str, Norm]:
    return _load(data_path("corpora", "norms"))


def _load(directory: Path) -> dict[str, Norm]:
    records: list[dict] = []
    for inst, name in _FILES.items():
        path = directory / name
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise NormsError(
                f"norms corpus file {path} is missing (expected one file per instrument: "
                f"{', '.join(_FILES.values())})"
            ) from None
        except json.JSONDecodeError as exc:
            raise NormsError(f"{path} is not valid JSON: {exc}") from None
        if not isinstance(data, list):
            raise NormsError(f"{path} must hold a JSON list of article records")
        for i, rec in enumerate(data):
            if not isinstance(rec, dict):
                raise NormsError(f"{path}: record {i} is not an object")
            rec.setdefault("instrument", inst)
            records.append({**rec, "_source": f"{path}, record {i}"})
    norms = _build(records)
    validate_norms(norms)
    return {aid: norms[aid] for aid in LABELS}


def _build(records: list[dict]) -> dict[str, Norm]:
    norms: dict[str, Norm] = {}
    for rec in records:
        where = rec["_source"]
        try:
            mech = rec.get("mechanisms") or {}
            norm = Norm(
                id=str(rec["id"]),
                instrument=str(rec["instrument"]),
                number=int(rec["number"]),
                title=str(rec["title"]).strip(),
                summary=str(rec["summary"]).strip(),
                cues=tuple(str(c).strip() for c in rec.get("cues", [])),
                related=tuple(str(r) for r in rec.get("related", [])),
                treaty_bodies=tuple(mech.get("treaty_bodies", [])),
                special_procedures=tuple(mech.get("special_procedures", [])),
            )
        except KeyError as exc:
            raise NormsError(f"{where}: missing field {exc.args[0]!r}") from None
        if norm.id in norms:
            raise NormsError(f"{where}: article {norm.id} appears more than once")
        norms[norm.id] = norm
    return norms


def validate_norms(norms: dict[str, Norm]) -> None:
    """Raise NormsError listing every problem: missing or unknown IDs, empty text, asymmetric crosswalk."""
    problems: list[str] = []
    missing = [aid for aid in LABELS if aid not in norms]
    if missing:
        problems.append(f"missing articles: {', '.join(missing)}")
    for aid, norm in norms.items():
        if aid not in LABELS:
            problems.append(f"unknown article ID {aid!r}")
            continue
        if f"{norm.instrument}-{norm.number}" != aid:
            problems.append(f"{aid}: instrument/number say {norm.instrument}-{norm.number}")
        if not norm.title:
            problems.append(f"{aid}: empty title")
        if not norm.summary:
            problems.append(f"{aid}: empty summary")
        if not norm.cues or any(not c for c in norm.cues):
            problems.append(f"{aid}: needs non-empty cue phrases")
        for rel in norm.related:
            if rel not in norms:
                problems.append(f"{aid}: crosswalk names unknown article {rel!r}")
            elif rel.split("-")[0] == norm.instrument:
                problems.append(f"{aid}: crosswalk must point to other instruments, not {rel}")
            elif aid not in norms[rel].related:
                problems.append(f"crosswalk not symmetric: {aid} lists {rel} but {rel} does not list {aid}")
    if problems:
        raise NormsError("invalid norms corpus:\n  " + "\n  ".join(problems))


def udhr_counterparts(norms: dict[str, Norm]) -> np.ndarray:
    """(72, 72) 0/1 matrix in ``LABELS`` order: row j marks the UDHR articles that covenant
    article j is crosswalked to (rows of UDHR articles are all zero)."""
    index = {aid: j for j, aid in enumerate(LABELS)}
    matrix = np.zeros((len(LABELS), len(LABELS)), dtype=np.int8)
    for aid in LABELS:
        if not aid.startswith("UDHR-"):
            for rel in norms[aid].related:
                if rel.startswith("UDHR-"):
                    matrix[index[aid], index[rel]] = 1
    return matrix


def get_norm(article_id: str) -> Norm:
    """The bundled norm for an article ID (any common spelling, see ``parse_label``)."""
    return load_norms()[parse_label(article_id)]


def norms_fingerprint(norms: dict[str, Norm]) -> str:
    """A short hash of the corpus content, recorded in model directories."""
    payload = json.dumps([n.__dict__ for n in norms.values()], sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:16]


_PARAGRAPH = r"(?:\s*\(\w{1,2}\)|\.\d{1,2})?"  # "25(1)", "11.1": the article is what counts
_LABEL_RE = [
    re.compile(
        r"^(?P<inst>udhr|iccpr|icescr)\s*[-_ .:/#\u2013\u2014]*\s*(?:art(?:icle)?\.?\s*)?(?P<num>\d{1,3})"
        + _PARAGRAPH
        + "$"
    ),
    re.compile(
        r"^art(?:icle)?\.?\s*(?P<num>\d{1,3})"
        + _PARAGRAPH
        + r"\s*(?:of\s+)?(?:the\s+)?(?P<inst>udhr|iccpr|icescr)$"
    ),
]
_NO_RIGHT = {"none", "no", "n/a", "na", "-", "nothing", "no right", "no rights"}


def parse_label(label: str) -> str:
    """Canonical article ID for common spellings: ``UDHR 25``, ``udhr-25``, ``Article 25 UDHR``,
    ``UDHR 25(1)``, ``ICESCR 11.1``.

    Raises UnknownLabelError saying what is wrong: a number past the instrument's last article,
    no instrument, a word meaning "no right" (write nothing instead), else the closest valid ID.
    """
    raw = str(label).strip()
    key = re.sub(r"\s+", " ", raw.lower())
    for rx in _LABEL_RE:
        m = rx.match(key)
        if m:
            inst = m["inst"].upper()
            aid = f"{inst}-{int(m['num'])}"
            if aid in LABELS:
                return aid
            last = max(int(x.split("-")[1]) for x in LABELS if x.startswith(inst + "-"))
            raise UnknownLabelError(f"unknown label {raw!r}: the {inst} has articles 1 to {last}")
    if key in _NO_RIGHT:
        raise UnknownLabelError(
            f"unknown label {raw!r}: leave the cell empty for a testimony that engages no right"
        )
    if re.fullmatch(r"art(?:icle)?\.?\s*\d{1,3}" + _PARAGRAPH, key):
        number = int(re.findall(r"\d+", key)[0])
        raise UnknownLabelError(f"unknown label {raw!r}: say which instrument, e.g. UDHR-{number}")
    close = difflib.get_close_matches(raw.upper().replace(" ", "-"), LABELS, n=1, cutoff=0.0)
    hint = f"; closest valid ID: {close[0]}" if close else ""
    raise UnknownLabelError(f"unknown label {raw!r}{hint} (valid: UDHR-1..30, ICCPR-1..27, ICESCR-1..15)")
