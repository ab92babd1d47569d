"""Benchmark: fast TRPL decay fits against a plain lmfit.Model loop on the same data.

1,000 synthetic TCSPC decays of 2,000 bins (one exponential ⊗ Gaussian IRF + background,
seeded Poisson noise) are fitted twice with the same model, the same free parameters
(amplitude, τ, t0, IRF FWHM, background), the same Poisson weights 1/√max(counts, 1) and
the same starting point for the nonlinear parameters:

* ``multiphoton.analysis.trpl.fit_decays`` (variable projection, analytic Jacobian,
  Levenberg–Marquardt vectorised over the decays), and the one-at-a-time ``fit_decay``;
* ``lmfit.Model(exp_conv_gauss + constant).fit`` (finite-difference Jacobian).

Prints the time per decay of each, the speed-up, and the largest relative difference of
the fitted parameters. Run ``python benchmarks/bench_trpl.py [--n 1000] [--n-lmfit 1000]``.
"""
from __future__ import annotations

import argparse
import time

import numpy as np

from multiphoton.analysis.decay import _guess_taus, _rise_features, fit_decay
from multiphoton.analysis.decay_batch import fit_decays
from multiphoton.analysis.decay_models import exp_conv_gauss

__all__ = ["make_decays", "main"]


def make_decays(n_decays: int = 1000, n_bins: int = 2000, *, seed: int = 2023):
    """Seeded Poisson decays with scattered true parameters; returns (time_ns, counts, truth)."""
    rng = np.random.default_rng(seed)
    t = np.arange(n_bins) * 0.05 - 5.0  # 50 ps bins, 100 ns
    truth = {
        "amplitude": rng.uniform(1e3, 1e4, n_decays),
        "tau_ns": rng.uniform(3.0, 30.0, n_decays),
        "t0_ns": rng.uniform(-0.5, 0.5, n_decays),
        "irf_fwhm_ns": rng.uniform(0.2, 0.6, n_decays),
        "background": rng.uniform(1.0, 10.0, n_decays),
    }
    counts = np.empty((n_decays, n_bins))
    for i in range(n_decays):
        mu = exp_conv_gauss(t, amplitude=truth["amplitude"][i], tau_ns=truth["tau_ns"][i],
                            t0_ns=truth["t0_ns"][i], irf_fwhm_ns=truth["irf_fwhm_ns"][i])
        counts[i] = rng.poisson(mu + truth["background"][i])
    return t, counts, truth


def _lmfit_model():
    import lmfit

    def decay(x, amplitude, tau_ns, t0_ns, irf_fwhm_ns, background):
        return exp_conv_gauss(x, amplitude=amplitude, tau_ns=tau_ns, t0_ns=t0_ns,
                              irf_fwhm_ns=irf_fwhm_ns) + background

    return lmfit.Model(decay)


def _start(t, y):
    """The starting point both fitters use (fit_decay's own initial guesses)."""
    bg, ipk, t_half, rise = _rise_features(t, y)
    tau = _guess_taus(t, y, bg, ipk, 1)[0]
    return {"amplitude": float(y.max() - bg), "tau_ns": tau, "t0_ns": t_half,
            "irf_fwhm_ns": rise, "background": bg}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=1000, help="decays fitted by fit_decay")
    ap.add_argument("--n-lmfit", type=int, default=1000, help="decays fitted by lmfit (subset)")
    ap.add_argument("--bins", type=int, default=2000)
    args = ap.parse_args(argv)
    t, counts, truth = make_decays(args.n, args.bins)

    model = _lmfit_model()
    n_l = min(args.n_lmfit, args.n)
    names = ("amplitude", "tau_ns", "t0_ns", "irf_fwhm_ns", "background")
    starts = [_start(t, counts[i]) for i in range(n_l)]

    def lmfit_one(i, start):
        p = model.make_params(**start)
        p["tau_ns"].min = 1e-6
        p["irf_fwhm_ns"].min = 1e-6
        w = 1.0 / np.sqrt(np.maximum(counts[i], 1.0))
        return model.fit(counts[i], p, x=t, weights=w)

    # Interleaved in blocks of 100 decays, so that every fitter sees the same machine load
    # (the build machine is shared): each block is fitted by fit_decays, then by lmfit.
    block = 100
    fast, plain, guided = [], [], []
    t_fast = t_plain = t_guided = 0.0
    for b0 in range(0, args.n, block):
        b1 = min(b0 + block, args.n)
        t1 = time.perf_counter()
        fast.extend(fit_decays(t, counts[b0:b1]))
        t_fast += time.perf_counter() - t1
        lm = [i for i in range(b0, b1) if i < n_l]
        t1 = time.perf_counter()
        # "plain": the generic start a user types once for the whole data set
        plain.extend(lmfit_one(i, {"amplitude": float(counts[i].max()), "tau_ns": 10.0,
                                   "t0_ns": 0.0, "irf_fwhm_ns": 0.3, "background": 1.0})
                     for i in lm)
        t_plain += time.perf_counter() - t1
        t1 = time.perf_counter()
        guided.extend(lmfit_one(i, starts[i]) for i in lm)
        t_guided += time.perf_counter() - t1
    t_fast /= args.n
    t_plain /= max(n_l, 1)
    t_guided /= max(n_l, 1)
    n_single = min(args.n, 200)
    t1 = time.perf_counter()
    single = [fit_decay(t, counts[i]) for i in range(n_single)]
    t_single = (time.perf_counter() - t1) / n_single

    def compare(ref):
        rel = {k: 0.0 for k in names}
        agree = 0
        for i in range(n_l):
            f = fast[i]
            mine = {"amplitude": f.amplitudes[0].value, "tau_ns": f.tau_ns.value,
                    "t0_ns": f.t0_ns.value, "irf_fwhm_ns": f.irf_fwhm_ns.value,
                    "background": f.background.value}
            worst = 0.0
            for k in names:
                r = ref[i].params[k].value
                scale = max(abs(r), 1e-12) if k != "t0_ns" else max(abs(r), 1.0)  # t0 ~ 0: ns
                rel[k] = max(rel[k], abs(mine[k] - r) / scale)
                worst = max(worst, abs(mine[k] - r) / scale)
            agree += worst < 1e-4
        return rel, agree

    n_fail = sum(not f.success for f in fast)
    pulls = np.array([(fast[i].tau_ns.value - truth["tau_ns"][i]) / fast[i].tau_ns.stderr
                      for i in range(args.n)])
    dsingle = max(abs(single[i].tau_ns.value / fast[i].tau_ns.value - 1) for i in range(n_single))
    print(f"decays: {args.n} x {args.bins} bins (lmfit on {n_l})")
    print(f"fit_decays                 : {t_fast * 1e3:8.3f} ms per decay ({n_fail} not converged)")
    print(f"fit_decay (one at a time)  : {t_single * 1e3:8.3f} ms per decay (on {n_single}; max "
          f"rel. tau difference to fit_decays {dsingle:.1e})")
    print(f"lmfit.Model, generic start : {t_plain * 1e3:8.3f} ms per decay -> speed-up "
          f"{t_plain / t_fast:.1f}x (fit_decays), {t_plain / t_single:.1f}x (fit_decay)")
    print(f"lmfit.Model, our start     : {t_guided * 1e3:8.3f} ms per decay -> speed-up "
          f"{t_guided / t_fast:.1f}x (fit_decays), {t_guided / t_single:.1f}x (fit_decay)")
    for label, ref in (("generic start", plain), ("our start", guided)):
        rel, agree = compare(ref)
        print(f"parameters vs lmfit ({label}): {agree}/{n_l} decays agree to 1e-4 relative; "
              "max rel. difference " + ", ".join(f"{k} {rel[k]:.1e}" for k in names))
    print(f"tau pulls vs truth: mean {pulls.mean():+.3f}, std {pulls.std():.3f}, "
          f"within 3 stderr {np.mean(np.abs(pulls) < 3) * 100:.1f} %")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
