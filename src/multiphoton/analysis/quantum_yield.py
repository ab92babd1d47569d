"""Relative fluorescence quantum yield: single-point and gradient methods.

Pure functions on numbers and arrays. Both compare the integrated PL of the sample with
that of a reference of known quantum yield under the same excitation and detection, per
absorbed photon (f = 1 − 10^(−A)), with the refractive-index correction n².
"""
from __future__ import annotations

import numpy as np
from uncertainties import ufloat

from ..errors import InputError
from ..results import Estimate

__all__ = ["absorbed_fraction", "relative_quantum_yield", "gradient_slope", "gradient_quantum_yield"]


def absorbed_fraction(absorbance):
    """Fraction of the excitation absorbed, f = 1 − 10^(−A).

    Parameters
    ----------
    absorbance : float, ndarray or UFloat
        Base-10 absorbance at the excitation energy over the path the excitation travels.

    Returns
    -------
    float, ndarray or UFloat
        Same shape; ``uncertainties`` numbers propagate.

    Examples
    --------
    >>> round(float(absorbed_fraction(0.05)), 5)
    0.10875
    """
    if hasattr(absorbance, "std_dev"):
        return 1 - 10 ** (-absorbance)
    return 1 - 10 ** (-np.asarray(absorbance, dtype=float))


def relative_quantum_yield(*, sample_integrated, reference_integrated, sample_absorbance,
                           reference_absorbance, reference_qy, sample_n, reference_n):
    """Single-point relative quantum yield (data contract section 5).

    Parameters
    ----------
    sample_integrated, reference_integrated : float or UFloat
        Integrated PL of sample and reference (same excitation and detection settings).
    sample_absorbance, reference_absorbance : float or UFloat
        Base-10 absorbances at the excitation energy.
    reference_qy : float or UFloat
        Quantum yield of the reference.
    sample_n, reference_n : float or UFloat
        Refractive indices of the two solvents.

    Returns
    -------
    Estimate
        ``quantum_yield`` with stderr propagated from every input given as an
        ``uncertainties`` number (linear propagation). Failed (NaN) when an integrated PL
        or absorbance is not positive. Details: ``absorbed_fraction_sample``,
        ``absorbed_fraction_reference``, ``index_correction`` (n_x²/n_ref²).

    Notes
    -----
    Φ_x = Φ_ref · (F_x / F_ref) · (f_ref / f_x) · (n_x² / n_ref²), f = 1 − 10^(−A).

    References
    ----------
    A. M. Brouwer, "Standards for photoluminescence quantum yield measurements in
    solution", Pure Appl. Chem. 83, 2213 (2011).

    Examples
    --------
    >>> e = relative_quantum_yield(sample_integrated=2.0, reference_integrated=4.0,
    ...     sample_absorbance=0.05, reference_absorbance=0.05, reference_qy=0.95,
    ...     sample_n=1.4261, reference_n=1.3611)
    >>> round(e.value, 4)
    0.5215
    """
    values = {"sample_integrated": sample_integrated, "reference_integrated": reference_integrated,
              "sample_absorbance": sample_absorbance, "reference_absorbance": reference_absorbance}
    bad = [k for k, v in values.items() if not float(getattr(v, "nominal_value", v)) > 0]
    if bad:
        return Estimate(value=float("nan"), stderr=float("nan"), method="relative-single-point", success=False,
                        message=f"{', '.join(bad)} must be positive")
    fx, fr = absorbed_fraction(sample_absorbance), absorbed_fraction(reference_absorbance)
    corr = sample_n**2 / reference_n**2
    qy = reference_qy * (sample_integrated / reference_integrated) * (fr / fx) * corr
    details = {"absorbed_fraction_sample": float(getattr(fx, "nominal_value", fx)),
               "absorbed_fraction_reference": float(getattr(fr, "nominal_value", fr)),
               "index_correction": float(getattr(corr, "nominal_value", corr))}
    return Estimate.from_ufloat(qy, method="relative-single-point", unit="", details=details)


def gradient_slope(absorbance, absorbance_std, integrated, integrated_std, *, n_iter: int = 20):
    """Slope of integrated PL against absorbed fraction, through the origin, with its stderr.

    Parameters
    ----------
    absorbance, absorbance_std : array_like of shape (N,)
        Base-10 absorbances of the dilutions and their standard deviations (N ≥ 3).
    integrated, integrated_std : array_like of shape (N,)
        Integrated PL of each dilution and its standard deviation (> 0).
    n_iter : int, optional
        Iterations of the effective-variance weights.

    Returns
    -------
    Estimate
        Slope F/f (counts·eV per absorbed fraction). Stderr: from the stated errors of
        both coordinates (effective variance σ_F² + m² σ_f², not rescaled by χ²);
        ``reduced_chi2`` says whether the scatter agrees with them. Raises for N < 3.
        Details: ``n_dilutions``, ``absorbed_fraction`` (per dilution, ascending).

    Notes
    -----
    F = m f with f = 1 − 10^(−A); weighted least squares through the origin with weights
    1/(σ_F² + m² σ_f²), iterated (the effective-variance method for errors in both
    variables, Orear, Am. J. Phys. 50, 912 (1982)). Written by hand because
    ``scipy.odr`` is deprecated and the model is one line.

    Examples
    --------
    >>> a = [0.02, 0.04, 0.06]
    >>> f = 1 - 10 ** -np.asarray(a)
    >>> e = gradient_slope(a, [0.001] * 3, 100 * f, [0.1] * 3)
    >>> round(e.value, 6)
    100.0
    """
    a = np.asarray(absorbance, dtype=float)
    sa = np.asarray(absorbance_std, dtype=float)
    F = np.asarray(integrated, dtype=float)
    sF = np.asarray(integrated_std, dtype=float)
    if a.ndim != 1 or not a.shape == sa.shape == F.shape == sF.shape:
        raise InputError("absorbance, absorbance_std, integrated and integrated_std must be 1-D of one length.")
    if a.size < 3:
        raise InputError(f"the gradient method needs at least 3 dilutions, got {a.size}.")
    if np.any(a <= 0) or np.any(sa < 0) or np.any(sF <= 0) or not np.all(np.isfinite(F)):
        raise InputError("absorbances must be > 0, their stds ≥ 0 and the PL stds > 0.")
    order = np.argsort(a, kind="stable")
    a, sa, F, sF = a[order], sa[order], F[order], sF[order]
    f = 1 - 10.0**-a
    sf = np.log(10) * 10.0**-a * sa
    m = float(np.sum(F * f / sF**2) / np.sum(f**2 / sF**2))
    for _ in range(n_iter):
        w = 1 / (sF**2 + m**2 * sf**2)
        m = float(np.sum(w * F * f) / np.sum(w * f**2))
    w = 1 / (sF**2 + m**2 * sf**2)
    stderr = float(np.sqrt(1 / np.sum(w * f**2)))
    chi2 = float(np.sum(w * (F - m * f) ** 2) / (a.size - 1))
    return Estimate(value=m, stderr=stderr, method="gradient-through-origin-effective-variance", unit="",
                    reduced_chi2=chi2, details={"n_dilutions": int(a.size), "absorbed_fraction": f.tolist()})


def gradient_quantum_yield(*, sample_slope, reference_slope, reference_qy, sample_n, reference_n):
    """Gradient-method quantum yield from the two slopes of PL against absorbed fraction.

    Parameters
    ----------
    sample_slope, reference_slope : Estimate
        From :func:`gradient_slope`.
    reference_qy, sample_n, reference_n : float or UFloat

    Returns
    -------
    Estimate
        Φ_x = Φ_ref · (m_x / m_ref) · (n_x² / n_ref²); failed when a slope failed or is
        not positive. Details: ``sample_slope``, ``reference_slope``, ``index_correction``.

    Examples
    --------
    >>> from multiphoton.results import Estimate
    >>> s = Estimate(value=50.0, stderr=1.0, method="m")
    >>> r = Estimate(value=100.0, stderr=2.0, method="m")
    >>> round(gradient_quantum_yield(sample_slope=s, reference_slope=r, reference_qy=0.95,
    ...     sample_n=1.3611, reference_n=1.3611).value, 3)
    0.475
    """
    for label, s in (("sample", sample_slope), ("reference", reference_slope)):
        if not s.success or not s.value > 0:
            return Estimate(value=float("nan"), stderr=float("nan"), method="relative-gradient", success=False,
                            message=f"the {label} slope is not a positive estimate ({s.message or s.value})")
    ms = ufloat(sample_slope.value, sample_slope.stderr)
    mr = ufloat(reference_slope.value, reference_slope.stderr)
    corr = sample_n**2 / reference_n**2
    qy = reference_qy * ms / mr * corr
    details = {"sample_slope": [ms.nominal_value, ms.std_dev], "reference_slope": [mr.nominal_value, mr.std_dev],
               "index_correction": float(getattr(corr, "nominal_value", corr))}
    return Estimate.from_ufloat(qy, method="relative-gradient", unit="", details=details)
