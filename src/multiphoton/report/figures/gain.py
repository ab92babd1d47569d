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
    DIVERGING_CMAP, FIT_COLOR, MUTED_COLOR, PANEL_IN, TIME_CMAP, panel_label, tidy_symlog_axis,
)
from ._common import NoFigureData, figure_title, nonempty, value_pm

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
    # "gain" only when a ground state makes net gain (A₀ + ΔA < 0) defined
    fig.suptitle(figure_title(plot, "Transient absorption" if net_is_delta else "Transient absorption gain"),
                 fontsize=9.5, x=0.01, ha="left")

    rows = _chosen_rows(delay, wanted)
    if rows:
        shades = [mcolors.to_hex(c) for c in _ramp(len(rows))]
        for colour, i in zip(shades, rows):
            ax.plot(energy, net[i], color=colour, lw=1.0, label=delay_text(delay[i]))
    if ground is not None:
        ax.plot(energy, ground, ":", color=MUTED_COLOR, lw=1.0, label="A₀ (ground state)")
    ax.axhline(0.0, color="black", lw=0.7)
    if noise is not None:
        ax.axhspan(-noise, noise, color=MUTED_COLOR, alpha=0.15, lw=0, label=f"noise ±{noise:.2g} OD")
    first = True
    for region in regions:
        if not np.isfinite(region).all():
            continue
        region_label = "gain band" + (f" (at {bw_delay:.3g} ps)" if bw_delay is not None else "")
        ax.axvspan(float(region[0]), float(region[1]), color="#2b6cb0", alpha=0.15, lw=0,
                   label=region_label if first else None)
        first = False
    ax.set(xlabel="Energy (eV)", ylabel=label, title=what if net_is_delta else f"{what} spectra")
    # legend outside the data (below the panel): the spectra fill the axes
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.2), ncol=3, fontsize=6, frameon=False)
    panel_label(ax, "a")

    finite = net[np.isfinite(net)]
    halfrange = _colour_halfrange(finite, noise, net_is_delta)
    norm = mcolors.CenteredNorm(vcenter=0.0, halfrange=halfrange)
    mesh = axm.pcolormesh(energy, delay, net, cmap=DIVERGING_CMAP, norm=norm, shading="nearest",
                          rasterized=True)
    # the zero contour marks net gain; on ΔA alone it would only trace noise. Drawn on the map
    # smoothed over the noise (3×3 running mean) and only at delay > 0, where gain can exist,
    # so that noise does not draw a comb of spurious zero crossings
    if not net_is_delta and finite.size and finite.min() < 0.0 < finite.max() and min(net.shape) >= 3:
        after = delay > 0
        smooth = _mean_3x3(np.nan_to_num(net[after]))
        # the level is 5 σ of the smoothed map below zero (σ/3 after a 3×3 mean): where A₀ + ΔA ≈ 0
        # within noise (below the gap) a zero level would trace the noise itself
        level = -5.0 * noise / 3.0 if noise is not None and np.isfinite(noise) and noise > 0 else 0.0
        if after.sum() >= 3 and smooth.min() < level:
            axm.contour(energy, delay[after], smooth, levels=[level], colors="black", linewidths=0.6,
                        linestyles="solid")
    positive = delay[delay > 0]
    if positive.size and delay.max() / max(positive.min(), 1e-12) > 100.0:
        axm.set_yscale("symlog", linthresh=max(1.0, float(positive.min())))
        tidy_symlog_axis(axm.yaxis)
    if lifetime_ns is not None:
        axm.axhline(lifetime_ns * 1e3, color=FIT_COLOR, ls="--", lw=1.0,
                    label=f"gain lifetime {value_pm(lifetime_ns, plot.gain_lifetime_stderr, 'ns')}")
        axm.legend(loc="upper center", bbox_to_anchor=(0.5, -0.2), fontsize=6, frameon=False)
    axm.set(xlabel="Energy (eV)", ylabel="Delay (ps)", title="ΔA map" if net_is_delta else "A₀ + ΔA map (contour: net gain)")
    bar = fig.colorbar(mesh, ax=axm, pad=0.02, fraction=0.05, aspect=30,
                       extend="both" if finite.size and np.abs(finite).max() > halfrange else "neither")
    bar.set_label(label)
    panel_label(axm, "b")
    return fig


def delay_text(delay_ps: float) -> str:
    """A delay as a spectroscopist writes it: ``0.5 ps``, ``150 ps``, ``20 ns`` (no ``2e+04``).

    Examples
    --------
    >>> delay_text(0.5), delay_text(1500.0), delay_text(2e4)
    ('0.5 ps', '1.5 ns', '20 ns')
    """
    d = float(delay_ps)
    return f"{d / 1e3:.3g} ns" if abs(d) >= 1e3 else f"{d:.3g} ps"


def _mean_3x3(values: np.ndarray) -> np.ndarray:
    """3×3 running mean, edges repeated (``scipy.ndimage.uniform_filter(size=3,
    mode="nearest")``): written out because importing scipy.ndimage would cost each figure
    worker ~0.3 s for nine additions."""
    padded = np.pad(values, 1, mode="edge")
    rows, cols = values.shape
    return sum(padded[i:i + rows, j:j + cols] for i in range(3) for j in range(3)) / 9.0


def _colour_halfrange(finite: np.ndarray, noise: float | None, net_is_delta: bool) -> float:
    """Half-range of the diverging colour scale.

    On a net-absorbance map A₀ + ΔA the ground state (~1 OD) would set the scale and the
    gain (~−0.07 OD) would be a faint tint: the scale is set by the most negative value
    (the deepest gain), at least 3 noise σ, and larger values saturate (the colour bar
    says so with its extended ends). On ΔA alone the 99.5th percentile of |ΔA|.
    """
    if not finite.size:
        return 1.0
    if net_is_delta or finite.min() >= 0.0:
        h = float(np.percentile(np.abs(finite), 99.5))
    else:
        h = max(-float(finite.min()), 3.0 * (noise or 0.0))
    return h if h > 0 and np.isfinite(h) else 1.0


def _ramp(n: int):
    from matplotlib import colormaps

    cmap = colormaps[TIME_CMAP]
    return [cmap(x) for x in np.linspace(0.0, 0.85, max(n, 1))]
