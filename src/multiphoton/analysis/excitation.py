"""Average excitons per particle ⟨N⟩ under one- and two-photon pumping.

Functions work on floats, numpy arrays (or lists) and ``uncertainties`` numbers.
"""
from __future__ import annotations

import numpy as np

from ..units import pulse_shape_factor

__all__ = ["mean_excitons_one_photon", "mean_excitons_two_photon"]


def _photons_per_cm2(fluence_mJ_cm2, excitation_eV):
    # Written out (not via numpy) so uncertainties numbers propagate.
    from ..constants import ELEMENTARY_CHARGE_C

    if isinstance(fluence_mJ_cm2, (list, tuple)):
        fluence_mJ_cm2 = np.asarray(fluence_mJ_cm2, dtype=float)
    return fluence_mJ_cm2 * 1e-3 / (excitation_eV * ELEMENTARY_CHARGE_C)


def mean_excitons_one_photon(fluence_mJ_cm2, *, sigma1_cm2, excitation_eV):
    """⟨N⟩ = σ₁ J for one-photon pumping.

    Parameters
    ----------
    fluence_mJ_cm2 : float, ndarray (or list) or UFloat
        Pump energy fluence in mJ/cm².
    sigma1_cm2 : float or UFloat
        One-photon absorption cross section at the pump energy, cm².
    excitation_eV : float
        Pump photon energy in eV.

    Examples
    --------
    >>> round(mean_excitons_one_photon(0.1, sigma1_cm2=1.2e-13, excitation_eV=3.1), 2)
    24.16
    """
    return sigma1_cm2 * _photons_per_cm2(fluence_mJ_cm2, excitation_eV)


def mean_excitons_two_photon(fluence_mJ_cm2, *, sigma2_GM, excitation_eV, pulse_fwhm_fs, pulse_shape="gaussian"):
    """⟨N⟩ = g σ₂ J² / τ for two-photon pumping (one σ₂ event makes one exciton).

    Parameters
    ----------
    fluence_mJ_cm2 : float, ndarray (or list) or UFloat
        Pump energy fluence in mJ/cm².
    sigma2_GM : float or UFloat
        Two-photon cross section in GM (1 GM = 1e-50 cm⁴ s).
    excitation_eV : float
        Pump photon energy in eV.
    pulse_fwhm_fs : float
        Pulse intensity FWHM τ in fs.
    pulse_shape : {"gaussian", "sech2", "rect"}
        Sets g = τ∫f² dt (0.664, 0.588, 1).

    Notes
    -----
    J = F/hν is the photon fluence (photons/cm²). The number of two-photon events per
    particle is σ₂ ∫ I(t)² dt = g σ₂ J²/τ for a pulse of shape f and FWHM τ.

    Examples
    --------
    >>> round(mean_excitons_two_photon(1.5, sigma2_GM=1.7e6, excitation_eV=1.55,
    ...                                pulse_fwhm_fs=80, pulse_shape="rect"), 2)
    7.75
    """
    g = pulse_shape_factor(pulse_shape)
    if not pulse_fwhm_fs > 0:
        from ..errors import InputError

        raise InputError(f"pulse_fwhm_fs must be > 0 fs, got {pulse_fwhm_fs}.")
    j = _photons_per_cm2(fluence_mJ_cm2, excitation_eV)
    return g * sigma2_GM * 1e-50 * j**2 / (pulse_fwhm_fs * 1e-15)
