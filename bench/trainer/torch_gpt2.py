"""torch_gpt2.py — the PyTorch side of bench/trainer/bench.sh: the same GPT-2 (fp32, tied head,
tanh GELU, AdamW on the matrices) trained on random tokens, and a KV-cache generation loop.

usage: torch_gpt2.py train CONFIG STEPS [bf16] -> JSON {tokens_per_s, step_s, cpu_s_per_step,
                                                     peak_rss_mib}
       torch_gpt2.py generate CONFIG TOKENS -> JSON {tokens_per_s}
CONFIG: A (4 x 256, vocab 8192, seq 128, batch 24), B (GPT-2 small, seq 256, batch 12), default
(4 x 192, vocab 2048, seq 64, batch 12), tiny. bf16: the forward and backward under
torch.autocast("cpu", dtype=torch.bfloat16) (fp32 weights and optimizer, PyTorch's own mixed
precision).
Threads: torch.set_num_threads(BENCH_THREADS, default 2); run it with OMP_WAIT_POLICY=PASSIVE.
"""
import json
import math
import os
import resource
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

CONFIGS = {
    "A": dict(layers=4, channels=256, heads=8, vocab=8192, seq=128, batch=24),
    "B": dict(layers=12, channels=768, heads=12, vocab=50257, seq=256, batch=12),
    "default": dict(layers=4, channels=192, heads=6, vocab=2048, seq=64, batch=12),
    "tiny": dict(layers=2, channels=64, heads=4, vocab=512, seq=32, batch=12),
}


class Block(nn.Module):
    def __init__(self, c, heads):
        super().__init__()
        self.heads = heads
        self.ln1 = nn.LayerNorm(c)
        self.qkv = nn.Linear(c, 3 * c)
        self.proj = nn.Linear(c, c)
        self.ln2 = nn.LayerNorm(c)
        self.fc = nn.Linear(c, 4 * c)
        self.fcproj = nn.Linear(4 * c, c)

    def attend(self, x, cache=None):
        B, T, C = x.shape
        hs = C // self.heads
        q, k, v = self.qkv(self.ln1(x)).split(C, dim=2)
        q, k, v = (t.view(B, T, self.heads, hs).transpose(1, 2) for t in (q, k, v))
        if cache is not None:
            if "k" in cache:
                k = torch.cat([cache["k"], k], dim=2)
                v = torch.cat([cache["v"], v], dim=2)
            cache["k"], cache["v"] = k, v
        att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(hs))
        if cache is None:
            mask = torch.tril(torch.ones(T, T, dtype=torch.bool))
            att = att.masked_fill(~mask, float("-inf"))
        y = (att.softmax(dim=-1) @ v).transpose(1, 2).contiguous().view(B, T, C)
        return self.proj(y)

    def forward(self, x, cache=None):
        x = x + self.attend(x, cache)
        return x + self.fcproj(F.gelu(self.fc(self.ln2(x)), approximate="tanh"))


class GPT2(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        c = cfg["channels"]
        self.wte = nn.Embedding(cfg["vocab"], c)
        self.wpe = nn.Embedding(cfg["seq"], c)
        self.blocks = nn.ModuleList(Block(c, cfg["heads"]) for _ in range(cfg["layers"]))
        self.lnf = nn.LayerNorm(c)

    def forward(self, idx, caches=None, start=0):
        T = idx.shape[1]
        x = self.wte(idx) + self.wpe(torch.arange(start, start + T))
        for i, block in enumerate(self.blocks):
            x = block(x, None if caches is None else caches[i])
        return self.lnf(x) @ self.wte.weight.T


def train(cfg, steps, bf16=False):
    model = GPT2(cfg)
    decay = [p for p in model.parameters() if p.dim() >= 2]
    other = [p for p in model.parameters() if p.dim() < 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.1},
                             {"params": other, "weight_decay": 0.0}], lr=1e-4, betas=(0.9, 0.95))
    B, T, V = cfg["batch"], cfg["seq"], cfg["vocab"]
    x = torch.randint(0, V, (B, T))
    y = torch.randint(0, V, (B, T))
    start = cpu_start = 0.0
    for step in range(steps + 1):
        if step == 1:
            start, cpu_start = time.time(), time.process_time()
        opt.zero_grad(set_to_none=True)
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
            logits = model(x)
        loss = F.cross_entropy(logits.float().view(-1, V), y.view(-1))
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
    seconds, cpu = time.time() - start, time.process_time() - cpu_start
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    return dict(tokens_per_s=steps * B * T / seconds, step_s=seconds / steps,
                cpu_s_per_step=cpu / steps, peak_rss_mib=rss)


def generate(cfg, tokens):
    model = GPT2(cfg)
    caches = [dict() for _ in model.blocks]
    idx = torch.zeros((1, 1), dtype=torch.long)
    start = time.time()
    with torch.no_grad():
        for pos in range(min(tokens, cfg["seq"])):
            logits = model(idx, caches, pos)[0, -1]
            idx = torch.multinomial(F.softmax(logits, dim=-1), 1).view(1, 1)
    n = min(tokens, cfg["seq"])
    return dict(tokens_per_s=n / (time.time() - start))


def main():
    torch.set_num_threads(int(os.environ.get("BENCH_THREADS", "2")))
    torch.manual_seed(0)
    mode, name, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
    bf16 = len(sys.argv) > 4 and sys.argv[4] == "bf16"
    result = train(CONFIGS[name], count, bf16) if mode == "train" else generate(CONFIGS[name], count)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
