"""Transient absorption of a film: ΔA(E, t) from the cascade populations, the
ground-state absorbance A₀(E), and the operational gain bandwidth and lifetime.
"""
from __future__ import annotations

import numpy as np
from scipy import optimize

from ..errors import InputError
from ..models.cascade import cascade_populations
from .spectra import BandEdge, ground_absorbance, state_absorbance

__all__ = [
    "continuum_absorbance",
    "film_absorbance",
    "ta_map",
    "gain_intervals",
    "gain_bandwidth_eV",
    "gain_lifetime_ns",
]


def continuum_absorbance(energy_eV, *, edge_eV: float = 2.45, width_eV: float = 0.035) -> np.ndarray:
    """Absorption of the CdS layers and higher CdSe states, unit height above the edge.

    A logistic edge at ``edge_eV`` times a slow rise (1 + 0.6 (E − edge)); it is not
    changed by the pump in this model.

    Examples
    --------
    >>> round(float(continuum_absorbance(2.45)), 3)
    0.5
    """
    e = np.asarray(energy_eV, dtype=float)
    return (1.0 + 0.6 * np.clip(e - edge_eV, 0, None)) / (1.0 + np.exp(-(e - edge_eV) / width_eV))


def film_absorbance(energy_eV, band: BandEdge, *, od_per_channel: float, continuum_od: float) -> np.ndarray:
    """Ground-state absorbance A₀(E) of a film or solution: band edge plus continuum.

    Returns
    -------
    ndarray of shape (M,)
    """
    return od_per_channel * ground_absorbance(energy_eV, band) + continuum_od * continuum_absorbance(energy_eV)


def ta_map(
    delay_ps,
    energy_eV,
    mean_n: float,
    band: BandEdge,
    *,
    od_per_channel: float,
    tau_x_ns: float,
    tau_xx_ns: float,
    n_max: int = 30,
) -> np.ndarray:
    """ΔA(E, t) in OD after a uniform excitation with ⟨N⟩ excitons per particle.

    Parameters
    ----------
    delay_ps : ndarray of shape (D,)
        Pump–probe delays, ps; ΔA = 0 before time zero.
    energy_eV : ndarray of shape (M,)
    mean_n : float
    band : BandEdge
    od_per_channel : float
        Film absorbance of one band-edge channel at its peak (level 1 ground-state peak = 2×).
    tau_x_ns, tau_xx_ns, n_max
        Cascade parameters.

    Returns
    -------
    ndarray of shape (D, M)

    Notes
    -----
    ΔA(E, t) = a Σ_N p_N(t) [A_N(E) − A_0(E)]: ground-state bleach and stimulated
    emission (A_N as in :func:`multiphoton.simulate.spectra.state_absorbance`);
    photoinduced absorption is not modelled.

    Examples
    --------
    >>> b = BandEdge(exciton_eV=2.0, biexciton_binding_meV=0.0, level_offsets_eV=(0.0,),
    ...              level_capacities=(2,), level_fwhm_eV=(0.1,))
    >>> m = ta_map([-1.0, 0.0], [2.0], 0.0, b, od_per_channel=0.01, tau_x_ns=20, tau_xx_ns=5)
    >>> m.tolist()
    [[0.0], [0.0]]
    """
    d = np.asarray(delay_ps, dtype=float)
    a = state_absorbance(energy_eV, band, n_max=n_max)
    diff = a - a[0][None, :]
    out = np.zeros((d.size, a.shape[1]))
    after = d >= 0
    if np.any(after):
        p = cascade_populations(d[after] * 1e-3, [mean_n], tau_x_ns=tau_x_ns, tau_xx_ns=tau_xx_ns, n_max=n_max)[0]
        out[after] = od_per_channel * (p @ diff)
    return out


def gain_intervals(energy_eV, net_absorbance) -> list[tuple[float, float]]:
    """Energy intervals where the net absorbance A₀ + ΔA is negative (linear crossings).

    Parameters
    ----------
    energy_eV : ndarray of shape (M,), ascending
    net_absorbance : ndarray of shape (M,)

    Returns
    -------
    list of (lo_eV, hi_eV)

    Examples
    --------
    >>> gain_intervals([1.0, 2.0, 3.0, 4.0], [1.0, -1.0, -1.0, 1.0])
    [(1.5, 3.5)]
    """
    e = np.asarray(energy_eV, dtype=float)
    y = np.asarray(net_absorbance, dtype=float)
    if e.ndim != 1 or e.shape != y.shape or np.any(np.diff(e) <= 0):
        raise InputError("energy_eV must be ascending and match net_absorbance in shape.")
    neg = y < 0
    out = []
    i = 0
    while i < e.size:
        if not neg[i]:
            i += 1
            continue
        j = i
        while j + 1 < e.size and neg[j + 1]:
            j += 1
        lo = e[i] if i == 0 else e[i - 1] + (e[i] - e[i - 1]) * y[i - 1] / (y[i - 1] - y[i])
        hi = e[j] if j == e.size - 1 else e[j] + (e[j + 1] - e[j]) * y[j] / (y[j] - y[j + 1])
        out.append((float(lo), float(hi)))
        i = j + 1
    return out


def gain_bandwidth_eV(energy_eV, net_absorbance, *, floor_od: float = 0.0) -> float:
    """Total width (eV) of the region where A₀ + ΔA < −``floor_od`` (sum of the intervals).

    ``floor_od`` is the smallest net gain the simulated experiment resolves; with 0 the
    far red tail of stimulated emission, where A₀ ≈ 0 and ΔA is vanishingly negative,
    would count as gain that no measurement can see.
    """
    y = np.asarray(net_absorbance, dtype=float) + floor_od
    return float(sum(hi - lo for lo, hi in gain_intervals(energy_eV, y)))


def gain_lifetime_ns(
    energy_eV,
    mean_n: float,
    band: BandEdge,
    *,
    od_per_channel: float,
    continuum_od: float,
    tau_x_ns: float,
    tau_xx_ns: float,
    n_max: int = 30,
    max_ns: float = 100.0,
    floor_od: float = 0.0,
) -> float:
    """Latest delay (ns) with net gain anywhere: root of min_E [A₀ + ΔA](E, t) = −``floor_od``.

    Returns ``nan`` when there is no net gain at t = 0.
    """
    e = np.asarray(energy_eV, dtype=float)
    a0 = film_absorbance(e, band, od_per_channel=od_per_channel, continuum_od=continuum_od)

    def worst(t_ns):
        dA = ta_map([t_ns * 1e3], e, mean_n, band, od_per_channel=od_per_channel, tau_x_ns=tau_x_ns,
                    tau_xx_ns=tau_xx_ns, n_max=n_max)[0]
        return float(np.min(a0 + dA)) + floor_od

    if worst(0.0) >= 0:
        return float("nan")
    return float(optimize.brentq(worst, 0.0, max_ns, xtol=1e-9, rtol=1e-12))
