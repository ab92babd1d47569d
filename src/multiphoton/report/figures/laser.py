"""Lasing (paper Fig. 4): laser spectra vs fluence with the modes marked, the
input–output curve with the above-threshold line and the threshold (residuals below),
and, over a time series, the spectra map, the mode energies over time and the
intensity retention.

Reads :class:`~multiphoton.plotdata.LaserSeriesPlot` and
:class:`~multiphoton.plotdata.TimeSeriesPlot` objects (docs/plot-data.md).
"""
from __future__ import annotations

import numpy as np
from matplotlib.colors import LogNorm
from matplotlib.figure import Figure

from ...plotdata import LaserSeriesPlot, TimeSeriesPlot
from ..style import (
    DATA_COLOR, FIT_COLOR, FLUENCE_CMAP, MUTED_COLOR, TIME_CMAP, add_colorbar,
    fluence_mappable, panel_label, tidy_log_axis,
)
from ._common import NoFigureData, nonempty, panel_figure, spectra, value_pm

__all__ = ["plot_laser_series", "plot_time_series"]


def plot_laser_series(plot: LaserSeriesPlot) -> Figure:
    """Laser spectra and the input–output curve with its threshold.

    Parameters
    ----------
    plot : LaserSeriesPlot
        ``fluence_mJ_cm2`` must not be empty; spectra need
        ``energy_eV`` and ``counts`` (``mode_eV`` and ``linewidth_meV`` annotate them);
        the input–output panel needs ``line_intensity`` (``above``, ``fit`` and
        ``threshold_mJ_cm2`` add the line, its residuals and the threshold).
    """
    fluence = nonempty(plot.fluence_mJ_cm2)
    if fluence is None:
        raise NoFigureData(f"laser_series {plot.sample!r}: no fluence_mJ_cm2")
    n = fluence.size
    energy, counts = spectra(plot)
    line, above = nonempty(plot.line_intensity), nonempty(plot.above)
    fit = plot.fit if plot.fit is not None and plot.fit.size == 2 else None
    threshold, linewidth = plot.threshold_mJ_cm2, plot.linewidth_meV
    modes = nonempty(plot.mode_eV)
    if counts is None and line is None:
        raise NoFigureData(f"laser_series {plot.sample!r}: no spectra and no line intensity")

    panels = ([("a", False)] if counts is not None else []) + ([("b", fit is not None)] if line is not None else [])
    fig, axes = panel_figure(plot, "Lasing", panels)

    if counts is not None:
        ax = axes["a"]
        mappable = fluence_mappable(fluence, cmap=FLUENCE_CMAP)
        for i in np.argsort(fluence):
            ax.plot(energy, counts[i], color=mappable.to_rgba(fluence[i]), lw=0.9)
        if modes is not None:
            label = "modes" + (f" (linewidth {linewidth:.3g} meV)" if linewidth is not None else "")
            for k, m in enumerate(modes):
                ax.axvline(m, color=FIT_COLOR, ls=":", lw=0.8, label=label if k == 0 else None)
            ax.legend(loc="upper right", fontsize=6.5)
            _zoom_on_line(ax, energy, counts, fluence, mappable, modes, linewidth)
        ax.set(xlabel="Energy (eV)", ylabel="Emission (counts)", title="Spectra")
        bar = fig.colorbar(mappable, ax=ax, location="top", fraction=0.05, aspect=30, pad=0.01)
        bar.set_label("Fluence (mJ cm⁻²)", fontsize=7)  # on top: beside panel b it met b's y label
        bar.ax.tick_params(labelsize=6.5)
        if isinstance(mappable.norm, LogNorm):
            tidy_log_axis(bar.ax.xaxis)
        panel_label(ax, "a")

    if line is not None:
        ax = axes["b"]
        is_above = above if above is not None else np.zeros(n, dtype=bool)
        ax.plot(fluence[~is_above], line[~is_above], "o", mfc="none", color=MUTED_COLOR,
                label="below threshold" if above is not None else "data")
        if is_above.any():
            ax.plot(fluence[is_above], line[is_above], "o", color=DATA_COLOR, label="above threshold")
        if fit is not None:
            slope, intercept = fit
            x_lo = threshold if threshold is not None else float(np.nanmin(fluence[is_above] if is_above.any() else fluence))
            x = np.array([x_lo, float(np.nanmax(fluence))])
            ax.plot(x, slope * x + intercept, "--", color=FIT_COLOR, label="linear fit")
        if threshold is not None:
            ax.axvline(threshold, color=FIT_COLOR, lw=0.9,
                       label=f"threshold {value_pm(threshold, plot.threshold_stderr, 'mJ cm⁻²')}")
        # the line intensity is the spectrum integrated over the line in energy: counts × eV
        ax.set(ylabel="Line intensity\n(counts·eV)", title="Input–output")  # two lines: fits the panel
        ax.legend(loc="upper left")
        panel_label(ax, "b")
        if fit is not None:
            r = axes["r"]
            sel = is_above if is_above.any() else np.ones(n, dtype=bool)
            r.axhline(0.0, color=MUTED_COLOR, lw=0.8)
            r.plot(fluence[sel], line[sel] - (fit[0] * fluence[sel] + fit[1]), ".", color=DATA_COLOR)
            r.set_xlim(ax.get_xlim())
            # labelled inside: a y label on this short panel ran into panel b's long one
            r.set(xlabel="Fluence (mJ cm⁻²)")
            r.text(0.01, 0.95, "data − fit", transform=r.transAxes, fontsize=6.5, va="top", ha="left")
            ax.tick_params(labelbottom=False)
        else:
            ax.set_xlabel("Fluence (mJ cm⁻²)")
    return fig


def _zoom_on_line(ax, energy, counts, fluence, mappable, modes, linewidth) -> None:
    """Inset magnifying the strongest lasing mode when it is far narrower than the axis.

    A sub-meV line drawn on a few-hundred-meV axis is one pixel wide; the inset spans
    ±8 linewidths (at least ±2 meV) around the mode of the highest-fluence spectrum.
    """
    width_eV = (linewidth if linewidth is not None and np.isfinite(linewidth) else 1.0) * 1e-3
    span = float(np.nanmax(energy) - np.nanmin(energy))
    if span < 20 * width_eV:
        return
    top = int(np.argmax(fluence))
    centre = float(modes[np.argmin(np.abs(modes - energy[np.nanargmax(counts[top])]))])
    half = max(8 * width_eV, 2e-3)
    inset = ax.inset_axes([0.06, 0.38, 0.34, 0.45])  # upper left: the legend is upper right
    sel = (energy >= centre - half) & (energy <= centre + half)
    for i in np.argsort(fluence)[-3:]:
        inset.plot(energy[sel], counts[i][sel], color=mappable.to_rgba(fluence[i]), lw=0.9)
    inset.set_xlim(centre - half, centre + half)
    inset.set_title(f"zoom ±{half * 1e3:.2g} meV", fontsize=6)
    inset.tick_params(labelsize=5.5)
    inset.set_yticks([])
    inset.xaxis.set_major_locator(__import__("matplotlib").ticker.MaxNLocator(3))


def plot_time_series(plot: TimeSeriesPlot) -> Figure:
    """Emission over time: spectra map, tracked mode energies, integrated intensity.

    Parameters
    ----------
    plot : TimeSeriesPlot
        ``time_s`` must not be empty. Drawn when not empty: ``energy_eV`` and
        ``counts`` (map), ``mode_time_s``, ``mode_eV``, ``mode_track``,
        ``drift_meV_per_min`` (mode panel), ``integrated`` and ``retention``.
    """
    time_s = nonempty(plot.time_s)
    if time_s is None:
        raise NoFigureData(f"time_series {plot.sample!r}: no time_s")
    energy, counts = spectra(plot)
    mode_t = nonempty(plot.mode_time_s)
    mode_e = nonempty(plot.mode_eV) if mode_t is not None else None
    track = nonempty(plot.mode_track) if mode_e is not None else None
    integrated = nonempty(plot.integrated)
    drift, retention = plot.drift_meV_per_min, plot.retention

    names = [k for k, ok in (("a", counts is not None), ("b", mode_e is not None),
                             ("c", integrated is not None)) if ok]
    if not names:
        raise NoFigureData(f"time_series {plot.sample!r}: no spectra, modes or intensity")
    fig, axes = panel_figure(plot, "Stability", [(k, False) for k in names])
    minutes = time_s / 60.0

    if "a" in axes:
        ax = axes["a"]
        mesh = ax.pcolormesh(energy, minutes, counts, cmap=TIME_CMAP, shading="nearest",
                             rasterized=True)
        ax.set(xlabel="Energy (eV)", ylabel="Time (min)", title="Spectra over time")
        add_colorbar(fig, mesh, ax, "Emission (counts)")
        panel_label(ax, "a")

    if "b" in axes:
        ax = axes["b"]
        labels = np.zeros(mode_e.size, dtype=int) if track is None else track.astype(int)
        for k, lab in enumerate(np.unique(labels)):
            sel = labels == lab
            ax.plot(mode_t[sel] / 60.0, mode_e[sel], "o", ms=3, color=f"C{k % 10}",
                    label=f"mode {lab}" if track is not None else None)
        if drift is not None:
            ax.plot([], [], " ", label=f"drift {drift:.3g} meV/min")
        if track is not None or drift is not None:
            ax.legend(loc="best")
        ax.set(xlabel="Time (min)", ylabel="Mode energy (eV)", title="Mode energies")
        ax.ticklabel_format(axis="y", useOffset=False)
        panel_label(ax, "b")

    if "c" in axes:
        ax = axes["c"]
        ax.plot(minutes, integrated, "-", color=DATA_COLOR, lw=1.0)
        title = "Integrated emission"
        if retention is not None:
            title += f" (retention {retention:.3g})"
        ax.set(xlabel="Time (min)", ylabel="Integrated emission (counts)", title=title)
        panel_label(ax, "c")
    return fig
