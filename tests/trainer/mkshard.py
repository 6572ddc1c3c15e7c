"""mkshard.py OUT COUNT VOCAB SEED [VERSION] — writes an llm.c token shard with COUNT tokens:
documents that start with token 0 and count upward with a stride, so a model can learn them."""
import sys

import numpy as np

out, count, vocab, seed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
version = int(sys.argv[5]) if len(sys.argv) > 5 else 1
rng = np.random.default_rng(seed)
tokens = np.zeros(count, dtype=np.uint32)
i = 0
while i < count:
    tokens[i] = 0
    i += 1
    length = int(rng.integers(4, 30))
    start, stride = int(rng.integers(1, vocab)), int(rng.integers(1, 3))
    doc = (start + np.arange(length) * stride) % (vocab - 1) + 1
    n = min(length, count - i)
    tokens[i:i + n] = doc[:n]
    i += n
header = np.zeros(256, dtype=np.int32)
header[:3] = (20240520, version, count)
with open(out, "wb") as f:
    f.write(header.tobytes())
    f.write(tokens.astype(np.uint16 if version == 1 else np.uint32).tobytes())
