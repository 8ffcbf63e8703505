"""A SetFit-style contrastive fine-tune of MiniLM, measured against the frozen default (issue 3).

    python benchmarks/setfit.py     # about 15 minutes on 2 CPU cores

1. Pairs from the train split's texts that MiniLM reads (English or unsure): for each text, two
   others sharing most of its UDHR labels (Jaccard >= 0.5, target cosine 1) and two sharing none
   (target 0); two texts that engage no right count as alike.
2. One epoch of cosine-similarity loss (batches of 16 pairs, AdamW, learning rate 2e-5, texts cut
   at 128 tokens), then the default recipe with the fine-tuned MiniLM as the English whole-text
   embedder, scored once on the dev split.

Caveat: the fine-tuned embedder has seen every train label, so the classifier's cross-validated
calibration and thresholds are optimistic. The shipped default keeps its embedders frozen.
"""

from __future__ import annotations

import random
import tempfile
import time

import torch

from rightsmap.dataset import load_labelled
from rightsmap.embed import EmbeddingCache, SentenceTransformerEmbedder, get_embedder
from rightsmap.evaluation import score_model
from rightsmap.tagger import UDHR_COLUMNS, Tagger
from rightsmap.text import guess_language


def jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    return 1.0 if not a and not b else len(a & b) / len(a | b)


def main() -> None:
    torch.manual_seed(0)
    rng = random.Random(0)
    corpus = load_labelled()
    train, dev = corpus.subset("train"), corpus.subset("dev")
    rows = [i for i, t in enumerate(train.texts) if guess_language(t) in ("en", "und")]
    texts = [train.texts[i] for i in rows]
    udhr = [frozenset(a for a in train.labels[i] if a.startswith("UDHR")) for i in rows]
    pairs = []
    for k, labels in enumerate(udhr):
        alike = [m for m in range(len(udhr)) if m != k and jaccard(labels, udhr[m]) >= 0.5]
        unlike = [m for m in range(len(udhr)) if jaccard(labels, udhr[m]) == 0.0]
        pairs += [(k, m, 1.0) for m in rng.sample(alike, min(2, len(alike)))]
        pairs += [(k, m, 0.0) for m in rng.sample(unlike, min(2, len(unlike)))]
    rng.shuffle(pairs)

    model = get_embedder("minilm")._load()
    model.max_seq_length = 128
    model.train()
    optimiser = torch.optim.AdamW(model.parameters(), lr=2e-5)

    def embed(batch: list[str]) -> torch.Tensor:
        features = {k: v for k, v in model.preprocess(batch).items() if isinstance(v, torch.Tensor)}
        return torch.nn.functional.normalize(model(features)["sentence_embedding"], dim=-1)

    start = time.perf_counter()
    for s in range(0, len(pairs) - 15, 16):
        batch = pairs[s : s + 16]
        a = embed([texts[p[0]] for p in batch])
        b = embed([texts[p[1]] for p in batch])
        loss = torch.nn.functional.mse_loss((a * b).sum(-1), torch.tensor([p[2] for p in batch]))
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
    print(f"{len(texts)} texts, {len(pairs)} pairs, fine-tuned in {time.perf_counter() - start:.0f} s")
    model.eval()
    model.max_seq_length = 256
    with tempfile.TemporaryDirectory() as folder:
        model.save(folder)
        tuned = SentenceTransformerEmbedder(folder, name="setfit-minilm", languages=("en",))
        tagger = Tagger.train(train, "use", cache=EmbeddingCache(), whole_text=["use", tuned])
        figures = score_model(tagger, dev.texts, dev.matrix(), UDHR_COLUMNS)
    print("dev:", {k: round(v, 3) for k, v in figures.items()})


if __name__ == "__main__":
    main()
