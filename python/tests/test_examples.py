"""The VAE example runs (one short epoch per class): it stays working."""

import importlib.util
import os

from conftest import ROOT


def test_vae_digits_example_runs():
    path = os.path.join(ROOT, "examples", "python", "vae_digits.py")
    spec = importlib.util.spec_from_file_location("vae_digits", path)
    vae = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(vae)
    results = vae.main(["--epochs", "1", "--seeds", "1"])
    assert set(results) == {"torch.distributions", "relaxcat.torch"}
    for curves, finals, steps in results.values():
        assert curves.shape == (1, 1) and 0 < finals[0] < 60 and steps[0] > 0
