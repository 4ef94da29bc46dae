"""The memory-light MeZO step in PyTorch, for comparison with `benches/mezo.rs`.

One central step (q = 1, SGD, float32) on a d-vector, with an objective that
reads two coordinates, so that the time is the step's own work: regenerating
the Gaussian direction from its seed and adding it to x in place. Three
variants are timed and the fastest is the one to compare with:

* reference: as MeZO's trainer does it: `torch.manual_seed(seed)`, a fresh
  `torch.normal` tensor per use, `x.data = x.data + scale * z` (four
  regenerations: +mu, -2mu, +mu back, then the update);
* in_place: a seeded `torch.Generator`, `torch.randn(..., out=buf)` into one
  reused buffer and `x.add_(buf, alpha=...)` (four regenerations);
* folded: as in_place, with the move back and the update in one pass,
  x += (mu - lr*c) z (three regenerations, what zoptim's SGD does).

Usage: python3 benches/python/mezo_torch.py [d] [steps]   (needs torch)
"""

import statistics
import sys
import time

import torch


def objective(x):
    return float(x[0] * x[0] + x[-1])


def reference_step(x, seed, mu, lr):
    def perturb(scale):
        torch.manual_seed(seed)
        z = torch.normal(mean=0.0, std=1.0, size=x.size(), dtype=x.dtype)
        x.data = x.data + scale * mu * z

    perturb(1.0)
    f_plus = objective(x)
    perturb(-2.0)
    f_minus = objective(x)
    perturb(1.0)
    c = (f_plus - f_minus) / (2.0 * mu)
    torch.manual_seed(seed)
    z = torch.normal(mean=0.0, std=1.0, size=x.size(), dtype=x.dtype)
    x.data = x.data - lr * c * z


def make_in_place(d, folded):
    gen = torch.Generator()
    buf = torch.empty(d, dtype=torch.float32)

    def direction(seed):
        gen.manual_seed(seed)
        torch.randn(d, generator=gen, out=buf, dtype=torch.float32)
        return buf

    def step(x, seed, mu, lr):
        x.add_(direction(seed), alpha=mu)
        f_plus = objective(x)
        x.add_(direction(seed), alpha=-2.0 * mu)
        f_minus = objective(x)
        c = (f_plus - f_minus) / (2.0 * mu)
        if folded:
            x.add_(direction(seed), alpha=mu - lr * c)
        else:
            x.add_(direction(seed), alpha=mu)
            x.add_(direction(seed), alpha=-lr * c)

    return step


def time_steps(step, d, steps):
    x = torch.full((d,), 0.5, dtype=torch.float32)
    for s in range(3):
        step(x, s, 1e-3, 1e-6)
    times = []
    for s in range(steps):
        t = time.perf_counter()
        step(x, 1000 + s, 1e-3, 1e-6)
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def main():
    d = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    steps = int(sys.argv[2]) if len(sys.argv) > 2 else 60
    torch.set_num_threads(1)
    print(f"torch {torch.__version__}, CPU capability {torch.backends.cpu.get_cpu_capability()}, 1 thread, d = {d}")
    y = torch.full((d,), 0.25, dtype=torch.float32)
    x = torch.full((d,), 0.5, dtype=torch.float32)
    floor = []
    for _ in range(steps):
        t = time.perf_counter()
        x.add_(y, alpha=1e-9)
        floor.append(time.perf_counter() - t)
    print(f"add_ (one pass, the floor): {statistics.median(floor) * 1e3:.3f} ms")
    variants = [
        ("reference", reference_step),
        ("in_place", make_in_place(d, folded=False)),
        ("folded", make_in_place(d, folded=True)),
    ]
    for name, step in variants:
        print(f"{name}: {time_steps(step, d, steps) * 1e3:.3f} ms per step (median of {steps})")


if __name__ == "__main__":
    main()
