"""The frozen results rightsmap returns to users. Every one has a JSON-safe ``to_dict()``."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class Evidence:
    """A sentence of the input that drives a tag; ``text == original[start:end]``."""

    text: str
    start: int
    end: int
    score: float


@dataclass(frozen=True)
class Tag:
    """One article a testimony engages, with a calibrated confidence in [0, 1]."""

    article: str
    instrument: str
    title: str
    confidence: float
    evidence: list[Evidence] = field(default_factory=list)
    related: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Recommendation:
    """A past UPR recommendation that a testimony supports (``score``: higher is more relevant)."""

    id: str
    text: str
    recommending_states: list[str]
    state_under_review: str
    cycle: int | None
    response: str
    score: float
    session: int | None = None
    document_symbol: str = ""
    paragraph: str = ""
    articles: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Suggestion:
    """A framing-and-claiming draft for one right engaged."""

    articles: list[str]
    frame: str
    claims: list[str]
    mechanisms: list[str]
    recommendations: list[Recommendation]
    confidence: float
    duty_bearer: str = ""  # who the text names as acting (the claim to respect); "" when no one


@dataclass(frozen=True)
class TagResult:
    """What ``rightsmap.tag`` returns for one text.

    ``withheld``: when the model judged that the text engages no right and so gave it no tag
    (default decision rule only), the articles it still scores at 0.5 or more: worth a look.
    """

    text: str
    tags: list[Tag] = field(default_factory=list)
    recommendations: list[Recommendation] = field(default_factory=list)
    suggestions: list[Suggestion] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    withheld: list[Tag] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-safe dictionary of the whole result."""
        return asdict(self)
