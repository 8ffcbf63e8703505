"""Fine-tune MiniLM SetFit-style, once per outer fold and once on the whole train split.

    python benchmarks/setfit_tune.py WORK --model MINILM_FOLDER --config small --config large

Needs only torch, sentence-transformers and numpy (rightsmap need not be installed), so it runs
on a GPU machine; ``WORK`` comes from ``python benchmarks/setfit.py prepare WORK``. For each
config and each model (``fold0`` ... ``fold4``, then ``full``), it builds pairs from that model's
training texts, fine-tunes a fresh copy of MiniLM, encodes every text in ``inputs.json`` and
writes ``WORK/vectors-CONFIG.npz`` (one float16 array per model). A GPU takes a few minutes for
both configs; 2 CPU cores take hours.

Pairs: for each training text, ``pairs`` others sharing most of its UDHR labels (Jaccard >= 0.5,
target cosine 1) and ``pairs`` sharing none (target 0); two texts that engage no right count as
alike. Cosine-similarity loss (mean squared error), AdamW. Config ``frozen`` fine-tunes nothing:
it checks that vectors made here match rightsmap's own.
"""

from __future__ import annotations

import argparse
import json
import random
import time
from pathlib import Path

import numpy as np
import torch
from sentence_transformers import SentenceTransformer

CONFIGS = {  # pairs per text each way, epochs, batch size (pairs), learning rate, tokens read
    "frozen": (0, 0, 16, 2e-5, 256),
    "small": (2, 1, 16, 2e-5, 128),  # as measured on 2 CPU cores in session 6
    "large": (8, 3, 32, 2e-5, 256),
}


def jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    return 1.0 if not a and not b else len(a & b) / len(a | b)


def make_pairs(
    rows: list[int], labels: list[frozenset[str]], per_text: int, seed: int
) -> list[tuple[int, int, float]]:
    """(row, row, target) pairs among ``rows``, as described in the module doc."""
    rng = random.Random(seed)
    pairs = []
    for k in rows:
        alike = [m for m in rows if m != k and jaccard(labels[k], labels[m]) >= 0.5]
        unlike = [m for m in rows if jaccard(labels[k], labels[m]) == 0.0]
        pairs += [(k, m, 1.0) for m in rng.sample(alike, min(per_text, len(alike)))]
        pairs += [(k, m, 0.0) for m in rng.sample(unlike, min(per_text, len(unlike)))]
    rng.shuffle(pairs)
    return pairs


def tune(
    folder: str, texts: list[str], pairs: list[tuple[int, int, float]], config: str, device: str
) -> SentenceTransformer:
    """A fresh MiniLM from ``folder`` fine-tuned on ``pairs`` of ``texts``."""
    _, epochs, batch_size, lr, tokens = CONFIGS[config]
    model = SentenceTransformer(folder, device=device).float()
    model.max_seq_length = tokens
    optimiser = torch.optim.AdamW(model.parameters(), lr=lr)
    model.train()

    def embed(batch: list[str]) -> torch.Tensor:
        features = {
            k: v.to(device) for k, v in model.preprocess(batch).items() if isinstance(v, torch.Tensor)
        }
        return torch.nn.functional.normalize(model(features)["sentence_embedding"], dim=-1)

    for _ in range(epochs):
        for s in range(0, len(pairs) - batch_size + 1, batch_size):
            batch = pairs[s : s + batch_size]
            a = embed([texts[p[0]] for p in batch])
            b = embed([texts[p[1]] for p in batch])
            target = torch.tensor([p[2] for p in batch], device=device)
            loss = torch.nn.functional.mse_loss((a * b).sum(-1), target)
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
    model.eval()
    model.max_seq_length = 256  # as rightsmap reads
    return model


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("work", type=Path, help="folder written by `setfit.py prepare`")
    parser.add_argument("--model", required=True, help="MiniLM sentence-transformers folder")
    parser.add_argument("--config", action="append", choices=sorted(CONFIGS), required=True)
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--out", type=Path, help="where the vectors go (default: WORK)")
    parser.add_argument("--only", action="append", help="tune only these models (e.g. full)")
    args = parser.parse_args()

    torch.backends.cuda.matmul.allow_tf32 = False  # keep float32 arithmetic comparable with the CPU
    inputs = json.loads((args.work / "inputs.json").read_text(encoding="utf-8"))
    texts: list[str] = inputs["texts"]
    labels = [frozenset(x) for x in inputs["labels"]]  # UDHR labels of train rows; [] elsewhere
    trainable: list[int] = inputs["trainable"]  # rows of train texts MiniLM reads
    models: dict[str, list[int]] = inputs["models"]  # model name -> its training rows
    for config in args.config:
        out = {}
        for name, rows in models.items():
            if args.only and name not in args.only:
                continue
            torch.manual_seed(0)
            start = time.perf_counter()
            own = sorted(set(rows) & set(trainable))
            pairs = make_pairs(own, labels, CONFIGS[config][0], seed=0)
            model = tune(args.model, texts, pairs, config, args.device)
            vectors = model.encode(texts, batch_size=64, normalize_embeddings=True, convert_to_numpy=True)
            out[name] = vectors.astype(np.float16)
            seconds = time.perf_counter() - start
            print(f"{config} {name}: {len(own)} texts, {len(pairs)} pairs, {seconds:.1f} s", flush=True)
        np.savez_compressed((args.out or args.work) / f"vectors-{config}.npz", **out)


if __name__ == "__main__":
    main()
