#!/usr/bin/python3
"""PyTorch peer for bench/TrainSteps.java: the same MLP (384 -> 5 x 256 -> 100, orthogonal init gain sqrt 2, zero bias),
BCEWithLogits over one-hot, Adam 1e-3, the SIP linear schedule with one warm-up step, clip_grad_norm_ 5, batch 64,
a shuffle per epoch and a validation tenth scored each epoch. Args: threads samples epochs"""
import sys
import time

import torch

threads, n, epochs = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
torch.set_num_threads(threads)
torch.manual_seed(0)
d, k = 384, 100
x = torch.randn(n, d)
y = torch.arange(n) % k
val = n // 10
xf, yf, xv, yv = x[val:], y[val:], x[:val], y[:val]
layers = []
sizes = [d, 256, 256, 256, 256, 256, k]
for i in range(len(sizes) - 1):
    lin = torch.nn.Linear(sizes[i], sizes[i + 1])
    torch.nn.init.orthogonal_(lin.weight, gain=2 ** 0.5)
    torch.nn.init.zeros_(lin.bias)
    layers += [lin, torch.nn.ReLU()]
net = torch.nn.Sequential(*layers[:-1])
opt = torch.optim.Adam(net.parameters(), lr=1e-3)
steps_per_epoch = (len(xf) + 63) // 64
total = epochs * steps_per_epoch
sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: s if s < 1 else max(0.0, (total - s) / (total - 1)))
loss_fn = torch.nn.BCEWithLogitsLoss()
onehot = torch.nn.functional.one_hot(yf, k).float()
t0 = time.perf_counter()
for e in range(epochs):
    perm = torch.randperm(len(xf))
    for b in range(0, len(xf), 64):
        idx = perm[b:b + 64]
        opt.zero_grad()
        loss = loss_fn(net(xf[idx]), onehot[idx])
        loss.backward()
        torch.nn.utils.clip_grad_norm_(net.parameters(), 5.0)
        opt.step()
        sched.step()
    with torch.no_grad():
        loss_fn(net(xv), torch.nn.functional.one_hot(yv, k).float())
s = time.perf_counter() - t0
print("pytorch %s: %d steps in %.2f s = %.0f steps/s (threads %d, final loss %.4f)" % (torch.__version__, total, s, total / s, threads, loss.item()))
