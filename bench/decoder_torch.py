#!/usr/bin/python3
"""PyTorch peer for bench/DecoderThroughput.java: the same Llama folder, ids and thread count; a forward pass that
returns every hidden state (as transformers' output_hidden_states=True would). Uses Debian's python3-torch."""
import json
import math
import statistics
import struct
import sys
import time

import torch

folder, threads, b, t, rounds = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
torch.set_num_threads(threads)
torch.set_num_interop_threads(1)
cfg = json.load(open(folder + "/config.json"))
with open(folder + "/model.safetensors", "rb") as f:
    n = struct.unpack("<Q", f.read(8))[0]
    header = json.loads(f.read(n))
    data = f.read()
p = {}
for name, info in header.items():
    if name == "__metadata__":
        continue
    s, e = info["data_offsets"]
    p[name] = torch.frombuffer(bytearray(data[s:e]), dtype=torch.float32).reshape(info["shape"])
C, H, KV, L = cfg["hidden_size"], cfg["num_attention_heads"], cfg["num_key_value_heads"], cfg["num_hidden_layers"]
HS, eps, theta = C // H, cfg["rms_norm_eps"], cfg["rope_theta"]


def rms(x, w):
    return w * (x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps))


def rotate_half(x):
    return torch.cat((-x[..., HS // 2:], x[..., :HS // 2]), dim=-1)


def forward(ids):
    bsz, seq = ids.shape
    inv = 1.0 / (theta ** (torch.arange(0, HS, 2).float() / HS))
    freqs = torch.arange(seq).float()[:, None] * inv[None, :]
    emb = torch.cat((freqs, freqs), -1)
    cos, sin = emb.cos(), emb.sin()
    mask = torch.full((seq, seq), torch.finfo(torch.float32).min).triu(1)
    x = p["model.embed_tokens.weight"][ids]
    hidden = [x]
    for l in range(L):
        pre = "model.layers.%d." % l
        h = rms(x, p[pre + "input_layernorm.weight"])
        q = (h @ p[pre + "self_attn.q_proj.weight"].T).view(bsz, seq, H, HS).transpose(1, 2)
        k = (h @ p[pre + "self_attn.k_proj.weight"].T).view(bsz, seq, KV, HS).transpose(1, 2)
        v = (h @ p[pre + "self_attn.v_proj.weight"].T).view(bsz, seq, KV, HS).transpose(1, 2)
        q, k = q * cos + rotate_half(q) * sin, k * cos + rotate_half(k) * sin
        k, v = k.repeat_interleave(H // KV, dim=1), v.repeat_interleave(H // KV, dim=1)
        a = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(HS) + mask, dim=-1) @ v
        x = x + a.transpose(1, 2).reshape(bsz, seq, C) @ p[pre + "self_attn.o_proj.weight"].T
        h = rms(x, p[pre + "post_attention_layernorm.weight"])
        g = torch.nn.functional.silu(h @ p[pre + "mlp.gate_proj.weight"].T) * (h @ p[pre + "mlp.up_proj.weight"].T)
        x = x + g @ p[pre + "mlp.down_proj.weight"].T
        hidden.append(x)
    hidden[-1] = rms(x, p["model.norm.weight"])
    return hidden


V = cfg["vocab_size"]
ids = torch.tensor([3 + (i * 7919) % (V - 3) for i in range(b * t)], dtype=torch.int64).view(b, t)
rates = []
with torch.no_grad():
    for r in range(rounds + 1):
        t0 = time.perf_counter()
        hs = forward(ids)
        assert len(hs) == L + 1
        if r > 0:
            rates.append(b * t / (time.perf_counter() - t0))
rates.sort()
print("pytorch %s forward: threads=%d batch=%d tokens=%d median %.0f tokens/s (min %.0f, max %.0f)"
      % (torch.__version__, threads, b, t, statistics.median(rates), rates[0], rates[-1]))
