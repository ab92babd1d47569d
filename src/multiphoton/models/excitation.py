"""Excitation statistics: how many excitons a pump pulse makes in each particle.

Pure array functions. The number of excitons created in one particle by one pulse
is Poisson distributed (absorption events are independent and the particle's
cross section does not change during the pulse); its mean ⟨N⟩ is σ₁J under
one-photon pumping and gσ₂J²/τ under two-photon pumping. A real pump spot is not
flat: the ensemble signal is the observable averaged over the local fluence of a
Gaussian spatial profile, which is what makes ensemble saturation curves soft.
"""
from __future__ import annotations

from collections.abc import Callable

import numpy as np
from scipy import special, stats
from uncertainties import UFloat, unumpy

from ..errors import InputError
from ..units import gm_to_cm4_s, photon_fluence_per_cm2, pulse_shape_factor
__all__ = [
    "poisson_populations",
    "mean_excitons_one_photon",
    "mean_excitons_two_photon",
    "gaussian_beam_quadrature",
    "beam_average",
    "emitting_fraction_one_photon",
    "BEAM_PROFILES",
]

BEAM_PROFILES = ("gaussian", "flat")


def _nonneg_array(name: str, value) -> np.ndarray:
    arr = np.asarray(value, dtype=float)
    if np.any(~np.isfinite(arr)) or np.any(arr < 0):
        raise InputError(
            f"{name} must be finite and >= 0; got values outside that range "
            f"(min {np.nanmin(arr) if arr.size else 'n/a'}). Remove blanks or negative entries."
        )
    return arr


def poisson_populations(mean_n, *, n_max: int = 30) -> np.ndarray:
    """Initial probabilities p_N of N = 0…n_max excitons per particle.

    Parameters
    ----------
    mean_n : float or ndarray of shape (...)
        Mean number of excitons per particle ⟨N⟩ (≥ 0).
    n_max : int, optional
        Highest state kept; it absorbs the Poisson tail P(N ≥ n_max).

    Returns
    -------
    ndarray of shape (..., n_max + 1)
        p_N, summing to 1 along the last axis.

    Notes
    -----
    p_N = ⟨N⟩^N e^{−⟨N⟩} / N! for N < n_max and p_{n_max} = P(N ≥ n_max), so that the
    distribution is normalised however large ⟨N⟩ is.

    References
    ----------
    V. I. Klimov, "Optical nonlinearities and ultrafast carrier dynamics in
    semiconductor nanocrystals", J. Phys. Chem. B 104, 6112 (2000).

    Examples
    --------
    >>> p = poisson_populations(1.0, n_max=3)
    >>> [round(float(x), 4) for x in p]
    [0.3679, 0.3679, 0.1839, 0.0803]
    """
    if int(n_max) != n_max or n_max < 1:
        raise InputError(f"n_max must be an integer >= 1; got {n_max!r}.")
    mu = _nonneg_array("mean_n", mean_n)
    n = np.arange(int(n_max) + 1)
    p = stats.poisson.pmf(n, mu[..., None])
    p[..., -1] = stats.poisson.sf(n_max - 1, mu)
    return p


def _nonneg_number(name: str, value):
    """Validate a fluence that may carry ``uncertainties``; float arrays stay float arrays."""
    nominal = _nonneg_array(name, unumpy.nominal_values(value))
    return value if isinstance(value, UFloat) or np.asarray(value).dtype == object else nominal


def _positive(name: str, value):
    if not float(unumpy.nominal_values(value)) > 0:
        raise InputError(f"{name} must be > 0; got {value!r}.")


def mean_excitons_one_photon(fluence_mJ_cm2, *, sigma1_cm2, excitation_eV):
    """⟨N⟩ = σ₁ J under one-photon pumping.

    Parameters
    ----------
    fluence_mJ_cm2 : float, ndarray or UFloat
        Pulse energy fluence, mJ/cm².
    sigma1_cm2 : float or UFloat
        One-photon absorption cross section at the pump energy, cm².
    excitation_eV : float or UFloat
        Pump photon energy hν, eV.

    Returns
    -------
    ndarray or UFloat
        Mean excitons per particle (same shape as ``fluence_mJ_cm2``); ``uncertainties``
        numbers propagate.

    Examples
    --------
    >>> round(float(mean_excitons_one_photon(0.001, sigma1_cm2=1e-13, excitation_eV=3.1)), 4)
    0.2013
    """
    f = _nonneg_number("fluence_mJ_cm2", fluence_mJ_cm2)
    _positive("sigma1_cm2", sigma1_cm2)
    return sigma1_cm2 * photon_fluence_per_cm2(f, excitation_eV)


def mean_excitons_two_photon(fluence_mJ_cm2, *, sigma2_GM, excitation_eV, pulse_fwhm_fs,
                             pulse_shape: str = "gaussian"):
    """⟨N⟩ = g σ₂ J² / τ under two-photon pumping (one σ₂ event makes one exciton).

    Parameters
    ----------
    fluence_mJ_cm2 : float, ndarray or UFloat
        Pulse energy fluence, mJ/cm².
    sigma2_GM : float or UFloat
        Two-photon cross section at ``excitation_eV``, GM (1 GM = 1e-50 cm⁴ s).
    excitation_eV : float or UFloat
        Pump photon energy hν, eV (J = F / hν).
    pulse_fwhm_fs : float or UFloat
        Pulse duration τ (intensity FWHM), fs.
    pulse_shape : {"gaussian", "sech2", "rect"}
        Temporal profile, giving g (see :func:`multiphoton.units.pulse_shape_factor`).

    Returns
    -------
    ndarray or UFloat
        Mean excitons per particle; ``uncertainties`` numbers propagate.

    Notes
    -----
    J = F/hν is the photon fluence (photons/cm²). The number of two-photon events per
    particle is σ₂ ∫ I(t)² dt = g σ₂ J²/τ for a pulse of shape f and FWHM τ.

    Examples
    --------
    >>> round(float(mean_excitons_two_photon(1.0, sigma2_GM=1e6, excitation_eV=1.55,
    ...                                      pulse_fwhm_fs=100.0)), 3)
    1.077
    >>> from uncertainties import ufloat
    >>> n = mean_excitons_two_photon(1.5, sigma2_GM=ufloat(1.7e6, 0.5e6), excitation_eV=1.55,
    ...                              pulse_fwhm_fs=80, pulse_shape="rect")
    >>> round(n.nominal_value, 2), round(n.std_dev, 2)
    (7.75, 2.28)
    """
    f = _nonneg_number("fluence_mJ_cm2", fluence_mJ_cm2)
    _positive("sigma2_GM", sigma2_GM)
    _positive("pulse_fwhm_fs", pulse_fwhm_fs)
    g = pulse_shape_factor(pulse_shape)
    j = photon_fluence_per_cm2(f, excitation_eV)
    return g * gm_to_cm4_s(sigma2_GM) * j**2 / (pulse_fwhm_fs * 1e-15)  # fs → s


def gaussian_beam_quadrature(*, order: int = 48) -> tuple[np.ndarray, np.ndarray]:
    """Nodes and weights to average an observable over a Gaussian pump spot.

    Parameters
    ----------
    order : int, optional
        Number of Gauss–Legendre nodes.

    Returns
    -------
    fraction : ndarray of shape (order,)
        Local fluence as a fraction u = F(r)/F_peak of the peak fluence, in (0, 1).
    weights : ndarray of shape (order,)
        Weights w_i such that ⟨O⟩ = Σ w_i O(u_i F_peak).

    Notes
    -----
    For F(r) = F_peak exp(−2r²/w²) the area element is dA = (πw²/2) du/u, so the
    signal per effective area A_eff = πw²/2 (the area for which pulse energy =
    F_peak·A_eff) is ⟨O⟩ = ∫₀¹ O(u F_peak) du/u. Gauss–Legendre on u ∈ (0, 1);
    the integrand is smooth when O vanishes at least linearly at zero fluence,
    which holds for every emission observable. A linear observable averages to
    O(F_peak), a quadratic one to O(F_peak)/2.

    Examples
    --------
    >>> u, w = gaussian_beam_quadrature(order=8)
    >>> round(float(np.sum(w * u)), 12), round(float(np.sum(w * u**2)), 12)
    (1.0, 0.5)
    """
    if int(order) != order or order < 2:
        raise InputError(f"order must be an integer >= 2; got {order!r}.")
    x, w = np.polynomial.legendre.leggauss(int(order))
    u = 0.5 * (x + 1.0)
    return u, 0.5 * w / u


def beam_average(
    observable: Callable[[np.ndarray], np.ndarray],
    peak_fluence_mJ_cm2,
    *,
    profile: str = "gaussian",
    order: int = 48,
) -> np.ndarray:
    """Average ``observable(local_fluence)`` over the pump spot.

    Parameters
    ----------
    observable : callable
        Maps local fluence, ndarray of shape (F, Q), to an ndarray of shape (F, Q, ...).
        It must vanish at zero fluence (an emission or absorption signal).
    peak_fluence_mJ_cm2 : float or ndarray of shape (F,)
        Peak fluence of the spot, mJ/cm².
    profile : {"gaussian", "flat"}
        Spatial profile; "flat" evaluates the observable at the peak fluence.
    order : int, optional
        Quadrature order for the Gaussian profile.

    Returns
    -------
    ndarray of shape (F, ...)
        Spot-averaged observable per effective area.

    Examples
    --------
    >>> float(beam_average(lambda f: f**2, [2.0])[0])
    2.0
    """
    f = np.atleast_1d(_nonneg_array("peak_fluence_mJ_cm2", peak_fluence_mJ_cm2))
    if profile == "flat":
        return np.asarray(observable(f[:, None]))[:, 0]
    if profile != "gaussian":
        raise InputError(f"profile {profile!r} is not known; use one of {', '.join(BEAM_PROFILES)}.")
    u, w = gaussian_beam_quadrature(order=order)
    values = np.asarray(observable(f[:, None] * u[None, :]))
    return np.tensordot(values, w, axes=([1], [0])) if values.ndim == 2 else np.einsum(
        "fq...,q->f...", values, w
    )


def emitting_fraction_one_photon(mean_n_peak, *, profile: str = "gaussian") -> np.ndarray:
    """Fraction of particles excited at least once, 1 − p₀, under one-photon pumping.

    Parameters
    ----------
    mean_n_peak : float or ndarray
        ⟨N⟩ at the peak of the spot (⟨N⟩ = σ₁J is linear in fluence).
    profile : {"gaussian", "flat"}
        "flat" gives 1 − exp(−⟨N⟩); "gaussian" the spot average (per effective area).

    Returns
    -------
    ndarray
        Emitting fraction (same shape as ``mean_n_peak``).

    Notes
    -----
    Flat: 1 − e^{−⟨N⟩}. Gaussian: ∫₀¹ (1 − e^{−⟨N⟩u}) du/u = Ein(⟨N⟩) =
    E₁(⟨N⟩) + ln⟨N⟩ + γ (the entire exponential integral), which keeps rising
    logarithmically: the edge of the spot never saturates.

    Examples
    --------
    >>> round(float(emitting_fraction_one_photon(1.0, profile="flat")), 4)
    0.6321
    >>> round(float(emitting_fraction_one_photon(1.0)), 4)
    0.7966
    """
    mu = _nonneg_array("mean_n_peak", mean_n_peak)
    if profile == "flat":
        return -np.expm1(-mu)
    if profile != "gaussian":
        raise InputError(f"profile {profile!r} is not known; use one of {', '.join(BEAM_PROFILES)}.")
    out = np.zeros_like(mu)
    pos = mu > 0
    # scipy has E1 but not Ein; Ein(x) = E1(x) + ln x + γ (Abramowitz & Stegun 5.1.39).
    small = pos & (mu < 1e-3)
    out[small] = mu[small] - mu[small] ** 2 / 4 + mu[small] ** 3 / 18
    big = pos & ~small
    out[big] = special.exp1(mu[big]) + np.log(mu[big]) + np.euler_gamma
    return out
