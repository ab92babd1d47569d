"""Two-photon cross section by the relative two-photon-excited-fluorescence method.

σ₂ₓ = σ₂ᵣ · (σ₁ₓ/σ₁ᵣ) · (F₂ₓ/F₂ᵣ) · (F₁ᵣ/F₁ₓ)

F₂ is the quadratic coefficient of integrated PL against pump fluence under two-photon
excitation (same geometry for sample and reference), F₁ the integrated PL under the
same one-photon excitation. Assumes equal quantum yields under one- and two-photon
excitation for each emitter (Xu & Webb 1996; Scott et al., Nano Lett. 2015).
"""
from __future__ import annotations

import numpy as np
from scipy.optimize import curve_fit

from ..errors import InputError
from ..results import Estimate
from .noise import point_noise

__all__ = ["quadratic_coefficient", "integrated_with_noise", "sigma2_relative_GM"]


def quadratic_coefficient(fluence_mJ_cm2, integrated, *, mask=None):
    """Coefficient a of integrated = a · F² (through the origin), with its standard error.

    Parameters
    ----------
    fluence_mJ_cm2 : ndarray of shape (F,)
        Pump fluence, mJ/cm².
    integrated : ndarray of shape (F,)
        Integrated two-photon-excited PL.
    mask : ndarray of bool, optional
        Points to use (e.g. those below saturation from
        :func:`multiphoton.analysis.powerlaw.find_saturation`).

    Returns
    -------
    UFloat
        a in (PL units)/(mJ/cm²)².

    Notes
    -----
    Weighted least squares with σᵢ ∝ yᵢ (constant relative noise, as in shot-to-shot
    pump fluctuations); the covariance is scaled by the residual scatter
    (``absolute_sigma=False``), so the standard error reflects the data.

    Examples
    --------
    >>> f = np.array([0.5, 1.0, 1.5, 2.0])
    >>> a = quadratic_coefficient(f, 3.0 * f**2 * np.array([1.01, 0.99, 1.0, 1.01]))
    >>> round(a.nominal_value, 2)
    3.01
    """
    f = np.asarray(fluence_mJ_cm2, dtype=float)
    y = np.asarray(integrated, dtype=float)
    if mask is not None:
        f, y = f[np.asarray(mask, bool)], y[np.asarray(mask, bool)]
    if f.size < 3:
        raise InputError(f"a quadratic coefficient needs at least 3 fluences, got {f.size}.")
    if np.any(y <= 0) or np.any(f <= 0):
        raise InputError("two-photon PL and fluences must be > 0 for the quadratic fit.")
    a0 = float(np.median(y / f**2))
    popt, pcov = curve_fit(lambda x, a: a * x**2, f, y, p0=[a0], sigma=y, absolute_sigma=False)
    return Estimate(value=float(popt[0]), stderr=float(np.sqrt(pcov[0, 0])),
                    method="weighted-lsq-quadratic").to_ufloat()


def integrated_with_noise(energy_eV, counts):
    """Integrated spectrum ∫counts dE with a standard error from its point-to-point noise.

    The noise per point is estimated from the second differences of the spectrum
    (:func:`~multiphoton.analysis.noise.point_noise`, robust MAD, which a smooth line
    shape barely affects), and propagated through the trapezoid rule as uncorrelated.
    The points are taken in ascending energy, so the order of the input does not matter.

    Returns
    -------
    UFloat or float
        Area in counts·eV (for counts per eV); a plain float when no noise is seen.
    """
    e = np.asarray(energy_eV, dtype=float)
    c = np.asarray(counts, dtype=float)
    if e.ndim != 1 or c.shape != e.shape:
        raise InputError(f"energy_eV and counts must be 1-D of the same length, got shapes "
                         f"{e.shape} and {c.shape}.")
    order = np.argsort(e, kind="stable")
    e, c = e[order], c[order]
    area = float(np.trapezoid(c, e))
    if c.size < 5:
        return area
    sigma_point = point_noise(c)
    w = np.zeros_like(e)
    de = np.diff(e)
    w[:-1] += de / 2
    w[1:] += de / 2
    return Estimate(value=area, stderr=float(sigma_point * np.sqrt(np.sum(w**2))),
                    method="trapezoid-second-difference-noise").to_ufloat()


def sigma2_relative_GM(*, reference_sigma2_GM, sample_sigma1_cm2, reference_sigma1_cm2,
                       sample_f2, reference_f2, sample_f1, reference_f1):
    """σ₂ of the sample in GM by the relative TPEF formula.

    All arguments may be ``uncertainties`` numbers; the result propagates them.

    Notes
    -----
    σ₂ₓ = σ₂ᵣ · (σ₁ₓ/σ₁ᵣ) · (F₂ₓ/F₂ᵣ) · (F₁ᵣ/F₁ₓ)  (Diroll et al. 2023, eq. 1)

    Examples
    --------
    >>> sigma2_relative_GM(reference_sigma2_GM=16.2, sample_sigma1_cm2=1.2e-13,
    ...     reference_sigma1_cm2=1.2e-17, sample_f2=10.0, reference_f2=1.0,
    ...     sample_f1=1.0, reference_f1=1.0)
    1620000.0
    """
    return (reference_sigma2_GM * (sample_sigma1_cm2 / reference_sigma1_cm2)
            * (sample_f2 / reference_f2) * (reference_f1 / sample_f1))
