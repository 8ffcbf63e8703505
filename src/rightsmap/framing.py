"""Framing and claiming: draft suggestions an organizer can review, one per right engaged.

A right is a UDHR article with the covenant articles crosswalked to it. For each, the draft

- *frames* the grievance in rights terms, quoting the testimony's own evidence sentence and naming
  the right (the facet of it the words point to, e.g. housing within an adequate standard of living);
- *claims* the duties to respect, protect and fulfil from the duty-bearers the text points to: an
  organisation spaCy finds in the evidence (a city agency, a company), else an actor the words name
  ("the landlord", "the police"), else the government level that usually answers for that right;
- lists *mechanisms* from above (UPR, Special Procedures, treaty bodies) and from below (council,
  local commission, ballot): the "sandwich" strategy;
- attaches the past UPR recommendations, among the result's, that share the right's articles.

The wording comes from ``corpora/norms/framing.json`` (ours) and is a draft, never legal advice.
"""

from __future__ import annotations

import json
import re
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from .errors import NormsError
from .norms import Norm, load_norms
from .resources import data_path
from .text import entities, guess_language
from .types import Suggestion, Tag, TagResult

DUTIES = ("respect", "protect", "fulfil")
LEVELS = ("city", "state", "national")
QUOTE_CHARS = 220  # the evidence quoted in a frame is shortened to this many characters
_PUBLIC_WORDS = re.compile(
    r"\b(?:department|dept|police|sheriff|authority|agency|office|bureau|board|commission|council|"
    r"county|city|state|court|jail|prison|district|ministry|government|administration|service|services|"
    r"public schools|ice|cbp|dhs|hud|fbi|municipal|federal|army|military|ministerio|departamento|"
    r"policía|ayuntamiento|municipio|gobierno|préfecture|mairie|ministère|gendarmerie)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Facet:
    """One of the distinct rights an article bundles (housing, food, health within UDHR-25)."""

    right: str
    words: tuple[str, ...]
    duties: dict[str, str]
    local: tuple[str, ...]
    state_only: bool = False  # only a State can respect it (asylum): a private actor is not asked


@dataclass(frozen=True)
class Actor:
    """Someone testimonies complain about, found by words when no organisation is named."""

    words: tuple[str, ...]
    name: str
    kind: str  # "public" or "private"
    level: str


@dataclass(frozen=True)
class Guide:
    """The framing corpus: per-right wording, actors, government levels and places."""

    rights: dict[str, Facet]  # UDHR ID -> the article's general wording
    facets: dict[str, tuple[Facet, ...]]
    levels: dict[str, str]
    level_of: dict[str, str]  # UDHR ID -> level
    local: tuple[str, ...]
    actors: tuple[Actor, ...]
    us_states: frozenset[str]
    us_names: frozenset[str]
    countries: frozenset[str]
    us_treaty_bodies: tuple[str, ...]  # the UN treaty bodies the United States reports to


@dataclass(frozen=True)
class _Bearer:
    name: str
    public: bool
    level: str = ""  # the government level answering for it, when known


def load_guide(directory: str | Path | None = None) -> Guide:
    """Load and check ``framing.json`` and ``places.json`` (bundled ones by default)."""
    return _default_guide() if directory is None else _load_guide(Path(directory))


@cache
def _default_guide() -> Guide:
    return _load_guide(data_path("corpora", "norms"))


def _load_guide(directory: Path) -> Guide:
    framing = _read(directory / "framing.json")
    places = _read(directory / "places.json")
    problems: list[str] = []

    def facet(rec: dict, where: str) -> Facet:
        duties = {d: str(rec.get(d, "")) for d in DUTIES}
        for d, template in duties.items():
            if template and (not template.startswith("{bearer} ") or template.count("{") != 1):
                problems.append(f"{where}: {d!r} must start with '{{bearer}} ' and hold no other braces")
        return Facet(
            right=str(rec.get("right", "")),
            words=tuple(_word(w) for w in rec.get("words", [])),
            duties=duties,
            local=tuple(rec.get("local", [])),
            state_only=bool(rec.get("state_only", False)),
        )

    rights, facets, level_of = {}, {}, {}
    for n in range(1, 31):
        aid = f"UDHR-{n}"
        rec = framing.get("rights", {}).get(aid)
        if not isinstance(rec, dict):
            problems.append(f"rights: {aid} is missing")
            continue
        rights[aid] = facet(rec, aid)
        if not rights[aid].right or not all(rights[aid].duties.values()):
            problems.append(f"{aid}: needs 'right' and the three duties {', '.join(DUTIES)}")
        facets[aid] = tuple(facet(f, f"{aid} facet {i}") for i, f in enumerate(rec.get("facets", [])))
        if any(not f.right or not f.words for f in facets[aid]):
            problems.append(f"{aid}: every facet needs 'right' and 'words'")
        level_of[aid] = rec.get("level", "city")
        if level_of[aid] not in LEVELS:
            problems.append(f"{aid}: level {level_of[aid]!r} is not one of {', '.join(LEVELS)}")
    actors = []
    for i, rec in enumerate(framing.get("actors", [])):
        actor = Actor(
            words=tuple(_word(w) for w in rec.get("words", [])),
            name=str(rec.get("name", "")),
            kind=str(rec.get("kind", "")),
            level=str(rec.get("level", "")),
        )
        if not actor.words or not actor.name or actor.kind not in ("public", "private"):
            problems.append(f"actors[{i}]: needs words, name and kind 'public' or 'private'")
        if actor.level not in LEVELS:
            problems.append(f"actors[{i}]: level {actor.level!r} is not one of {', '.join(LEVELS)}")
        actors.append(actor)
    levels = framing.get("levels", {})
    if set(levels) != set(LEVELS):
        problems.append(f"levels must name exactly {', '.join(LEVELS)}")
    if problems:
        raise NormsError(f"invalid framing corpus in {directory}:\n  " + "\n  ".join(problems))
    return Guide(
        rights=rights,
        facets=facets,
        levels=levels,
        level_of=level_of,
        local=tuple(framing.get("local_mechanisms", [])),
        actors=tuple(actors),
        us_states=frozenset(s.casefold() for s in places.get("us_states", [])),
        us_names=frozenset(s.casefold() for s in places.get("us_names", [])),
        countries=frozenset(s.casefold() for s in places.get("countries", [])),
        us_treaty_bodies=tuple(places.get("us_treaty_bodies", [])),
    )


def _word(word: object) -> str:
    """A cue word as matched: lowercased, except an UPPERCASE acronym ("ICE"), kept as written."""
    text = str(word).strip()
    return text if text.isupper() and len(text) > 1 else text.casefold()


def _read(path: Path) -> dict:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise NormsError(f"framing corpus file {path} is missing") from None
    except json.JSONDecodeError as exc:
        raise NormsError(f"{path} is not valid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise NormsError(f"{path} must hold a JSON object")
    return data


# -- suggestions ---------------------------------------------------------------------------------


def suggest(
    result: TagResult,
    norms: dict[str, Norm] | None = None,
    guide: Guide | None = None,
    ents: list[tuple[int, int, str]] | None = None,
) -> list[Suggestion]:
    """One framing-and-claiming draft per right that ``result`` engages, most confident first.

    ``ents``: the text's named entities when already found (``text.entities_many`` batches them).

    >>> r = rightsmap.tag("Acme Properties shut off our heat in January in Detroit.")  # doctest: +SKIP
    >>> suggest(r)[0].claims[0]                                                       # doctest: +SKIP
    'Acme Properties must not shut off heat, water or power in occupied homes ...'
    """
    if not result.tags:
        return []
    norms = norms or load_norms()
    guide = guide or load_guide()
    text = result.text
    ents = entities(text) if ents is None else ents
    place = _place(text, ents, guide)
    out = []
    for udhr, tags in _group(result.tags, norms):
        articles = [udhr, *(a for a in norms[udhr].related if a in {t.article for t in tags})]
        articles += [t.article for t in tags if t.article not in articles]
        evidence = _evidence(tags)
        facet = _facet(guide, udhr, " ".join(e for e, _, _ in evidence), text)
        general = guide.rights[udhr]
        duties = {d: facet.duties.get(d) or general.duties[d] for d in DUTIES}
        actor = _actor(text, ents, evidence, guide)
        if actor is not None and general.state_only and not actor.public:
            actor = None  # a gang cannot grant asylum: the claim to respect goes to the government
        government = _government((actor and actor.level) or guide.level_of[udhr], place, guide)
        # respect: whoever acted; protect (against third parties) and fulfil: the government
        bearers = {"respect": actor or government, "protect": government, "fulfil": government}
        claims = [_fill(duties[d], bearers[d].name) for d in DUTIES]
        quote = _quote(evidence, facet, actor)
        out.append(
            Suggestion(
                articles=articles,
                frame=_frame(facet, general, articles, quote, place),
                claims=claims,
                mechanisms=_mechanisms(articles, facet, general, norms, guide, place),
                recommendations=[r for r in result.recommendations if set(r.articles) & set(articles)],
                confidence=max(t.confidence for t in tags),
                duty_bearer=actor.name if actor else "",
            )
        )
    return sorted(out, key=lambda s: -s.confidence)


def _group(tags: Sequence[Tag], norms: dict[str, Norm]) -> list[tuple[str, list[Tag]]]:
    """Tags grouped under their UDHR article; a covenant tag joins its first crosswalked UDHR
    article that is tagged, else the first one it is crosswalked to."""
    groups: dict[str, list[Tag]] = {t.article: [t] for t in tags if t.instrument == "UDHR"}
    for t in tags:
        if t.instrument == "UDHR":
            continue
        udhr = [a for a in norms[t.article].related if a.startswith("UDHR-")]
        home = next((a for a in udhr if a in groups), udhr[0] if udhr else None)
        if home is not None:
            groups.setdefault(home, []).append(t)
    return list(groups.items())


def _evidence(tags: Sequence[Tag]) -> list[tuple[str, int, int]]:
    """The group's evidence sentences, each once: the most confident tag's first (sentence scores
    are logits of different articles, so they only rank sentences within one tag)."""
    seen, out = set(), []
    ranked = sorted(
        ((t.confidence, e.score, e) for t in tags for e in t.evidence), key=lambda x: (-x[0], -x[1])
    )
    for _, _, e in ranked:
        if (e.start, e.end) not in seen:
            seen.add((e.start, e.end))
            out.append((e.text, e.start, e.end))
    return out


def found_words(words: tuple[str, ...], text: str) -> set[str]:
    """The words (whole words; acronyms in capitals only) that occur in ``text``; a typographic
    apostrophe (U+2019, as phones type it) counts as the plain one our words use."""
    text = text.replace("\u2019", "'")
    lower, upper = _patterns(words)
    found = set(lower.findall(text.casefold())) if lower else set()
    return found | set(upper.findall(text)) if upper else found


@cache
def _patterns(words: tuple[str, ...]) -> tuple[re.Pattern[str] | None, re.Pattern[str] | None]:
    """One compiled alternation for the lowercase words and one for the acronyms (longest first)."""

    def compiled(group: list[str]) -> re.Pattern[str] | None:
        if not group:
            return None
        alternation = "|".join(re.escape(w) for w in sorted(group, key=len, reverse=True))
        return re.compile(rf"(?<!\w)({alternation})(?!\w)")

    return compiled([w for w in words if not w.isupper()]), compiled([w for w in words if w.isupper()])


def _facet(guide: Guide, udhr: str, evidence_text: str, text: str) -> Facet:
    """The facet whose words the evidence uses most (the whole text when the evidence uses
    none); the article's general wording when no facet's words occur."""
    for source in (evidence_text, text):
        scored = [(len(found_words(f.words, source)), -i, f) for i, f in enumerate(guide.facets[udhr])]
        best = max(scored, default=None, key=lambda s: s[:2])
        if best and best[0] > 0:
            return best[2]
    return guide.rights[udhr]


def _quote(evidence: list[tuple[str, int, int]], facet: Facet, actor: _Bearer | None) -> str:
    """The evidence sentence to quote: the one that names the facet and the actor most, then the
    one that drives the tag most (evidence comes best first)."""
    if not evidence:
        return ""

    def named(sentence: str) -> int:
        found = len(found_words(facet.words, sentence))
        return found + (1 if actor is not None and actor.name.casefold() in sentence.casefold() else 0)

    return max(evidence, key=lambda e: named(e[0]))[0]


def _actor(
    text: str, ents: list[tuple[int, int, str]], evidence: list[tuple[str, int, int]], guide: Guide
) -> _Bearer | None:
    """Who the claim to respect the right goes to: an organisation named in the evidence, else an
    actor named in the best evidence sentence, else the only organisation named in the text, else
    an actor named in the other evidence sentences, then anywhere in the text. (A side sentence
    such as "the school nurse asked why my son smells" must not outrank the one utility named.)"""
    orgs = [(a, b) for a, b, label in ents if label == "ORG" and _organisation(text[a:b])]
    for _, start, end in evidence:
        for a, b in orgs:
            if start <= a and b <= end:
                name = text[a:b].strip()
                return _Bearer(name, bool(_PUBLIC_WORDS.search(name)))
    if evidence and (actor := _named_actor(evidence[0][0], guide)) is not None:
        return actor
    names = {text[a:b].strip() for a, b in orgs}
    if len(names) == 1:
        name = names.pop()
        return _Bearer(name, bool(_PUBLIC_WORDS.search(name)))
    for sentence, _, _ in evidence[1:]:
        if (actor := _named_actor(sentence, guide)) is not None:
            return actor
    return _named_actor(text, guide)


def _named_actor(text: str, guide: Guide) -> _Bearer | None:
    """The actor named by the most words in ``text`` (then by the longest word), if any."""
    hits = [(found, act) for act in guide.actors if (found := found_words(act.words, text))]
    if not hits:
        return None
    _, best = max(hits, key=lambda h: (len(h[0]), max(map(len, h[0]))))
    return _Bearer(best.name, best.kind == "public", best.level)


_CONNECTORS = frozenset(
    {"and", "of", "for", "the", "&", "de", "del", "la", "las", "los", "des", "du", "et", "y"}
)
_STREETS = frozenset(
    {"street", "st", "avenue", "ave", "road", "rd", "boulevard", "blvd", "drive", "lane", "way"}
)


def _organisation(name: str) -> bool:
    """Whether an ORG entity looks like a real organisation name: capitalised words, not a street,
    and several words unless it is a known kind of public body ("ICE", "HUD")."""
    words = name.split()
    if words and words[0].casefold() == "the":
        words = words[1:]
    if not words or words[-1].casefold().rstrip(".") in _STREETS:
        return False
    if not all(w[0].isupper() or w.casefold() in _CONNECTORS for w in words):
        return False
    return len(words) >= 2 or bool(_PUBLIC_WORDS.search(words[0]))


_ORIGIN = re.compile(
    r"(?i:\b(?:from|fled|left|escaped|du|de|desde|d'|huí|hui|salí|sali|venimos|vine|fui|quitté|fuir)\s+"
    r"(?:\w+\s+)?)$"
)


@dataclass(frozen=True)
class _Place:
    city: str = ""
    state: str = ""
    country: str = ""  # only a country other than the United States


# a relative's or friend's name right after the word for them ("my daughter Aaliyah"), which the
# small English entity model sometimes takes for a place
_KIN = re.compile(
    r"(?i:\b(?:daughter|son|mother|father|mom|mum|dad|wife|husband|sister|brother|aunt|uncle|cousin|"
    r"niece|nephew|grandmother|grandfather|grandma|grandpa|granddaughter|grandson|baby|kid|child|"
    r"friend|neighbou?r|partner|boyfriend|girlfriend)\s+)$"
)


def _place(text: str, ents: list[tuple[int, int, str]], guide: Guide) -> _Place:
    """The first city, US state and foreign country the text names (spaCy GPE entities; a place
    that is not a known state or country counts as a city only in English text, where the
    English entity model is reliable, and not right after a word for a person, as in "my
    daughter Aaliyah")."""
    city = state = country = ""
    english = guess_language(text) == "en"
    for a, b, label in ents:
        if label != "GPE":
            continue
        name = text[a:b].strip()
        key = name.casefold().removeprefix("the ")
        if key in guide.us_names:
            continue
        if key in guide.us_states or f"{key} state" in guide.us_states:
            state = state or name
        elif key in guide.countries:
            if not _ORIGIN.search(text[max(0, a - 30) : a]):  # "fled Honduras" is no place of residence
                country = country or name
        elif (
            english
            and all(w[0].isupper() for w in name.split())
            and not _KIN.search(text[max(0, a - 20) : a])
        ):
            city = city or name
    return _Place(city, state, country)


def _government(level: str, place: _Place, guide: Guide) -> _Bearer:
    """The government body for a level, named after the place when the text says where."""
    if place.country:
        return _Bearer(f"the authorities of {place.country}", True)
    if level == "city" and place.city:
        return _Bearer(f"the City of {place.city}", True)
    if level == "state" and place.state:
        return _Bearer(f"the State of {place.state}", True)
    return _Bearer(guide.levels[level], True)


def _fill(template: str, bearer: str) -> str:
    sentence = template.replace("{bearer}", bearer, 1)
    return sentence[:1].upper() + sentence[1:]


def _article_names(articles: Sequence[str]) -> str:
    return "; ".join(f"{a.split('-')[0]} Article {a.split('-')[1]}" for a in articles)


def _frame(facet: Facet, general: Facet, articles: list[str], quote: str, place: _Place) -> str:
    where = place.city or place.state or place.country
    who = f"A resident of {where}" if where else "A resident"
    right = facet.right if facet is general else f"{facet.right}, part of {general.right}"
    what = f"This engages {right} ({_article_names(articles)})."
    if not quote:
        return what
    quote = textwrap.shorten(" ".join(quote.split()), width=QUOTE_CHARS, placeholder=" …")
    return f"{who} reports: “{quote}” {what}"


_COVENANT_BODIES = {
    "ICCPR": "Human Rights Committee",
    "ICESCR": "Committee on Economic, Social and Cultural Rights",
}
PROCEDURES, BODIES, LOCAL, GENERAL_LOCAL = 2, 2, 3, 2  # how many of each a suggestion lists


def _mechanisms(
    articles: list[str], facet: Facet, general: Facet, norms: dict[str, Norm], guide: Guide, place: _Place
) -> list[str]:
    """From above (UPR, Special Procedures, treaty bodies), then from below (local avenues).

    Special Procedures: those that share a word with the facet first. Treaty bodies: the
    covenants' own committees first; for the United States only those it reports to (it has
    not ratified the ICESCR, for one), where a shadow report can be filed.
    """
    state = place.country or "the United States"
    out = [f"UPR: a stakeholder submission for the next Universal Periodic Review of {state}"]
    procedures: list[str] = []
    bodies = [_COVENANT_BODIES[a.split("-")[0]] for a in articles if not a.startswith("UDHR-")]
    for aid in articles:
        procedures += [p for p in norms[aid].special_procedures if p not in procedures]
        bodies += list(norms[aid].treaty_bodies)
    topic = set(re.findall(r"[a-z]{4,}", facet.right.casefold())) - {"right", "rights", "free", "from"}
    procedures.sort(key=lambda p: -len(topic & set(re.findall(r"[a-z]{4,}", p.casefold()))))
    bodies = list(dict.fromkeys(bodies))
    if not place.country:
        bodies = [b for b in bodies if b in guide.us_treaty_bodies]
    out += [f"UN {p}: a communication or urgent appeal" for p in procedures[:PROCEDURES]]
    out += [f"{b}: a shadow report for the state's next review" for b in bodies[:BODIES]]
    local = list(dict.fromkeys([*facet.local, *general.local]))[:LOCAL]
    out += [*local, *guide.local[:GENERAL_LOCAL]]
    return list(dict.fromkeys(m for m in out if m))
