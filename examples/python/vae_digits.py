#!/usr/bin/env python3
"""A categorical VAE on scikit-learn's digits, trained twice: once with
torch.distributions.RelaxedOneHotCategorical and once with relaxcat's
drop-in (relaxcat.torch), from the same seeds.

The model is that of Jang et al. (2017, "Categorical reparameterization with
Gumbel-softmax"): 20 latent variables of 10 categories each, an MLP encoder
and decoder, the relaxed sample z ~ RelaxedOneHotCategorical(tau, logits)
fed to the decoder, and the temperature annealed from 1.0 towards 0.5. The
loss is the negative ELBO with a Bernoulli likelihood on the pixel
intensities (scaled to [0, 1]) and the categorical KL to a uniform prior.
The data (1797 8x8 images) ship with scikit-learn: nothing is downloaded.

    python examples/python/vae_digits.py [--epochs 60] [--seeds 3] [--plot docs/img/vae_digits.png]

Prints, for each class, the final negative ELBO on the whole data set
(mean and spread over seeds) and the median time of a training step.
"""

import argparse
import math
import statistics
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from sklearn.datasets import load_digits

import relaxcat.torch

N_LATENT, N_CAT = 20, 10


class VAE(nn.Module):
    def __init__(self, n_pixels=64, hidden=256):
        super().__init__()
        self.enc = nn.Sequential(nn.Linear(n_pixels, hidden), nn.ReLU(), nn.Linear(hidden, N_LATENT * N_CAT))
        self.dec = nn.Sequential(nn.Linear(N_LATENT * N_CAT, hidden), nn.ReLU(), nn.Linear(hidden, n_pixels))

    def loss(self, x, tau, dist_cls):
        """The negative ELBO per image, averaged over the batch."""
        logits = self.enc(x).view(-1, N_LATENT, N_CAT)
        q = dist_cls(tau, logits=logits)
        z = q.rsample()
        recon = F.binary_cross_entropy_with_logits(self.dec(z.flatten(1)), x, reduction="none").sum(-1)
        log_q = torch.log_softmax(logits, -1)
        kl = (log_q.exp() * (log_q + math.log(N_CAT))).sum((-2, -1))
        return (recon + kl).mean()


def train(dist_cls, data, seed, epochs, batch=100, lr=1e-3, anneal=1e-3, tau_min=0.5):
    torch.manual_seed(seed)
    model = VAE()
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    g = torch.Generator().manual_seed(seed)
    curve, step_times, step = [], [], 0
    for _ in range(epochs):
        order = torch.randperm(len(data), generator=g)
        total = 0.0
        for i in range(0, len(data), batch):
            x = data[order[i : i + batch]]
            tau = torch.tensor(max(tau_min, math.exp(-anneal * step)))
            t0 = time.perf_counter()
            opt.zero_grad(set_to_none=True)
            loss = model.loss(x, tau, dist_cls)
            loss.backward()
            opt.step()
            step_times.append(time.perf_counter() - t0)
            total += loss.item() * len(x)
            step += 1
        curve.append(total / len(data))
    # The final negative ELBO on the whole set at the final temperature,
    # averaged over 10 draws of the noise.
    with torch.no_grad():
        tau = torch.tensor(max(tau_min, math.exp(-anneal * step)))
        final = statistics.fmean(model.loss(data, tau, dist_cls).item() for _ in range(10))
    return curve, final, statistics.median(step_times)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--epochs", type=int, default=60)
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--threads", type=int, default=1, help="torch intra-op threads (relaxcat follows)")
    ap.add_argument("--plot", default=None, help="write both loss curves to this PNG (needs matplotlib)")
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    relaxcat.set_num_threads(args.threads)

    data = torch.tensor(load_digits().data / 16.0, dtype=torch.float32)
    systems = {
        "torch.distributions": torch.distributions.RelaxedOneHotCategorical,
        "relaxcat.torch": relaxcat.torch.RelaxedOneHotCategorical,
    }
    results = {}
    for name, cls in systems.items():
        runs = [train(cls, data, seed, args.epochs) for seed in range(args.seeds)]
        curves = np.array([r[0] for r in runs])
        finals = [r[1] for r in runs]
        steps = [r[2] for r in runs]
        results[name] = (curves, finals, steps)
        spread = statistics.stdev(finals) if len(finals) > 1 else float("nan")
        print(
            f"{name:22s} final -ELBO {statistics.fmean(finals):7.3f} (sd {spread:.3f} over {len(finals)} seeds; "
            f"each: {', '.join(f'{f:.3f}' for f in finals)}), median step {1e3 * statistics.median(steps):.3f} ms"
        )
    if args.plot:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        fig, ax = plt.subplots(figsize=(6, 3.6))
        for name, (curves, _, _) in results.items():
            m = curves.mean(0)
            ax.plot(np.arange(1, len(m) + 1), m, label=name)
            ax.fill_between(np.arange(1, len(m) + 1), curves.min(0), curves.max(0), alpha=0.2)
        ax.set_xlabel("epoch")
        ax.set_ylabel("negative ELBO (nats per image)")
        ax.set_title(f"Categorical VAE on digits, {N_LATENT}x{N_CAT} latents, {args.seeds} seeds")
        ax.legend()
        fig.tight_layout()
        fig.savefig(args.plot, dpi=120)
        print("wrote", args.plot)
    return results


if __name__ == "__main__":
    main()
