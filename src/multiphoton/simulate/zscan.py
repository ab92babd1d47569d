"""Open-aperture Z-scan forward model, by brute-force integration over radius and time.

Independent of :mod:`multiphoton.analysis.zscan` (which uses the closed-form radial
integral): here the intensity after a thin sample of length L with linear absorption α
and two-photon absorption β, I_out = I e^{−αL} / (1 + β I L_eff) (the exact solution of
dI/dz = −αI − βI²), is integrated on a radial × temporal grid. Nonlinear refraction
(n₂) changes only the phase of the transmitted beam: with all of it collected (open
aperture, thin sample) the transmitted energy does not depend on it, which
:func:`zscan_trace` takes as its ``n2_cm2_per_W`` argument to state (closed aperture
is not modelled).
"""
from __future__ import annotations

import math

import numpy as np

from ..constants import AVOGADRO_PER_MOL, ELEMENTARY_CHARGE_C, GM_CM4_S, HC_EV_NM, LN10

__all__ = ["zscan_trace", "beta_cm_per_GW"]


def beta_cm_per_GW(sigma2_GM: float, *, excitation_eV: float, particle_concentration_M: float) -> float:
    """β = σ₂ N / hν in cm/GW (N particles per cm³)."""
    n = particle_concentration_M * AVOGADRO_PER_MOL / 1000.0
    return sigma2_GM * GM_CM4_S * n / (excitation_eV * ELEMENTARY_CHARGE_C) * 1e9


def _pulse(t_over_tau: np.ndarray, shape: str) -> np.ndarray:
    if shape == "gaussian":
        return np.exp(-4.0 * math.log(2.0) * t_over_tau**2)
    if shape == "sech2":
        return 1.0 / np.cosh(2.0 * math.acosh(math.sqrt(2.0)) * t_over_tau) ** 2
    return (np.abs(t_over_tau) < 0.5).astype(float)


def zscan_trace(z_mm, *, beta_cm_per_GW: float, pulse_energy_nJ: float, beam_waist_um: float,
                pulse_fwhm_fs: float, path_cm: float, excitation_eV: float, pulse_shape: str = "gaussian",
                linear_absorbance: float = 0.0, focus_mm: float = 0.0, m2: float = 1.0,
                n2_cm2_per_W: float = 0.0) -> np.ndarray:
    """Noiseless normalised open-aperture transmittance at the positions ``z_mm``.

    Parameters
    ----------
    z_mm : ndarray of shape (Z,)
    beta_cm_per_GW : float
        Two-photon absorption coefficient β.
    pulse_energy_nJ, beam_waist_um, pulse_fwhm_fs, path_cm, excitation_eV, pulse_shape
        Beam and sample (waist = 1/e² intensity radius at the focus).
    linear_absorbance : float
        Base-10 absorbance over ``path_cm`` at the pump energy.
    focus_mm : float
        Focus position.
    m2 : float
        Beam quality: z_R = π w₀² / (M² λ).
    n2_cm2_per_W : float
        Nonlinear refraction; it does not change an open-aperture trace (see the module notes).

    Returns
    -------
    ndarray of shape (Z,)
        Transmitted over linearly transmitted pulse energy.

    Examples
    --------
    >>> t = zscan_trace([0.0, 50.0], beta_cm_per_GW=0.04, pulse_energy_nJ=50, beam_waist_um=20,
    ...                 pulse_fwhm_fs=60, path_cm=0.1, excitation_eV=1.55)
    >>> bool(0.6 < t[0] < 0.9), round(float(t[1]), 3)
    (True, 1.0)
    """
    del n2_cm2_per_W  # the phase it adds is not seen by an open aperture
    z = np.asarray(z_mm, dtype=float)
    lam_mm = HC_EV_NM / excitation_eV * 1e-6
    zr_mm = math.pi * (beam_waist_um * 1e-3) ** 2 / (m2 * lam_mm)
    w2 = (beam_waist_um * 1e-4) ** 2 * (1.0 + ((z - focus_mm) / zr_mm) ** 2)  # cm², (Z,)
    tt = np.linspace(-3.0, 3.0, 601) if pulse_shape != "rect" else (np.arange(20) + 0.5) / 20 - 0.5
    p = _pulse(tt, pulse_shape)
    dt_s = (tt[1] - tt[0]) * pulse_fwhm_fs * 1e-15
    energy_J = pulse_energy_nJ * 1e-9
    # u = exp(-2 r²/w²): radial integral ∫ g(I0 u) 2πr dr = (π w²/2) ∫₀¹ g(I0 u) du/u (midpoint in ln u)
    s = np.linspace(0.0, 12.0, 1201)[1:] - 0.005  # s = −ln u
    u = np.exp(-s)
    i_peak = energy_J / ((math.pi * w2 / 2.0) * np.sum(p) * dt_s)  # W/cm², (Z,)
    od = LN10 * linear_absorbance
    l_eff = path_cm if od == 0 else path_cm * (1.0 - math.exp(-od)) / od
    b = beta_cm_per_GW * 1e-9
    # one position at a time: the (time × radius) grid of one position is 0.7 M values; all
    # positions at once would be Z times that (1 GB for 200 positions), and slower
    pu = p[:, None] * u[None, :]
    peaks = np.atleast_1d(i_peak)
    out, lin = np.empty(peaks.shape), np.empty(peaks.shape)
    for k, peak in enumerate(peaks):
        i = peak * pu
        out[k] = np.sum(i / (1.0 + b * i * l_eff))
        lin[k] = np.sum(i)
    return (out / lin).reshape(z.shape)
