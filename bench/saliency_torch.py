"""Peer for bench/saliency.sh: a gradient saliency map (p_y-weighted, as tracelens computes it) of one 224 x 224 image
through torchvision's resnet18 (random weights, eval mode), median of 5 after a warm-up. Args: threads"""
import sys, time
import torch
from torchvision.models import resnet18

torch.set_num_threads(int(sys.argv[1]))
torch.manual_seed(0)
m = resnet18().eval()
x0 = torch.randn(1, 3, 224, 224)


def grad_map():
    x = x0.clone().requires_grad_(True)
    z = m(x)
    p = z.softmax(1)[:, 3].detach()
    (z[:, 3] * p).sum().backward()
    return x.grad.abs().mean(1)


grad_map()
times = []
for _ in range(5):
    t = time.time()
    grad_map()
    times.append(time.time() - t)
times.sort()
print(f"pytorch {torch.__version__} plain    : {times[2]:.3f} s per map (median of 5; min {times[0]:.3f}, max {times[4]:.3f}), threads {sys.argv[1]}")
