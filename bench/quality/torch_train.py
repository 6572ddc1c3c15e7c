"""torch_train.py — the PyTorch reference of bench/quality/bench.sh: nanoGPT's recipe at the
trainer's old default shape, trained for the same wall-clock budget on the same token shards,
written as an llm.c version 3 model file so that `trainer eval` and `trainer generate` measure
it exactly as they measure ours (one evaluation, one sampler for both).

usage: torch_train.py TRAIN_DIR OUT.bin BUDGET_S VOCAB  -> JSON {steps, seconds, loss}

Recipe (nanoGPT train.py with its small-model settings, config/train_shakespeare_char.py):
AdamW lr 1e-3, betas (0.9, 0.99), weight decay 0.1 on the matrices, 100 warmup steps, cosine to
1e-4 at the last step, gradient clipping 1.0, random windows of the data, dropout 0 (nanoGPT's
default; this GPT-2 has none). The step count is fixed as ours is: the mean time of the steps
after the first, over the first 20 (warmup) steps, into what is left of the budget.
Shape: 4 layers x 192, 6 heads, seq 64, batch 12 (QUALITY_TORCH_SHAPE="L C H T B" to change).
Threads: torch.set_num_threads(BENCH_THREADS, default 2).
"""
import glob
import json
import math
import os
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "trainer"))
from torch_gpt2 import GPT2  # noqa: E402  (the bench's GPT-2: tied head, tanh GELU)


def read_shards(folder):
    parts = []
    for path in sorted(glob.glob(os.path.join(folder, "*.bin"))):
        header = np.fromfile(path, dtype=np.int32, count=256)
        assert header[0] == 20240520, f"{path}: not a token shard"
        dtype = np.uint16 if header[1] == 1 else np.uint32
        parts.append(np.fromfile(path, dtype=dtype, offset=1024, count=int(header[2])))
    return torch.from_numpy(np.concatenate(parts).astype(np.int64))


def write_llmc(model, cfg, path):
    C, L, V, T = cfg["channels"], cfg["layers"], cfg["vocab"], cfg["seq"]
    padded = (V + 127) // 128 * 128
    header = np.zeros(256, dtype=np.int32)
    header[:8] = (20240326, 3, T, V, L, cfg["heads"], C, padded)
    wte = np.zeros((padded, C), dtype=np.float32)
    wte[:V] = model.wte.weight.detach().numpy()
    b = model.blocks
    stack = lambda get: np.stack([get(x).detach().numpy() for x in b])  # noqa: E731
    tensors = [wte, model.wpe.weight.detach().numpy(),
               stack(lambda x: x.ln1.weight), stack(lambda x: x.ln1.bias),
               stack(lambda x: x.qkv.weight), stack(lambda x: x.qkv.bias),
               stack(lambda x: x.proj.weight), stack(lambda x: x.proj.bias),
               stack(lambda x: x.ln2.weight), stack(lambda x: x.ln2.bias),
               stack(lambda x: x.fc.weight), stack(lambda x: x.fc.bias),
               stack(lambda x: x.fcproj.weight), stack(lambda x: x.fcproj.bias),
               model.lnf.weight.detach().numpy(), model.lnf.bias.detach().numpy()]
    with open(path + ".tmp", "wb") as f:
        f.write(header.tobytes())
        for t in tensors:
            f.write(np.ascontiguousarray(t, dtype=np.float32).tobytes())
    os.replace(path + ".tmp", path)


def main():
    started = time.time()
    torch.set_num_threads(int(os.environ.get("BENCH_THREADS", "2")))
    torch.manual_seed(1337)
    train_dir, out, budget_s, vocab = sys.argv[1], sys.argv[2], float(sys.argv[3]), int(sys.argv[4])
    L, C, H, T, B = (int(x) for x in os.environ.get("QUALITY_TORCH_SHAPE", "4 192 6 64 12").split())
    cfg = dict(layers=L, channels=C, heads=H, vocab=vocab, seq=T, batch=B)
    data = read_shards(train_dir)
    model = GPT2(cfg)
    for name, p in model.named_parameters():  # nanoGPT's GPT-2 initialisation
        if p.dim() >= 2:
            std = 0.02 / math.sqrt(2 * L) if name.endswith(("proj.weight", "fcproj.weight")) else 0.02
            torch.nn.init.normal_(p, 0.0, std)
        elif name.endswith("bias"):
            torch.nn.init.zeros_(p)
    decay = [p for p in model.parameters() if p.dim() >= 2]
    other = [p for p in model.parameters() if p.dim() < 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.1},
                             {"params": other, "weight_decay": 0.0}], lr=1e-3, betas=(0.9, 0.99))
    lr, min_lr, warmup, measure = 1e-3, 1e-4, 100, 20
    steps, step, first_end, loss = None, 0, 0.0, float("nan")
    while steps is None or step < steps:
        if steps is None or step < warmup:
            rate = lr * (step + 1) / warmup
        else:
            ratio = min(1.0, (step - warmup) / max(1, steps - warmup))
            rate = min_lr + 0.5 * (1 + math.cos(math.pi * ratio)) * (lr - min_lr)
        for group in opt.param_groups:
            group["lr"] = rate
        ix = torch.randint(len(data) - T - 1, (B,))
        x = torch.stack([data[i:i + T] for i in ix])
        y = torch.stack([data[i + 1:i + 1 + T] for i in ix])
        logits = model(x)
        loss = F.cross_entropy(logits.view(-1, vocab), y.view(-1))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        step += 1
        if step == 1:
            first_end = time.time()
        if steps is None and step == measure:
            per_step = (time.time() - first_end) / (measure - 1)
            steps = step + max(0, int((budget_s - (time.time() - started) - 1.0) / per_step))
    write_llmc(model, cfg, out)
    print(json.dumps(dict(steps=step, seconds=time.time() - started, loss=float(loss))))


if __name__ == "__main__":
    main()
