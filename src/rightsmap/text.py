"""Language processing: clean-up and sentence segmentation with character offsets."""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from typing import Any

# Control characters (NUL and friends) become spaces, so offsets into the original text hold.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_LINE_BREAK = re.compile(r"\n\s*")
_WINDOW = 10_000  # characters handed to spaCy at once: bounds memory on huge texts
_OPENING = "¿¡"
_MAX_SENTENCE = 600  # longer "sentences" (no punctuation) are cut at spaces for the encoder


@dataclass(frozen=True)
class Sentence:
    """A sentence of a text: ``text == original[start:end]``."""

    text: str
    start: int
    end: int


def clean(text: str) -> str:
    """Replace control characters (NUL, form feeds, ...) with spaces; keeps length and offsets."""
    return _CONTROL.sub(" ", text)


@cache
def _sentencizer() -> Any:
    import spacy  # imported lazily: rightsmap --help stays fast

    nlp = spacy.blank("en")  # rule-based: also right for Spanish and French punctuation
    nlp.add_pipe("sentencizer")
    return nlp


def split_sentences(text: str) -> list[Sentence]:
    """Split a text into sentences (also at line breaks), with offsets into ``text``.

    >>> [s.text for s in split_sentences("No heat. Kids sick\\nCall me")]
    ['No heat.', 'Kids sick', 'Call me']
    """
    nlp = _sentencizer()
    spans = list(_pieces(text))
    out: list[Sentence] = []
    for (offset, _), doc in zip(spans, nlp.pipe(text[a:b] for a, b in spans), strict=True):
        bounds = [[offset + s.start_char, offset + s.end_char] for s in doc.sents]
        for this, after in itertools.pairwise(bounds):
            # the sentencizer glues an opening "¿" / "¡" to the end of the previous sentence
            a, b = _strip(text, *this)
            if b > a and text[b - 1] in _OPENING:
                this[1] = after[0] = b - 1
        for start, end in bounds:
            for a, b in _cut_long(text, start, end):
                a, b = _strip(text, a, b)
                if b > a:
                    out.append(Sentence(text[a:b], a, b))
    return out


def _pieces(text: str) -> Iterator[tuple[int, int]]:
    """Non-empty lines, each cut into windows of at most _WINDOW characters at whitespace."""
    start = 0
    for m in _LINE_BREAK.finditer(text):
        yield from _windows(text, start, m.start(), _WINDOW)
        start = m.end()
    yield from _windows(text, start, len(text), _WINDOW)


def _windows(text: str, start: int, end: int, size: int) -> Iterator[tuple[int, int]]:
    while end - start > size:
        cut = text.rfind(" ", start + size // 2, start + size)
        cut = cut if cut > start else start + size
        yield start, cut
        start = cut
    if text[start:end].strip():
        yield start, end


def _cut_long(text: str, start: int, end: int) -> Iterator[tuple[int, int]]:
    while end - start > _MAX_SENTENCE:
        window = text[start : start + _MAX_SENTENCE]
        cut = max(window.rfind(", "), window.rfind("; "))
        cut = cut + 1 if cut > _MAX_SENTENCE // 2 else window.rfind(" ")
        cut = cut if cut > 0 else _MAX_SENTENCE
        yield start, start + cut
        start += cut
    yield start, end


def _strip(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end
