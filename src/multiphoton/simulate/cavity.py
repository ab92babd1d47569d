"""A vertical cavity laser: rate equations with a spontaneous-emission factor β,
a Lorentzian lasing line on the PL background, and slow mode drift over time.
"""
from __future__ import annotations

import numpy as np

from ..errors import InputError

__all__ = ["laser_photon_number", "lorentzian_line", "lasing_spectra"]


def laser_photon_number(pump_ratio, *, beta: float) -> np.ndarray:
    """Steady-state cavity photon number s (units of the saturation number) vs pump.

    Parameters
    ----------
    pump_ratio : ndarray
        Pump rate in units of the threshold pump (p = 1 at threshold for β → 0).
    beta : float
        Fraction of spontaneous emission into the lasing mode, 0 < β ≤ 1.

    Returns
    -------
    ndarray
        s = [(p − 1) + √((p − 1)² + 4βp)] / 2.

    Notes
    -----
    From dN/dt = P − γN − G N S, dS/dt = G N S + βγN − κS in the steady state, with
    s = GS/γ, p = PG/(γκ). Above threshold s ≈ p − 1 + βp/(p − 1): a line in p
    crossing zero at p = 1.

    References
    ----------
    G. Björk and Y. Yamamoto, IEEE J. Quantum Electron. 27, 2386 (1991).

    Examples
    --------
    >>> [round(float(x), 4) for x in laser_photon_number([0.5, 3.0], beta=1e-3)]
    [0.001, 2.0015]
    """
    if not 0 < beta <= 1:
        raise InputError(f"beta must be in (0, 1]; got {beta!r}.")
    p = np.asarray(pump_ratio, dtype=float)
    return 0.5 * ((p - 1.0) + np.sqrt((p - 1.0) ** 2 + 4.0 * beta * p))


def lorentzian_line(energy_eV, center_eV, fwhm_eV):
    """Lorentzian of unit area per eV.

    Examples
    --------
    >>> round(float(lorentzian_line(1.8, 1.8, 0.001)), 2)
    636.62
    """
    e = np.asarray(energy_eV, dtype=float)
    hw = fwhm_eV / 2.0
    return hw / np.pi / ((e - center_eV) ** 2 + hw**2)


def lasing_spectra(energy_eV, background, line_photons, mode_eV, *, linewidth_eV: float) -> np.ndarray:
    """Spectra = background + Σ_modes photons × Lorentzian.

    Parameters
    ----------
    energy_eV : ndarray of shape (M,)
    background : ndarray of shape (F, M)
        Spontaneous emission per eV.
    line_photons : ndarray of shape (F, K)
        Photons in each mode.
    mode_eV : ndarray of shape (F, K) or (K,)
    linewidth_eV : float

    Returns
    -------
    ndarray of shape (F, M)
    """
    e = np.asarray(energy_eV, dtype=float)
    ph = np.atleast_2d(np.asarray(line_photons, dtype=float))
    modes = np.broadcast_to(np.asarray(mode_eV, dtype=float), ph.shape)
    lines = lorentzian_line(e[None, None, :], modes[..., None], linewidth_eV)
    return np.asarray(background, dtype=float) + np.sum(ph[..., None] * lines, axis=1)
