#!/usr/bin/python3
"""unigram.py — the baseline `make demo` prints beside the model's validation loss: a unigram
model (token frequencies, add-one smoothed over the vocabulary) fitted on the training part
of each shard and scored on the held-back tail the trainer validates on (the last 1/20 of each
shard, as trainer/data.c holds it back). In nats per token: what a model that ignores
context can reach. Usage: unigram.py TOKENS_DIR [VOCAB_SIZE]"""
import glob
import math
import os
import sys

import numpy as np


def read_shard(path):
    header = np.fromfile(path, dtype="<i4", count=256)
    if header[0] != 20240520 or header[1] not in (1, 2):
        raise SystemExit(f"unigram.py: {path}: not a token shard")
    dtype = "<u2" if header[1] == 1 else "<u4"
    return np.fromfile(path, dtype=dtype, offset=1024, count=int(header[2])).astype(np.int64)


def main():
    folder = sys.argv[1] if len(sys.argv) > 1 else "data/tokens"
    paths = sorted(glob.glob(os.path.join(folder, "*.bin")))
    if not paths:
        raise SystemExit(f"unigram.py: no shards in {folder}")
    shards = [read_shard(p) for p in paths]
    vocab = int(sys.argv[2]) if len(sys.argv) > 2 else max(int(s.max()) for s in shards if s.size) + 1
    train = [s[: s.size - s.size // 20] for s in shards]
    held = [s[s.size - s.size // 20 :] for s in shards]
    counts = np.bincount(np.concatenate(train), minlength=vocab).astype(np.float64)
    log_probs = np.log((counts + 1.0) / (counts.sum() + vocab))
    held_tokens = np.concatenate(held)
    loss = -log_probs[held_tokens].mean()
    print("unigram loss %.3f  (perplexity %.1f) on the held-back tail of each shard (%d tokens)"
          % (loss, math.exp(loss), held_tokens.size))


if __name__ == "__main__":
    main()
