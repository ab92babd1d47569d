"""Amplified spontaneous emission from a stripe-pumped film.

The net modal gain follows the exciton populations right after the pulse; the
edge emission is the spontaneous spectrum times the stripe amplification
(e^{gL} − 1)/(gL). The ASE threshold truth is where the peak net modal gain
crosses zero.
"""
from __future__ import annotations

from collections.abc import Callable

import numpy as np
from scipy import optimize

from ..errors import InputError
from ..models.excitation import poisson_populations
from .spectra import BandEdge, pl_spectra, state_absorbance

__all__ = ["net_modal_gain_per_cm", "stripe_amplification", "ase_spectra", "ase_threshold_fluence"]


def net_modal_gain_per_cm(
    energy_eV, mean_n, band: BandEdge, *, gain_scale_per_cm: float, loss_per_cm: float, n_max: int = 30
) -> np.ndarray:
    """Net modal gain g(E) = G·(−Σ_N p_N A_N(E) / 2) − α_loss at t = 0, in 1/cm.

    Parameters
    ----------
    energy_eV : ndarray of shape (M,)
    mean_n : ndarray of shape (F,)
        ⟨N⟩ in the pumped stripe (uniform).
    band : BandEdge
    gain_scale_per_cm : float
        G = Γ α₁: modal gain of a fully inverted lowest level (its ground absorption is 2
        channel units, hence the factor ½).
    loss_per_cm : float
        Waveguide and scattering loss α_loss.
    n_max : int

    Returns
    -------
    ndarray of shape (F, M)

    Examples
    --------
    >>> b = BandEdge(exciton_eV=2.0, biexciton_binding_meV=0.0, level_offsets_eV=(0.0,),
    ...              level_capacities=(2,), level_fwhm_eV=(0.1,))
    >>> g = net_modal_gain_per_cm([2.0], [0.0], b, gain_scale_per_cm=100.0, loss_per_cm=10.0)
    >>> float(g[0, 0])
    -110.0
    """
    p = poisson_populations(np.atleast_1d(np.asarray(mean_n, dtype=float)), n_max=n_max)
    a = state_absorbance(energy_eV, band, n_max=n_max)
    return gain_scale_per_cm * (-(p @ a) / 2.0) - loss_per_cm


def stripe_amplification(gl, *, saturation_gl: float = 6.0) -> np.ndarray:
    """Stripe amplification (e^{x} − 1)/x of the emission guided along a stripe.

    Parameters
    ----------
    gl : ndarray
        Net modal gain × stripe length (dimensionless x = gL).
    saturation_gl : float
        Gain saturation: positive x is compressed to x_s tanh(x / x_s), capping the
        amplification at (e^{x_s} − 1)/x_s.

    Notes
    -----
    (e^{x} − 1)/x → 1 as x → 0 (evaluated with ``expm1``), < 1 for net absorption.

    Examples
    --------
    >>> [round(float(v), 4) for v in stripe_amplification([-1.0, 0.0, 1.0], saturation_gl=50.0)]
    [0.6321, 1.0, 1.7181]
    """
    x = np.asarray(gl, dtype=float)
    x = np.where(x > 0, saturation_gl * np.tanh(x / saturation_gl), x)
    small = np.abs(x) < 1e-8
    safe = np.where(small, 1.0, x)
    return np.where(small, 1.0 + x / 2.0, np.expm1(safe) / safe)


def ase_spectra(
    energy_eV,
    mean_n,
    band: BandEdge,
    *,
    tau_x_ns: float,
    tau_xx_ns: float,
    gain_scale_per_cm: float,
    loss_per_cm: float,
    stripe_length_cm: float,
    guided_fraction: float = 0.3,
    saturation_gl: float = 6.0,
    n_max: int = 30,
) -> np.ndarray:
    """Edge emission of a stripe-pumped film per particle (photons per eV) vs ⟨N⟩.

    Returns
    -------
    ndarray of shape (F, M)

    Notes
    -----
    I(E) = S(E) · [1 − κ + κ (e^{gL} − 1)/(gL)]: the spontaneous spectrum S (time-integrated
    cascade PL of a uniformly pumped film), a fraction κ of which is guided along the
    stripe and amplified by the net modal gain g(E) of the populations at t = 0.

    References
    ----------
    K. L. Shaklee and R. F. Leheny, Appl. Phys. Lett. 18, 475 (1971) (variable stripe length).
    """
    if not 0 < guided_fraction <= 1:
        raise InputError(f"guided_fraction must be in (0, 1]; got {guided_fraction!r}.")
    mu = np.atleast_1d(np.asarray(mean_n, dtype=float))
    spont = pl_spectra(energy_eV, mu, band, tau_x_ns=tau_x_ns, tau_xx_ns=tau_xx_ns, n_max=n_max,
                       beam_profile="flat")
    g = net_modal_gain_per_cm(energy_eV, mu, band, gain_scale_per_cm=gain_scale_per_cm,
                              loss_per_cm=loss_per_cm, n_max=n_max)
    amp = stripe_amplification(g * stripe_length_cm, saturation_gl=saturation_gl)
    return spont * (1.0 - guided_fraction + guided_fraction * amp)


def ase_threshold_fluence(
    mean_n_of_fluence: Callable[[float], float],
    band: BandEdge,
    *,
    gain_scale_per_cm: float,
    loss_per_cm: float,
    n_max: int = 30,
    bracket_mJ_cm2: tuple[float, float] = (1e-3, 100.0),
    energy_eV=None,
) -> tuple[float, float]:
    """Fluence at which the peak net modal gain crosses zero, and the energy of that peak.

    Parameters
    ----------
    mean_n_of_fluence : callable
        ⟨N⟩ for a fluence in mJ/cm².
    band, gain_scale_per_cm, loss_per_cm, n_max
        As in :func:`net_modal_gain_per_cm`.
    bracket_mJ_cm2 : (float, float)
        Search interval.
    energy_eV : ndarray, optional
        Energy grid for the maximum (default: E_X − 0.3 … E_X + 0.6 eV, 0.1 meV steps).

    Returns
    -------
    threshold_mJ_cm2 : float
    peak_eV : float
        Energy of maximum net gain at threshold (where ASE appears first).
    """
    e = (np.arange(band.exciton_eV - 0.3, band.exciton_eV + 0.6, 1e-4) if energy_eV is None
         else np.asarray(energy_eV, dtype=float))

    def peak(f):
        g = net_modal_gain_per_cm(e, [mean_n_of_fluence(f)], band, gain_scale_per_cm=gain_scale_per_cm,
                                  loss_per_cm=loss_per_cm, n_max=n_max)[0]
        return g

    lo, hi = bracket_mJ_cm2
    if peak(lo).max() >= 0 or peak(hi).max() <= 0:
        raise InputError(
            f"the peak net modal gain does not change sign between {lo} and {hi} mJ/cm²; "
            "check loss_per_cm and gain_scale_per_cm."
        )
    f_th = optimize.brentq(lambda f: peak(f).max(), lo, hi, xtol=1e-10, rtol=1e-12)
    return float(f_th), float(e[np.argmax(peak(f_th))])
