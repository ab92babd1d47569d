"""Benchmark: the second-method fits of issue #16 against their budgets.

* ``fit_open_aperture``: an open-aperture Z-scan of 200 points (focus, Rayleigh range and q₀
  fitted, exact Gaussian-beam model, analytic Jacobian); budget 50 ms;
* ``fit_pl_bands``: the global exciton/biexciton decomposition of a 12-spectrum PL fluence
  series of 301 energies (simulated with the full cascade); budget 0.5 s;
* ``fit_saturation``: σ₂ from 9 late TRPL amplitudes (cascade state weights);
* ``fit_saturation_traces``: σ₂, τ_X and τ_XX from one spot-averaged cascade fit of 9 saturating
  TRPL traces of 1550 bins (the TRPL saturation method since #16).

Prints the median and best of repeated runs. Run ``python benchmarks/bench_crosscheck.py``.
"""
from __future__ import annotations

import statistics
import time

import numpy as np

from multiphoton.analysis.pl_bands import fit_pl_bands
from multiphoton.analysis.saturation import fit_saturation, fit_saturation_traces, saturation_curve, state_weights
from multiphoton.analysis.zscan import fit_open_aperture, open_aperture_transmittance
from multiphoton.models.excitation import mean_excitons_two_photon
from multiphoton.simulate.spectra import BandEdge, pl_spectra
from multiphoton.simulate.trpl import poisson_counts, trpl_traces

__all__ = ["main"]


def _time(fn, repeat):
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), min(times)


def main() -> None:
    rng = np.random.default_rng(16)
    z = np.linspace(-30, 30, 200)
    t = open_aperture_transmittance(z, 0.6, focus_mm=0.7, rayleigh_mm=2.3) + 0.003 * rng.standard_normal(200)
    med, best = _time(lambda: fit_open_aperture(z, t), 30)
    print(f"fit_open_aperture, 200 points: median {med * 1e3:.1f} ms, best {best * 1e3:.1f} ms (budget 50 ms)")

    band = BandEdge(exciton_eV=1.93, biexciton_binding_meV=-49.0, level_offsets_eV=(0.0, 0.10, 0.19),
                    level_capacities=(2, 6, 10), level_fwhm_eV=(0.085, 0.11, 0.12), pia_per_exciton=0.0)
    e = np.round(np.arange(1.53, 2.43, 0.003), 6)
    n1 = float(mean_excitons_two_photon(1.0, sigma2_GM=1.7e6, excitation_eV=1.55, pulse_fwhm_fs=60.0))
    fl = np.sqrt(np.geomspace(0.02, 2.0, 12) / n1)
    spec = pl_spectra(e, fl**2 * n1, band, tau_x_ns=25.0, tau_xx_ns=6.7, n_max=40)
    counts = rng.poisson(spec * 4e4 / spec.max()).astype(float)
    med, best = _time(lambda: fit_pl_bands(fl, e, counts), 7)
    est = fit_pl_bands(fl, e, counts)
    print(f"fit_pl_bands, 12 spectra x {e.size} energies: median {med:.3f} s, best {best:.3f} s (budget 0.5 s); "
          f"E_b = {est.value:.1f} ± {est.stderr:.1f} meV (model −49.0)")

    w = state_weights("trpl-late", tau_x_ns=25.0, tau_xx_ns=6.7)
    f9 = np.sqrt(np.geomspace(0.25, 12.0, 9) / n1)
    amp = 1e4 * saturation_curve(n1 * f9**2, order=2, weights=w)
    med, best = _time(lambda: fit_saturation(f9, amp, 0.01 * amp, order=2, excitation_eV=1.55,
                                             pulse_fwhm_fs=60.0, weights=w), 5)
    print(f"fit_saturation, 9 amplitudes, two-photon, cascade weights: median {med:.3f} s, best {best:.3f} s")

    t = np.round(np.arange(-10.0, 300.0, 0.2), 4)
    tr = trpl_traces(t, n1 * f9**2, tau_x_ns=25.0, tau_xx_ns=6.7, irf_fwhm_ns=0.3, n_max=60, excitation_order=2)
    counts = poisson_counts(tr * 3e4 / tr.max() + 4.0, np.random.default_rng(17))

    def traces():
        return fit_saturation_traces(t, f9, counts, order=2, excitation_eV=1.55, pulse_fwhm_fs=60.0, tau_x_ns=24.0,
                                     tau_xx_ns=0.8 * 6.7, mean_n_per_unit=0.8 * n1)

    med, best = _time(traces, 3)
    est = traces()
    print(f"fit_saturation_traces, 9 traces x {t.size} bins, sigma2 with tau_x and tau_xx: median {med:.2f} s, "
          f"best {best:.2f} s; sigma2 = {est.value:.4g} ± {est.stderr:.2g} GM (model 1.7e6), tau_xx = "
          f"{est.params['tau_xx_ns'][0]:.3f} ± {est.params['tau_xx_ns'][1]:.2g} ns (model 6.7)")


if __name__ == "__main__":
    main()
