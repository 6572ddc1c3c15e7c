#!/usr/bin/python3
"""unigram.py — the loss of a unigram model on token shards, the baseline `make demo` prints
beside the trained model's validation loss. The unigram distribution is fitted on the same
tokens (add-one smoothing over the tokens seen), so the figure is the entropy of the token
stream in nats per token: what a model that ignores context can reach at best."""
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
    return np.fromfile(path, dtype=dtype, offset=1024, count=int(header[2]))


def main():
    folder = sys.argv[1] if len(sys.argv) > 1 else "data/tokens"
    paths = sorted(glob.glob(os.path.join(folder, "*.bin")))
    if not paths:
        raise SystemExit(f"unigram.py: no shards in {folder}")
    tokens = np.concatenate([read_shard(p) for p in paths]).astype(np.int64)
    counts = np.bincount(tokens).astype(np.float64)
    seen = counts > 0
    probs = (counts[seen] + 1.0) / (counts[seen].sum() + seen.sum())
    loss = -(counts[seen] * np.log(probs)).sum() / counts[seen].sum()
    print("unigram loss %.3f  (perplexity %.1f) over %d tokens in %d shards"
          % (loss, math.exp(loss), tokens.size, len(paths)))


if __name__ == "__main__":
    main()
