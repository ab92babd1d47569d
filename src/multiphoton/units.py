"""Unit conversions used at the edges: photon energy ⇄ wavelength, fluence → photons,
GM, molar extinction ⇄ cross section, spectra per nm → per eV, pulse-shape factors.

Every conversion takes floats, numpy arrays and ``uncertainties`` numbers (UFloats, or
arrays of them) and returns the same kind, so that uncertainties propagate through it;
units are in the names.
"""
from __future__ import annotations

import math

import numpy as np

from uncertainties import UFloat

from .constants import AVOGADRO_PER_MOL, ELEMENTARY_CHARGE_C, GM_CM4_S, HC_EV_NM, LN10, NM3_CM3
from .errors import InputError

__all__ = [
    "wavelength_nm_to_energy_eV",
    "energy_eV_to_wavelength_nm",
    "photon_fluence_per_cm2",
    "gm_to_cm4_s",
    "cm4_s_to_gm",
    "nm3_to_cm3",
    "epsilon_to_sigma_cm2",
    "sigma_cm2_to_epsilon",
    "spectrum_per_nm_to_per_eV",
    "pulse_shape_factor",
    "PULSE_SHAPES",
    "two_photon_counting_factor",
    "TWO_PHOTON_COUNTINGS",
    "pulse_energy_uJ_from_power",
    "peak_fluence_mJ_cm2",
    "BEAM_PROFILES",
]

PULSE_SHAPES = ("gaussian", "sech2", "rect")
TWO_PHOTON_COUNTINGS = ("events", "photons")
BEAM_PROFILES = ("gaussian", "flat-top")


def _number(x):
    """``x`` as a float array, or unchanged when it is (an array of) ``uncertainties`` numbers."""
    if isinstance(x, UFloat):
        return x
    arr = np.asarray(x)
    return arr if arr.dtype == object else np.asarray(x, dtype=float)


def wavelength_nm_to_energy_eV(wavelength_nm):
    """Photon energy in eV of light of vacuum wavelength ``wavelength_nm`` (nm).

    Examples
    --------
    >>> round(float(wavelength_nm_to_energy_eV(800.0)), 4)
    1.5498
    """
    return HC_EV_NM / _number(wavelength_nm)


def energy_eV_to_wavelength_nm(energy_eV):
    """Vacuum wavelength in nm of a photon of energy ``energy_eV`` (eV)."""
    return HC_EV_NM / _number(energy_eV)


def photon_fluence_per_cm2(fluence_mJ_cm2, photon_energy_eV):
    """Photon fluence J (photons/cm²) of a pulse of energy fluence ``fluence_mJ_cm2``.

    J = F / hν with F in J/cm² and hν in J.

    Examples
    --------
    >>> f"{float(photon_fluence_per_cm2(1.0, 1.55)):.4e}"
    '4.0268e+15'
    >>> from uncertainties import ufloat
    >>> f"{photon_fluence_per_cm2(ufloat(1.0, 0.1), 1.55).std_dev:.4e}"
    '4.0268e+14'
    """
    return _number(fluence_mJ_cm2) * 1e-3 / (_number(photon_energy_eV) * ELEMENTARY_CHARGE_C)


def gm_to_cm4_s(sigma2_GM):
    """Two-photon cross section from GM to cm⁴ s (1 GM = 1e-50 cm⁴ s)."""
    return _number(sigma2_GM) * GM_CM4_S


def cm4_s_to_gm(sigma2_cm4_s):
    """Two-photon cross section from cm⁴ s to GM."""
    return _number(sigma2_cm4_s) / GM_CM4_S


def nm3_to_cm3(volume_nm3):
    """Volume from nm³ to cm³ (1 nm³ = 1e-21 cm³).

    Examples
    --------
    >>> from uncertainties import ufloat
    >>> v = nm3_to_cm3(ufloat(100.0, 5.0))
    >>> f"{v.nominal_value:.1e} {v.std_dev:.1e}"
    '1.0e-19 5.0e-21'
    """
    return _number(volume_nm3) * NM3_CM3


def epsilon_to_sigma_cm2(epsilon_per_M_cm):
    """One-photon absorption cross section σ₁ (cm²) from molar extinction ε (M⁻¹ cm⁻¹).

    σ = 1000 ln(10) ε / N_A (1000 cm³ per litre; ln 10 turns base-10 absorbance into
    natural-log optical depth). Works on floats, arrays and ``uncertainties`` numbers.

    Examples
    --------
    >>> f"{epsilon_to_sigma_cm2(3.2e7):.3e}"
    '1.224e-13'
    """
    return 1000.0 * LN10 * epsilon_per_M_cm / AVOGADRO_PER_MOL


def sigma_cm2_to_epsilon(sigma_cm2):
    """Molar extinction ε (M⁻¹ cm⁻¹) from the one-photon cross section σ₁ (cm²)."""
    return sigma_cm2 * AVOGADRO_PER_MOL / (1000.0 * LN10)


def spectrum_per_nm_to_per_eV(wavelength_nm, counts_per_nm, *, axis=-1):
    """Convert a spectrum sampled per wavelength into one per energy, with the Jacobian.

    Parameters
    ----------
    wavelength_nm : ndarray of shape (M,)
        Wavelength axis in nm, strictly positive, any order.
    counts_per_nm : ndarray of shape (..., M)
        Spectral density per nm along ``axis``.

    Returns
    -------
    energy_eV : ndarray of shape (M,)
        Energy axis in eV, ascending.
    counts_per_eV : ndarray of shape (..., M)
        Spectral density per eV, reordered to match ``energy_eV``.

    Notes
    -----
    Since E = hc/λ, |dλ/dE| = λ²/hc, so S_E(E) = S_λ(λ) · λ² / hc. The area
    ∫S dλ = ∫S dE is conserved; the axis is never merely relabelled.

    Examples
    --------
    >>> e, s = spectrum_per_nm_to_per_eV([600.0, 620.0], [1.0, 1.0])
    >>> [round(float(x), 1) for x in s]
    [310.0, 290.4]
    """
    wl = np.asarray(wavelength_nm, dtype=float)
    counts = np.asarray(counts_per_nm, dtype=float)
    if np.any(~np.isfinite(wl)) or np.any(wl <= 0):
        raise InputError(
            "wavelength_nm must be finite and > 0 to convert a spectrum to energy; "
            "check the wavelength column for zeros, negatives or blanks."
        )
    energy = HC_EV_NM / wl
    jac_shape = [1] * counts.ndim
    jac_shape[axis] = wl.size
    per_eV = counts * (wl**2 / HC_EV_NM).reshape(jac_shape)
    order = np.argsort(energy)
    return energy[order], np.take(per_eV, order, axis=axis)


def pulse_shape_factor(pulse_shape: str) -> float:
    """Two-photon pulse-shape factor g = τ ∫ f(t)² dt for a unit-area pulse of FWHM τ.

    Parameters
    ----------
    pulse_shape : {"gaussian", "sech2", "rect"}
        Temporal intensity profile of the pump pulse.

    Returns
    -------
    float
        √(2 ln2 / π) ≈ 0.664 (gaussian), 2 ln(1+√2)/3 ≈ 0.588 (sech²), 1 (rect).

    Notes
    -----
    Under two-photon pumping the number of absorption events per particle is
    σ₂ ∫ I(t)² dt with I the photon flux; for a pulse of photon fluence J and
    FWHM τ this is g σ₂ J² / τ.

    Examples
    --------
    >>> round(pulse_shape_factor("gaussian"), 3), round(pulse_shape_factor("sech2"), 3)
    (0.664, 0.588)
    """
    if pulse_shape == "gaussian":
        return math.sqrt(2.0 * math.log(2.0) / math.pi)
    if pulse_shape == "sech2":
        return 2.0 * math.log(1.0 + math.sqrt(2.0)) / 3.0
    if pulse_shape == "rect":
        return 1.0
    raise InputError(
        f"pulse_shape {pulse_shape!r} is not known; use one of {', '.join(PULSE_SHAPES)}."
    )


def two_photon_counting_factor(counting: str) -> float:
    """Excitons per σ₂ event under a two-photon counting convention.

    Parameters
    ----------
    counting : {"events", "photons"}
        ``"events"`` (data contract default): σ₂ counts two-photon events, one exciton each,
        so ⟨N⟩ = g σ₂ J²/τ. ``"photons"``: σ₂ counts photons absorbed (two per excitation,
        the usual definition behind tabulated dye values in GM), so ⟨N⟩ = ½ g σ₂ J²/τ.

    Returns
    -------
    float
        1.0 or 0.5.

    Examples
    --------
    >>> two_photon_counting_factor("events"), two_photon_counting_factor("photons")
    (1.0, 0.5)
    """
    if counting == "events":
        return 1.0
    if counting == "photons":
        return 0.5
    raise InputError(f"two_photon_counting {counting!r} is not known; use one of {', '.join(TWO_PHOTON_COUNTINGS)}.")


def pulse_energy_uJ_from_power(power_mW, rep_rate_Hz):
    """Pulse energy (µJ) from average power (mW) and repetition rate (Hz): E = P / f_rep.

    Examples
    --------
    >>> float(pulse_energy_uJ_from_power(0.5, 1000.0))
    0.5
    """
    if not float(getattr(rep_rate_Hz, "nominal_value", rep_rate_Hz)) > 0:
        raise InputError(f"rep_rate_Hz must be > 0, got {rep_rate_Hz!r}.")
    return _number(power_mW) * 1e3 / rep_rate_Hz  # mW → µJ/s, per pulse


def peak_fluence_mJ_cm2(pulse_energy_uJ, *, beam_radius_um=None, beam_profile: str = "gaussian",
                        stripe_length_um=None, stripe_width_um=None):
    """Peak pulse fluence (mJ/cm²) of a spot or a stripe from the pulse energy.

    Parameters
    ----------
    pulse_energy_uJ : float, ndarray or UFloat
        Energy per pulse at the sample, µJ.
    beam_radius_um : float or UFloat, optional
        Spot radius, µm: the 1/e² intensity radius w of a Gaussian spot, or the radius of a
        flat-top disc.
    beam_profile : {"gaussian", "flat-top"}
        Spot profile (ignored for a stripe).
    stripe_length_um, stripe_width_um : float or UFloat, optional
        A uniform stripe instead of a spot.

    Returns
    -------
    float, ndarray or UFloat
        2E/(πw²) (Gaussian peak), E/(πw²) (flat top) or E/(L·W) (stripe), in mJ/cm².

    Examples
    --------
    >>> round(float(peak_fluence_mJ_cm2(0.5, beam_radius_um=100.0)), 4)
    3.1831
    >>> round(float(peak_fluence_mJ_cm2(0.5, stripe_length_um=5000.0, stripe_width_um=100.0)), 4)
    0.1
    """
    e_mJ = _number(pulse_energy_uJ) * 1e-3
    if stripe_length_um is not None or stripe_width_um is not None:
        if stripe_length_um is None or stripe_width_um is None:
            raise InputError("a stripe needs both stripe_length_um and stripe_width_um.")
        return e_mJ / (stripe_length_um * stripe_width_um * 1e-8)  # µm² → cm²
    if beam_radius_um is None:
        raise InputError("the fluence from a pulse energy needs beam_radius_um (or a stripe).")
    area_cm2 = math.pi * beam_radius_um**2 * 1e-8
    if beam_profile == "gaussian":
        return 2.0 * e_mJ / area_cm2
    if beam_profile == "flat-top":
        return e_mJ / area_cm2
    raise InputError(f"beam_profile {beam_profile!r} is not known; use one of {', '.join(BEAM_PROFILES)}.")
