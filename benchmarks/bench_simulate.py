"""Benchmark the forward simulator: the cascade solver and the paper-2023 campaign.

Run: ``.venv/bin/python benchmarks/bench_simulate.py``.
"""
from __future__ import annotations

import tempfile
import time

import numpy as np

from multiphoton.models.cascade import cascade_pl, cascade_populations
from multiphoton.simulate.campaign import write_campaign


def _best_of(fn, repeat: int = 5) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def main() -> dict[str, float]:
    """Time the solver (50 fluences × 2000 times × n_max = 30) and a full campaign."""
    t = np.linspace(0.0, 200.0, 2000)
    mu = np.geomspace(0.01, 10.0, 50)
    kw = dict(tau_x_ns=25.0, tau_xx_ns=6.7, n_max=30)
    results = {
        "cascade_pl_50x2000x30_s": _best_of(lambda: cascade_pl(t, mu, **kw)),
        "cascade_populations_50x2000x30_s": _best_of(lambda: cascade_populations(t, mu, **kw)),
    }
    with tempfile.TemporaryDirectory() as d:
        results["paper_2023_campaign_s"] = _best_of(lambda: write_campaign("paper-2023", d, seed=0), repeat=1)
    for name, value in results.items():
        print(f"{name:36s} {value * 1e3:9.1f} ms")
    return results


if __name__ == "__main__":
    main()
