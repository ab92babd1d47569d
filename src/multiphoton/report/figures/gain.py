"""Transient-absorption gain (paper Fig. S6): net absorbance A₀ + ΔA spectra at chosen
delays with the zero line and the gain region shaded, and the net-absorbance map on a
diverging colour scale centred at zero (blue: net gain).

Reads :class:`~multiphoton.plotdata.TAMapPlot` objects (docs/plot-data.md).
"""
from __future__ import annotations

import numpy as np
from matplotlib import colors as mcolors
from matplotlib.figure import Figure

from ...plotdata import TAMapPlot
from ..style import (
    DIVERGING_CMAP, FIT_COLOR, MUTED_COLOR, PANEL_IN, TIME_CMAP, add_colorbar, panel_label,
)
from ._common import NoFigureData, figure_title, nonempty

__all__ = ["plot_ta_map"]

_MAX_SPECTRA = 6


def _chosen_rows(delay_ps: np.ndarray, wanted_ps: np.ndarray | None) -> list[int]:
    """Rows nearest the wanted delays; without them, up to six rows spread over delay > 0."""
    if wanted_ps is not None:
        rows = [int(np.nanargmin(np.abs(delay_ps - d))) for d in wanted_ps if np.isfinite(d)]
        return list(dict.fromkeys(rows))
    candidates = np.flatnonzero(delay_ps > 0)
    if candidates.size == 0:
        candidates = np.arange(delay_ps.size)
    picks = np.unique(np.linspace(0, candidates.size - 1, min(_MAX_SPECTRA, candidates.size)).astype(int))
    return [int(candidates[i]) for i in picks]


def plot_ta_map(plot: TAMapPlot) -> Figure:
    """Gain spectra at chosen delays and the net-absorbance map.

    Parameters
    ----------
    plot : TAMapPlot
        Drawn from ``delay_ps`` (D,), ``energy_eV`` (M,) and ``net_absorbance`` (D, M),
        or without a ground state ``dA`` (D, M), drawn as ΔA with no gain marked.
        ``ground_state`` (M,), ``gain_delays_ps``, ``bandwidth_delay_ps``,
        ``gain_region_eV`` ([[lo, hi], …]), ``noise_od`` and ``gain_lifetime_ns`` are
        drawn when given.
    """
    delay, energy = nonempty(plot.delay_ps), nonempty(plot.energy_eV)
    if delay is None or energy is None:
        raise NoFigureData(f"ta_map {plot.sample!r}: needs delay_ps and energy_eV")
    net = nonempty(plot.net_absorbance)
    label, what = "A₀ + ΔA (OD)", "Net absorbance"
    net_is_delta = net is None
    if net is None:
        # no ground-state spectrum: the map is ΔA alone and net gain is undefined
        net = nonempty(plot.dA)
        label, what = "ΔA (OD)", "ΔA (no A₀, net gain undefined)"
    if net is None:
        raise NoFigureData(f"ta_map {plot.sample!r}: no net_absorbance and no dA")
    ground = nonempty(plot.ground_state)
    wanted = nonempty(plot.gain_delays_ps)
    regions = plot.gain_region_eV
    noise = plot.noise_od
    bw_delay = plot.bandwidth_delay_ps
    lifetime_ns = plot.gain_lifetime_ns

    fig = Figure(figsize=(PANEL_IN[0] * 2 + 1.0, PANEL_IN[1] * 1.1), layout="constrained")
    ax, axm = fig.subplots(1, 2)
    fig.suptitle(figure_title(plot, "Transient absorption gain"),
                 fontsize=9.5, x=0.01, ha="left")

    rows = _chosen_rows(delay, wanted)
    if rows:
        shades = [mcolors.to_hex(c) for c in _ramp(len(rows))]
        for colour, i in zip(shades, rows):
            ax.plot(energy, net[i], color=colour, lw=1.0, label=f"{delay[i]:.4g} ps")
    if ground is not None:
        ax.plot(energy, ground, ":", color=MUTED_COLOR, lw=1.0, label="A₀ (ground state)")
    ax.axhline(0.0, color="black", lw=0.7)
    if noise is not None:
        ax.axhspan(-noise, noise, color=MUTED_COLOR, alpha=0.15, lw=0, label=f"noise ±{noise:.2g} OD")
    first = True
    for region in regions:
        if not np.isfinite(region).all():
            continue
        region_label = "gain region" + (f" at {bw_delay:.3g} ps" if bw_delay is not None else "")
        ax.axvspan(float(region[0]), float(region[1]), color="#2b6cb0", alpha=0.15, lw=0,
                   label=region_label if first else None)
        first = False
    ax.set(xlabel="Energy (eV)", ylabel=label, title=what if net_is_delta else f"{what} spectra")
    ax.legend(loc="best", fontsize=6.5)
    panel_label(ax, "a")

    finite = net[np.isfinite(net)]
    halfrange = float(np.max(np.abs(finite))) if finite.size else 1.0
    norm = mcolors.CenteredNorm(vcenter=0.0, halfrange=halfrange if halfrange > 0 else 1.0)
    mesh = axm.pcolormesh(energy, delay, net, cmap=DIVERGING_CMAP, norm=norm, shading="nearest",
                          rasterized=True)
    # the zero contour marks net gain; on ΔA alone it would only trace noise
    if not net_is_delta and finite.size and finite.min() < 0.0 < finite.max() and min(net.shape) >= 2:
        axm.contour(energy, delay, net, levels=[0.0], colors="black", linewidths=0.6)
    positive = delay[delay > 0]
    if positive.size and delay.max() / max(positive.min(), 1e-12) > 100.0:
        axm.set_yscale("symlog", linthresh=max(1.0, float(positive.min())))
    if lifetime_ns is not None:
        axm.axhline(lifetime_ns * 1e3, color=FIT_COLOR, ls="--", lw=1.0,
                    label=f"gain lifetime {lifetime_ns:.3g} ns")
        axm.legend(loc="lower right")
    axm.set(xlabel="Energy (eV)", ylabel="Delay (ps)", title="ΔA map" if net_is_delta else "A₀ + ΔA map (contour: 0)")
    add_colorbar(fig, mesh, axm, label)
    panel_label(axm, "b")
    return fig


def _ramp(n: int):
    from matplotlib import colormaps

    cmap = colormaps[TIME_CMAP]
    return [cmap(x) for x in np.linspace(0.0, 0.85, max(n, 1))]
