"""torch_ref.py — a reference GPT-2 in PyTorch for tests/trainer/test_torch_ref.c.

usage: torch_ref.py CHECKPOINT BATCH OUT STEPS LR WEIGHT_DECAY BETA1 BETA2 EPS CLIP

CHECKPOINT is an llm.c version 3 model file; BATCH holds int32 B, T, then B*T inputs and
B*T targets. Runs STEPS AdamW steps on that one batch (weight decay on the matrices only,
global-norm clipping), and writes to OUT: the first loss (float64), the first gradient of every
parameter in llm.c's order (float32), then the STEPS losses (float64). Written independently of
the C code from the GPT-2 definition, as llm.c's test_gpt2 compares against PyTorch.
"""
import sys

import numpy as np
import torch
import torch.nn.functional as F


def load_checkpoint(path):
    header = np.fromfile(path, dtype=np.int32, count=256)
    assert header[0] == 20240326 and header[1] == 3, "not an llm.c v3 checkpoint"
    max_t, vocab, layers, heads, channels, padded = (int(x) for x in header[2:8])
    data = np.fromfile(path, dtype=np.float32, offset=256 * 4)
    C, L = channels, layers
    shapes = [(padded, C), (max_t, C), (L, C), (L, C), (L, 3 * C, C), (L, 3 * C), (L, C, C),
              (L, C), (L, C), (L, C), (L, 4 * C, C), (L, 4 * C), (L, C, 4 * C), (L, C), (C,),
              (C,)]
    tensors, at = [], 0
    for shape in shapes:
        n = int(np.prod(shape))
        tensors.append(torch.tensor(data[at:at + n].reshape(shape), requires_grad=True))
        at += n
    assert at == data.size, "checkpoint size disagrees with its header"
    return dict(max_t=max_t, vocab=vocab, layers=L, heads=heads, channels=C), tensors


def gpt2_loss(cfg, p, inputs, targets):
    wte, wpe, ln1w, ln1b, qkvw, qkvb, apw, apb, ln2w, ln2b, fcw, fcb, fpw, fpb, lnfw, lnfb = p
    B, T = inputs.shape
    C, NH, V = cfg["channels"], cfg["heads"], cfg["vocab"]
    hs = C // NH
    mask = torch.tril(torch.ones(T, T, dtype=torch.bool))
    x = wte[inputs] + wpe[:T]
    for l in range(cfg["layers"]):
        h = F.layer_norm(x, (C,), ln1w[l], ln1b[l], 1e-5)
        qkv = h @ qkvw[l].T + qkvb[l]
        q, k, v = qkv.split(C, dim=2)
        q = q.view(B, T, NH, hs).transpose(1, 2)
        k = k.view(B, T, NH, hs).transpose(1, 2)
        v = v.view(B, T, NH, hs).transpose(1, 2)
        att = (q @ k.transpose(-2, -1)) * (1.0 / hs ** 0.5)
        att = att.masked_fill(~mask, float("-inf")).softmax(dim=-1)
        y = (att @ v).transpose(1, 2).contiguous().view(B, T, C)
        x = x + (y @ apw[l].T + apb[l])
        h = F.layer_norm(x, (C,), ln2w[l], ln2b[l], 1e-5)
        h = F.gelu(h @ fcw[l].T + fcb[l], approximate="tanh")
        x = x + (h @ fpw[l].T + fpb[l])
    x = F.layer_norm(x, (C,), lnfw, lnfb, 1e-5)
    logits = x @ wte[:V].T
    return F.cross_entropy(logits.reshape(-1, V), targets.reshape(-1))


def main():
    ckpt, batch, out = sys.argv[1:4]
    steps = int(sys.argv[4])
    lr, wd, b1, b2, eps, clip = (float(x) for x in sys.argv[5:11])
    torch.set_num_threads(1)
    cfg, params = load_checkpoint(ckpt)
    raw = np.fromfile(batch, dtype=np.int32)
    B, T = int(raw[0]), int(raw[1])
    inputs = torch.tensor(raw[2:2 + B * T].reshape(B, T).astype(np.int64))
    targets = torch.tensor(raw[2 + B * T:2 + 2 * B * T].reshape(B, T).astype(np.int64))
    decay = [params[i] for i in (0, 1, 4, 6, 10, 12)]
    no_decay = [params[i] for i in (2, 3, 5, 7, 8, 9, 11, 13, 14, 15)]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": wd},
                             {"params": no_decay, "weight_decay": 0.0}],
                            lr=lr, betas=(b1, b2), eps=eps)
    losses, first_grads = [], None
    for step in range(steps):
        opt.zero_grad()
        loss = gpt2_loss(cfg, params, inputs, targets)
        loss.backward()
        losses.append(loss.item())
        if step == 0:
            first_grads = np.concatenate([t.grad.detach().numpy().ravel() for t in params])
        if clip > 0:
            torch.nn.utils.clip_grad_norm_(params, clip)
        opt.step()
    with open(out, "wb") as f:
        f.write(np.array([losses[0]], dtype=np.float64).tobytes())
        f.write(first_grads.astype(np.float32).tobytes())
        f.write(np.array(losses, dtype=np.float64).tobytes())


if __name__ == "__main__":
    main()
