"""Trains a small multi-layer perceptron with numpy under carbontracker.

The same loop as the original carbontracker's README example:

    tracker = CarbonTracker(epochs=max_epochs)
    for epoch in range(max_epochs):
        tracker.epoch_start()
        # Your model training.
        tracker.epoch_end()
    tracker.stop()

The task: classify points of two interleaved spirals (synthetic, generated
here). Each epoch takes a few seconds on one core.

    PYTHONPATH=build/python /usr/bin/python3 examples/train_mlp.py --epochs 3
    # on a machine without a CPU energy sensor or estimate, simulate one:
    PYTHONPATH=build/python /usr/bin/python3 examples/train_mlp.py \
        --sim-cpu "Intel Xeon" --sim-cpu-tdp 150
"""

import argparse
import time

import numpy as np

from carbontracker.tracker import CarbonTracker


def make_spirals(n, rng):
    t = np.sqrt(rng.uniform(0.0, 1.0, n)) * 3.0 * np.pi
    sign = np.where(rng.uniform(size=n) < 0.5, -1.0, 1.0)
    x = np.stack([sign * t * np.cos(t), sign * t * np.sin(t)], axis=1) / (3.0 * np.pi)
    x += rng.normal(scale=0.02, size=x.shape)
    y = (sign > 0).astype(np.float64)
    return x, y


class MLP:
    def __init__(self, sizes, rng):
        self.w = [rng.normal(scale=np.sqrt(2.0 / a), size=(a, b)) for a, b in zip(sizes, sizes[1:])]
        self.b = [np.zeros(b) for b in sizes[1:]]

    def forward(self, x):
        acts = [x]
        for i, (w, b) in enumerate(zip(self.w, self.b)):
            z = acts[-1] @ w + b
            acts.append(np.tanh(z) if i < len(self.w) - 1 else 1.0 / (1.0 + np.exp(-z)))
        return acts

    def step(self, x, y, lr):
        acts = self.forward(x)
        p = acts[-1][:, 0]
        loss = -np.mean(y * np.log(p + 1e-9) + (1 - y) * np.log(1 - p + 1e-9))
        delta = (p - y)[:, None] / len(y)
        for i in reversed(range(len(self.w))):
            grad_w = acts[i].T @ delta
            grad_b = delta.sum(axis=0)
            if i > 0:
                delta = (delta @ self.w[i].T) * (1.0 - acts[i] ** 2)
            self.w[i] -= lr * grad_w
            self.b[i] -= lr * grad_b
        return loss

    def accuracy(self, x, y):
        return float(np.mean((self.forward(x)[-1][:, 0] > 0.5) == (y > 0.5)))


def train_epoch(model, x, y, batch, lr, rng):
    order = rng.permutation(len(y))
    losses = []
    for start in range(0, len(y), batch):
        idx = order[start : start + batch]
        losses.append(model.step(x[idx], y[idx], lr))
    return float(np.mean(losses))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--samples", type=int, default=40000, help="training points (epoch length)")
    ap.add_argument("--log-dir", default=None)
    ap.add_argument("--sim-cpu", default=None)
    ap.add_argument("--sim-cpu-tdp", type=float, default=None)
    ap.add_argument("--no-tracker", action="store_true", help="train without carbontracker")
    args = ap.parse_args()

    rng = np.random.default_rng(0)
    x, y = make_spirals(args.samples, rng)
    x_test, y_test = make_spirals(2000, rng)
    model = MLP([2, 64, 64, 1], rng)
    max_epochs = args.epochs

    tracker = None
    if not args.no_tracker:
        tracker = CarbonTracker(
            epochs=max_epochs,
            log_dir=args.log_dir,
            sim_cpu=args.sim_cpu,
            sim_cpu_tdp=args.sim_cpu_tdp,
        )

    for epoch in range(max_epochs):
        if tracker:
            tracker.epoch_start()
        t0 = time.perf_counter()
        loss = train_epoch(model, x, y, batch=64, lr=0.1, rng=rng)
        print(
            f"epoch {epoch + 1}/{max_epochs}: loss {loss:.4f}, "
            f"test accuracy {model.accuracy(x_test, y_test):.3f}, {time.perf_counter() - t0:.1f} s",
            flush=True,
        )
        if tracker:
            tracker.epoch_end()

    if tracker:
        tracker.stop()
        total = tracker.results["total"]
        print(f"tracked: {total['energy_kwh_with_pue']:.6f} kWh, {total['co2eq_g_with_pue']:.3f} g CO2eq")


if __name__ == "__main__":
    main()
