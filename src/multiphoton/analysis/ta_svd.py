"""Singular-value decomposition of a TA map and the choice of the number of components.

:func:`svd_map` gives the singular values and vectors of ΔA(t, E) (the plot data of the SVD
panel) and a rank by the optimal hard threshold of Gavish and Donoho [1]_;
:func:`choose_components` picks K for :func:`multiphoton.analysis.ta_global.fit_global` by
fitting K = 1, 2, … and stopping at a stated criterion.

References
----------
.. [1] M. Gavish and D. L. Donoho, IEEE Trans. Inf. Theory 60, 5040 (2014).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import InputError
from .ta_global import MAX_COMPONENTS, _clean_map, fit_global

__all__ = ["MapSVD", "svd_map", "choose_components"]


@dataclass(frozen=True, eq=False)
class MapSVD:
    """SVD of a TA map (axes sorted ascending).

    Attributes
    ----------
    delay_ps : ndarray of shape (D,)
    energy_eV : ndarray of shape (M,)
    singular_values : ndarray of shape (min(D, M),)
        All singular values (OD), descending.
    time_vectors : ndarray of shape (n, D)
        The first n left singular vectors (kinetics), sign fixed so that the largest
        element is positive.
    spectral_vectors : ndarray of shape (n, M)
        The matching right singular vectors (spectra), same sign convention as the kinetics.
    rank : int
        Singular values above the Gavish–Donoho threshold.
    threshold_od : float
        That threshold (OD).
    """

    delay_ps: np.ndarray
    energy_eV: np.ndarray
    singular_values: np.ndarray
    time_vectors: np.ndarray
    spectral_vectors: np.ndarray
    rank: int
    threshold_od: float


def svd_map(delay_ps, energy_eV, dA, *, n_vectors=6) -> MapSVD:
    """SVD of ΔA(t, E) with a rank from the optimal hard threshold for unknown noise.

    Parameters
    ----------
    delay_ps : ndarray of shape (D,)
        Delays (ps), any order.
    energy_eV : ndarray of shape (M,)
        Probe energies (eV), any order.
    dA : ndarray of shape (D, M)
        ΔA (OD); all-NaN delays and energies are dropped, other NaN set to 0.
    n_vectors : int, optional
        How many singular vectors to keep.

    Returns
    -------
    MapSVD

    Notes
    -----
    Threshold τ* = ω(β) · median(s) with β = min(D, M)/max(D, M) and
    ω(β) ≈ 0.56β³ − 0.95β² + 1.82β + 1.43 [1]_ (white noise of one level). A chirped time
    zero adds rank beyond the number of kinetic components: the rank is an upper bound for
    K, not K itself.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> t, e = np.linspace(0, 10, 80), np.linspace(1.8, 2.4, 60)
    >>> m = np.outer(np.exp(-t), np.sin(5 * e)) + np.outer(np.exp(-t / 5), e - 2)
    >>> svd_map(t, e, m + rng.normal(0, 1e-3, m.shape)).rank
    2
    """
    d, e, a, _ = _clean_map(delay_ps, energy_eV, dA)
    n = int(n_vectors)
    if n < 1:
        raise InputError(f"`n_vectors` must be ≥ 1, got {n_vectors!r}.")
    u, s, vt = np.linalg.svd(np.nan_to_num(a), full_matrices=False)
    n = min(n, s.size)
    u, vt = u[:, :n].T, vt[:n]
    sign = np.sign(u[np.arange(n), np.argmax(np.abs(u), axis=1)])
    sign[sign == 0] = 1.0
    beta = min(a.shape) / max(a.shape)
    omega = 0.56 * beta**3 - 0.95 * beta**2 + 1.82 * beta + 1.43
    thr = float(omega * np.median(s))
    return MapSVD(delay_ps=d, energy_eV=e, singular_values=s, time_vectors=u * sign[:, None],
                  spectral_vectors=vt * sign[:, None], rank=int(np.count_nonzero(s > thr)),
                  threshold_od=thr)


def choose_components(delay_ps, energy_eV, dA, *, max_components=4, min_gain=0.02, **options):
    """Number of components K by adding one at a time until it no longer pays.

    Parameters
    ----------
    delay_ps, energy_eV, dA
        As :func:`multiphoton.analysis.ta_global.fit_global`.
    max_components : int, optional
        Largest K tried (≤ :data:`~multiphoton.analysis.ta_global.MAX_COMPONENTS`).
    min_gain : float, optional
        Smallest relative drop of the reduced χ² that justifies one more component.
    **options
        Passed to ``fit_global`` (``offset``, ``artefact``, ``chirp_order``, …).

    Returns
    -------
    (int, GlobalFit, str)
        K, its fit, and the reason K + 1 was refused. The Estimates' ``details`` are
        ``fit_global``'s: ``n_components``, ``offset``, ``artefact``, ``chirp_fitted``,
        ``chirp_order``, ``energy_ref_eV``, ``chirp_wavelength_ref_nm``, ``n_delays``, ``n_energies``, ``n_points``,
        ``nfev``, ``stderr``.

    Notes
    -----
    K + 1 is refused when its fit fails, when it warns that a lifetime is unresolved
    (shorter than a third of the IRF σ, or within 10 % of another), or when it lowers the
    reduced χ² by less than ``min_gain`` (2 %).

    Examples
    --------
    >>> from multiphoton.simulate.ta_global import global_ta_map
    >>> sim = global_ta_map(np.random.default_rng(2), n_delays=120, n_energies=40)
    >>> choose_components(sim["delay_ps"], sim["energy_eV"], sim["dA"], max_components=3)[0]
    2
    """
    kmax = int(max_components)
    if not 1 <= kmax <= MAX_COMPONENTS:
        raise InputError(f"`max_components` must be 1 … {MAX_COMPONENTS}, got {max_components!r}.")
    best = fit_global(delay_ps, energy_eV, dA, n_components=1, **options)
    reason = f"stopped at max_components = {kmax}"
    for k in range(2, kmax + 1):
        trial = fit_global(delay_ps, energy_eV, dA, n_components=k, **options)
        unresolved = [w for w in trial.warnings if "not resolve" in w]
        if not trial.success:
            reason = f"{k} components: the fit failed"
        elif unresolved:
            reason = f"{k} components: {unresolved[0]}"
        elif trial.reduced_chi2 > (1.0 - min_gain) * best.reduced_chi2:
            reason = (f"{k} components lower the reduced chi-square by only "
                      f"{100 * (1 - trial.reduced_chi2 / best.reduced_chi2):.2g} % (< {100 * min_gain:g} %)")
        else:
            best = trial
            continue
        return best.das.shape[0], best, reason
    return best.das.shape[0], best, reason
