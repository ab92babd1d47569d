"""One- and two-photon emission of one sample compared (the TPEF premise η₂ = η₁).

The relative TPEF method takes the quantum yield under two-photon excitation equal to the
one-photon one (Xu & Webb 1996). Both spectra of the sample are in a ``tpef`` measurement;
when they differ in peak or width, the emitting states differ and the premise is doubtful.
"""
from __future__ import annotations

import math

import numpy as np

from ..results import Estimate
from . import spectra

__all__ = ["compare_emission"]


def _peak(e, y):
    fit = spectra.peak_energy(e, y, method="peak-fit")
    return fit if fit.success else spectra.peak_energy(e, y, method="second-derivative")


def compare_emission(energy_1p_eV, counts_1p, energy_2p_eV, counts_2p, *, max_shift_meV=5.0,
                     max_width_ratio=0.1) -> Estimate:
    """Peak shift (two- minus one-photon, meV) and width difference of two emission spectra.

    Parameters
    ----------
    energy_1p_eV : ndarray of shape (M,)
        Energy axis of the one-photon spectrum (any order).
    counts_1p : ndarray of shape (M,)
        One-photon excited emission (per eV).
    energy_2p_eV : ndarray of shape (K,)
        Energy axis of the two-photon spectrum.
    counts_2p : ndarray of shape (K,)
        Two-photon excited emission (e.g. the sum of the unsaturated spectra of a series).
    max_shift_meV, max_width_ratio : float
        Differences below these are not flagged however small their stderr (5 meV, 10 %).

    Returns
    -------
    Estimate
        Peak shift in meV (method ``"peak-difference"``), with a message when the spectra
        differ (see Notes). ``details``: ``peak_1p_eV``, ``peak_2p_eV``, ``fwhm_1p_meV``,
        ``fwhm_2p_meV``, ``fwhm_difference_meV``, ``fwhm_difference_stderr_meV``, ``differ``,
        ``stderr_contains``.

    Notes
    -----
    Peaks by a Gaussian fit above half maximum (second derivative if it fails), widths by
    half-maximum crossings (:mod:`multiphoton.analysis.spectra`); stderrs add in
    quadrature. The spectra differ when the shift exceeds both 3 combined σ and
    ``max_shift_meV``, or the width difference exceeds both 3 σ and ``max_width_ratio`` of
    the one-photon width. A failure (NaN) when a peak cannot be located.

    References
    ----------
    .. [1] C. Xu and W. W. Webb, J. Opt. Soc. Am. B 13, 481 (1996).

    Examples
    --------
    >>> import numpy as np
    >>> e = np.linspace(1.8, 2.1, 301)
    >>> rng = np.random.default_rng(0)
    >>> a = np.exp(-0.5 * ((e - 1.95) / 0.03) ** 2) + 0.01 * rng.standard_normal(e.size)
    >>> b = np.exp(-0.5 * ((e - 1.95) / 0.03) ** 2) + 0.01 * rng.standard_normal(e.size)
    >>> r = compare_emission(e, a, e, b)
    >>> abs(r.value) < 3 * r.stderr, r.details["differ"]
    (True, False)
    """
    p1, p2 = _peak(energy_1p_eV, counts_1p), _peak(energy_2p_eV, counts_2p)
    w1, w2 = spectra.fwhm_meV(energy_1p_eV, counts_1p), spectra.fwhm_meV(energy_2p_eV, counts_2p)
    method = "peak-difference"
    if not (p1.success and p2.success):
        why = p1.message if not p1.success else p2.message
        return Estimate(value=float("nan"), stderr=float("nan"), method=method, unit="meV", success=False,
                        message=f"a peak cannot be located: {why}")
    shift = (p2.value - p1.value) * 1e3
    s_shift = math.hypot(p1.stderr, p2.stderr) * 1e3
    dw = w2.value - w1.value if (w1.success and w2.success) else float("nan")
    s_dw = math.hypot(w1.stderr, w2.stderr) if (w1.success and w2.success) else float("nan")
    shifted = abs(shift) > max(3.0 * s_shift, max_shift_meV)
    wider = bool(np.isfinite(dw) and abs(dw) > max(3.0 * s_dw, max_width_ratio * w1.value))
    notes = []
    if shifted:
        notes.append(f"the two-photon emission peak is {shift:+.1f} ± {s_shift:.1f} meV from the one-photon one")
    if wider:
        notes.append(f"its FWHM differs by {dw:+.1f} ± {s_dw:.1f} meV")
    msg = ("; ".join(notes) + ": the emitting states differ, so eta2 = eta1 (the TPEF premise) is doubtful"
           if notes else "")
    details = {"peak_1p_eV": p1.value, "peak_2p_eV": p2.value,
               "fwhm_1p_meV": w1.value, "fwhm_2p_meV": w2.value,
               "fwhm_difference_meV": float(dw), "fwhm_difference_stderr_meV": float(s_dw),
               "differ": bool(shifted or wider),
               "stderr_contains": "the two peak (width) stderrs in quadrature"}
    return Estimate(value=float(shift), stderr=float(s_shift), method=method, unit="meV", message=msg,
                    details=details)
