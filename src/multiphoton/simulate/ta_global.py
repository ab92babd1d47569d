"""Transient-absorption maps for global analysis: known lifetimes, DAS, IRF width and chirp.

The forward model of :func:`multiphoton.analysis.ta_global.fit_global`, written
independently of it (exp ⊗ Gaussian through ``scipy.special.log_ndtr``, not erfcx):

    ΔA(t, E) = Σₖ DASₖ(E) e^{σ²kₖ²/2 − kₖ(t − t₀(E))} Φ((t − t₀(E))/σ − kₖσ) + DAS₀(E) Φ((t − t₀(E))/σ) + noise,

with Φ the standard normal CDF and t₀(E) = Σₚ cₚ (E − E_ref)ᵖ.
"""
from __future__ import annotations

import math

import numpy as np
from scipy import special

__all__ = ["global_ta_delays", "global_ta_model", "global_ta_map"]

_FWHM_PER_SIGMA = 2.0 * math.sqrt(2.0 * math.log(2.0))


def global_ta_delays(n_delays: int = 200, *, t_min_ps: float = -1.0, t_max_ps: float = 500.0,
                     step_ps: float = 0.05) -> np.ndarray:
    """Delays (ps): uniform steps of ``step_ps`` up to 5 ps past zero, log-spaced after.

    Examples
    --------
    >>> d = global_ta_delays(100)
    >>> d.size, float(d[0]), float(d[-1])
    (100, -1.0, 500.0)
    """
    n_lin = min(int(round((5.0 - t_min_ps) / step_ps)) + 1, n_delays // 2)
    lin = t_min_ps + step_ps * np.arange(n_lin)
    log = np.geomspace(max(lin[-1], 0.0) + step_ps, t_max_ps, n_delays - n_lin)
    return np.concatenate([lin, log])


def global_ta_model(delay_ps, energy_eV, *, tau_ps, das, offset=None, irf_fwhm_ps, chirp_coeffs_ps,
                    energy_ref_eV, artefact=None) -> np.ndarray:
    """Noise-free ΔA (D, M) in OD for lifetimes ``tau_ps`` (K,), spectra ``das`` (K, M), ``offset`` (M,)
    and a coherent artefact ``artefact`` (M,) · exp(−(t − t₀)²/2σ²).

    Examples
    --------
    >>> m = global_ta_model([-1.0, 100.0], [2.0], tau_ps=[10.0], das=[[1.0]], irf_fwhm_ps=0.1,
    ...                     chirp_coeffs_ps=[0.0], energy_ref_eV=2.0)
    >>> [round(float(v), 4) for v in m[:, 0]]
    [0.0, 0.0]
    """
    t = np.asarray(delay_ps, float)[:, None]
    e = np.asarray(energy_eV, float)
    sigma = irf_fwhm_ps / _FWHM_PER_SIGMA
    t0 = np.polynomial.polynomial.polyval(e - energy_ref_eV, np.asarray(chirp_coeffs_ps, float))
    d = t - t0[None, :]
    out = np.zeros(d.shape)
    for tau, spec in zip(np.asarray(tau_ps, float), np.atleast_2d(das)):
        k = 1.0 / tau
        out += np.asarray(spec)[None, :] * np.exp(0.5 * (k * sigma) ** 2 - k * d
                                                 + special.log_ndtr(d / sigma - k * sigma))
    if offset is not None:
        out += np.asarray(offset)[None, :] * special.ndtr(d / sigma)
    if artefact is not None:
        out += np.asarray(artefact)[None, :] * np.exp(-0.5 * (d / sigma) ** 2)
    return out


def _band(e, rng, scale):
    """A random spectrum: two Gaussian bands of random sign, centre and width (OD)."""
    spec = np.zeros_like(e)
    for _ in range(2):
        c = rng.uniform(e[0], e[-1])
        wdt = rng.uniform(0.08, 0.25) * (e[-1] - e[0])
        spec += rng.choice([-1.0, 1.0]) * rng.uniform(0.4, 1.0) * np.exp(-0.5 * ((e - c) / wdt) ** 2)
    return scale * spec


def global_ta_map(rng, *, n_delays=200, n_energies=80, n_components=2, offset=True, tau_ps=None,
                  irf_fwhm_ps=None, chirp_coeffs_ps=None, noise_od=1e-3, energy_range_eV=(1.8, 2.6),
                  amplitude_od=0.02, artefact_od=0.0):
    """A noisy TA map with known lifetimes, DAS, IRF width and chirp, drawn from ``rng``.

    Parameters
    ----------
    rng : numpy.random.Generator
    n_delays, n_energies : int
    n_components : int
        K, used when ``tau_ps`` is not given: lifetimes drawn log-uniformly, one per
        decade-wide band from 0.5–1.5 ps upwards (a factor ≥ 3 apart).
    offset : bool
        Add a long-lived spectrum.
    tau_ps, irf_fwhm_ps, chirp_coeffs_ps : optional
        Fixed truths instead of drawn ones (FWHM drawn in 0.1–0.3 ps; chirp c₀ in
        ±0.2 ps, c₁ in 0.3–1.0 ps/eV, c₂ in ±0.5 ps/eV²).
    noise_od : float
        White Gaussian noise σ (OD).
    energy_range_eV : (float, float)
    amplitude_od : float
        Scale of the spectra (OD).
    artefact_od : float
        Scale of a coherent-artefact spectrum (OD), sloped and nowhere zero; 0 for none.

    Returns
    -------
    dict
        ``delay_ps`` (D,), ``energy_eV`` (M,), ``dA`` (D, M) and ``truth``: ``tau_ps``,
        ``das`` (K, M), ``offset`` (M,) or None, ``irf_fwhm_ps``, ``chirp_coeffs_ps``,
        ``energy_ref_eV``, ``noise_od``, ``artefact`` (M,) or None.

    Examples
    --------
    >>> sim = global_ta_map(np.random.default_rng(0), n_delays=50, n_energies=20)
    >>> sim["dA"].shape, len(sim["truth"]["tau_ps"])
    ((50, 20), 2)
    """
    e = np.linspace(*energy_range_eV, n_energies)
    d = global_ta_delays(n_delays)
    if tau_ps is None:
        tau_ps = [float(10.0 ** (rng.uniform(math.log10(0.5), math.log10(1.5)) + i)) for i in range(n_components)]
    tau_ps = [float(t) for t in tau_ps]
    if irf_fwhm_ps is None:
        irf_fwhm_ps = float(rng.uniform(0.1, 0.3))
    if chirp_coeffs_ps is None:
        chirp_coeffs_ps = [float(rng.uniform(-0.2, 0.2)), float(rng.uniform(0.3, 1.0)), float(rng.uniform(-0.5, 0.5))]
    e_ref = round(0.5 * (e[0] + e[-1]), 3)
    das = np.stack([_band(e, rng, amplitude_od) for _ in tau_ps])
    off = _band(e, rng, 0.3 * amplitude_od) if offset else None
    # cross-phase modulation spans the whole probe window: a sloped, never-zero spectrum
    art = artefact_od * (0.5 + rng.uniform(0.0, 1.0) * (e - e[0]) / (e[-1] - e[0])) if artefact_od else None
    clean = global_ta_model(d, e, tau_ps=tau_ps, das=das, offset=off, irf_fwhm_ps=irf_fwhm_ps,
                            chirp_coeffs_ps=chirp_coeffs_ps, energy_ref_eV=e_ref, artefact=art)
    noisy = clean + rng.normal(0.0, noise_od, clean.shape)
    truth = {"tau_ps": tau_ps, "das": das, "offset": off, "irf_fwhm_ps": float(irf_fwhm_ps),
             "chirp_coeffs_ps": [float(c) for c in chirp_coeffs_ps], "energy_ref_eV": e_ref,
             "noise_od": float(noise_od), "artefact": art}
    return {"delay_ps": d, "energy_eV": e, "dA": noisy, "truth": truth}
