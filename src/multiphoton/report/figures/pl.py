"""Photoluminescence figures (paper Fig. 2a–c): spectra vs fluence, normalised spectra,
log–log integrated PL vs fluence with the fitted power law (per sample and all samples).

Reads :class:`~multiphoton.plotdata.PLFluenceSeriesPlot` and
:class:`~multiphoton.plotdata.PLSpectrumPlot` objects (docs/plot-data.md).
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from matplotlib.figure import Figure

from ...plotdata import PlotData, PLFluenceSeriesPlot, PLSpectrumPlot
from ..style import (
    DATA_COLOR, FIT_COLOR, FLUENCE_CMAP, MUTED_COLOR, PANEL_IN, add_colorbar,
    fluence_mappable, panel_label, tidy_log_axis,
)
from ..tables import superscript
from ._common import PER_EV_LABEL, value_pm, NoFigureData, nonempty, panel_figure, require, spectra

__all__ = ["plot_pl_fluence_series", "plot_pl_spectrum", "plot_pl_order_summary"]

FLUENCE_LABEL = "Fluence (mJ cm⁻²)"


def _normalised(counts: np.ndarray) -> np.ndarray:
    peak = np.nanmax(np.abs(counts), axis=-1, keepdims=True)
    return counts / np.where(peak > 0, peak, 1.0)


def _loglog_points(fluence, integrated):
    with np.errstate(divide="ignore", invalid="ignore"):
        ok = np.isfinite(fluence) & np.isfinite(integrated) & (fluence > 0) & (integrated > 0)
    return ok


def _fit_line(ax, fluence, slope, intercept, *, color, label, mask=None):
    f = fluence[mask] if mask is not None and mask.any() else fluence
    f = f[f > 0]
    if f.size == 0:
        return
    x = np.geomspace(f.min(), f.max(), 50)
    ax.plot(x, 10.0 ** (intercept + slope * np.log10(x)), "--", color=color, lw=1.0, label=label)


def _slope_label(slope, stderr):
    if slope is None:
        return None
    return f"slope {value_pm(slope, stderr)}"


def plot_pl_fluence_series(plot: PLFluenceSeriesPlot) -> Figure:
    """Fig. 2a–c for one sample: spectra coloured by fluence, normalised spectra, and
    log–log integrated PL with the power-law fit (used points filled, saturated open)
    and its residuals in log10 units.

    Parameters
    ----------
    plot : PLFluenceSeriesPlot
        ``fluence_mJ_cm2`` must not be empty; the spectra panels need ``energy_eV`` and
        ``counts``, the log–log panel ``integrated``; ``used``, ``slope``,
        ``slope_stderr``, ``intercept`` are optional.

    Returns
    -------
    Figure
    """
    fluence = nonempty(plot.fluence_mJ_cm2)
    require(plot, fluence_mJ_cm2=fluence)
    n = fluence.size
    energy, counts = spectra(plot)
    integrated = nonempty(plot.integrated)
    used = nonempty(plot.used)
    slope, slope_err, intercept = plot.slope, plot.slope_stderr, plot.intercept
    has_spectra = counts is not None and energy is not None
    has_fit = slope is not None and intercept is not None
    if not has_spectra and integrated is None:
        raise NoFigureData(f"pl_fluence_series {plot.sample!r}: no spectra and no integrated PL")

    panels = ([("a", False), ("b", False)] if has_spectra else []) + (
        [("c", has_fit)] if integrated is not None else [])
    fig, axes = panel_figure(plot, "PL vs fluence", panels, height=1.1)

    mappable = fluence_mappable(fluence, cmap=FLUENCE_CMAP)
    if has_spectra:
        order = np.argsort(fluence)
        # the power of ten goes in the label (a "1e7" offset text sat on the panel letter)
        peak = float(np.nanmax(np.abs(counts))) if np.isfinite(counts).any() else 0.0
        k = int(np.floor(np.log10(peak))) if peak > 0 else 0
        k = k if abs(k) >= 4 else 0
        for i in order:
            colour = mappable.to_rgba(fluence[i])
            axes["a"].plot(energy, counts[i] / 10.0**k, color=colour, lw=1.0)
            axes["b"].plot(energy, _normalised(counts[i]), color=colour, lw=1.0)
        axes["a"].set(xlabel="Energy (eV)", title="Spectra",
                      ylabel=PER_EV_LABEL.replace("(", f"(×10{superscript(k)} ") if k else PER_EV_LABEL)
        axes["b"].set(xlabel="Energy (eV)", ylabel="Normalised PL", title="Normalised")
        panel_label(axes["a"], "a")
        panel_label(axes["b"], "b")
        add_colorbar(fig, mappable, [axes["a"], axes["b"]], FLUENCE_LABEL)

    if integrated is not None:
        ax = axes["c"]
        ok = _loglog_points(fluence, integrated)
        in_fit = used if used is not None else np.ones(n, dtype=bool)
        ax.plot(fluence[ok & in_fit], integrated[ok & in_fit], "o", color=DATA_COLOR,
                label="used in fit" if used is not None else "data")
        if (ok & ~in_fit).any():
            ax.plot(fluence[ok & ~in_fit], integrated[ok & ~in_fit], "o", mfc="none",
                    color=MUTED_COLOR, label="saturated (excluded)")
        if has_fit:
            _fit_line(ax, fluence, slope, intercept, color=FIT_COLOR,
                      label=_slope_label(slope, slope_err), mask=used)
        ax.set_xscale("log")
        ax.set_yscale("log")
        tidy_log_axis(ax.xaxis)
        tidy_log_axis(ax.yaxis)
        ax.set(title="Integrated PL", ylabel="Integrated PL (counts)")
        ax.legend(loc="upper left")
        panel_label(ax, "c")
        if has_fit:
            r = axes["r"]
            resid = np.log10(integrated[ok]) - (intercept + slope * np.log10(fluence[ok]))
            r.axhline(0.0, color=MUTED_COLOR, lw=0.8)
            r.plot(fluence[ok], resid, ".", color=DATA_COLOR)
            r.set_xscale("log")
            r.set_xlim(ax.get_xlim())
            tidy_log_axis(r.xaxis)
            ax.tick_params(labelbottom=False)
            r.set(xlabel=FLUENCE_LABEL, ylabel="resid. (log₁₀)")
        else:
            ax.set_xlabel(FLUENCE_LABEL)
    return fig


def plot_pl_spectrum(plot: PLSpectrumPlot) -> Figure:
    """One PL spectrum with its peak energy and FWHM marked.

    Parameters
    ----------
    plot : PLSpectrumPlot
        ``energy_eV`` and ``counts`` must not be empty; ``peak_eV``, ``fwhm_meV`` are
        optional.
    """
    energy, counts = nonempty(plot.energy_eV), nonempty(plot.counts)
    require(plot, energy_eV=energy, counts=counts)
    peak, fwhm = plot.peak_eV, plot.fwhm_meV
    fig = Figure(figsize=PANEL_IN, layout="constrained")
    ax = fig.add_subplot()
    ax.plot(energy, counts, color=DATA_COLOR)
    if peak is not None:
        label = f"peak {peak:.3f} eV" + (f", FWHM {fwhm:.0f} meV" if fwhm is not None else "")
        ax.axvline(peak, color=FIT_COLOR, ls="--", lw=0.9, label=label)
        if fwhm is not None:
            half = fwhm / 2000.0
            ax.axvspan(peak - half, peak + half, color=FIT_COLOR, alpha=0.12, lw=0)
        ax.legend(loc="upper right")
    ax.set(xlabel="Energy (eV)", ylabel=PER_EV_LABEL,
           title=f"PL spectrum — {plot.sample}")
    return fig


def plot_pl_order_summary(plots: Sequence[PlotData]) -> Figure | None:
    """Fig. 2b: integrated PL vs fluence of every sample in one log–log panel, with the
    fitted slopes. Returns None when no plot has integrated PL."""
    series = []
    for plot in plots:
        if not isinstance(plot, PLFluenceSeriesPlot):
            continue
        fluence, integrated = nonempty(plot.fluence_mJ_cm2), nonempty(plot.integrated)
        if fluence is None or integrated is None:
            continue
        series.append((plot, fluence, integrated))
    if not series:
        return None
    fig = Figure(figsize=(PANEL_IN[0] * 1.3, PANEL_IN[1] * 1.2), layout="constrained")
    ax = fig.add_subplot()
    palette = [f"C{i}" for i in range(10)]
    for k, (plot, fluence, integrated) in enumerate(series):
        colour = palette[k % len(palette)]
        n = fluence.size
        used = nonempty(plot.used)
        in_fit = used if used is not None else np.ones(n, dtype=bool)
        ok = _loglog_points(fluence, integrated)
        name = plot.sample
        slope, intercept = plot.slope, plot.intercept
        ax.plot(fluence[ok & in_fit], integrated[ok & in_fit], "o", color=colour, label=name)
        ax.plot(fluence[ok & ~in_fit], integrated[ok & ~in_fit], "o", mfc="none", color=colour)
        if slope is not None and intercept is not None:
            _fit_line(ax, fluence, slope, intercept, color=colour,
                      label=_slope_label(slope, plot.slope_stderr), mask=used)
    ax.set_xscale("log")
    ax.set_yscale("log")
    tidy_log_axis(ax.xaxis)
    tidy_log_axis(ax.yaxis)
    ax.set(xlabel=FLUENCE_LABEL, ylabel="Integrated PL (counts)",
           title="Integrated PL vs fluence, all samples (open: saturated)")
    ax.legend(loc="upper left", ncol=1 if len(series) < 4 else 2)
    return fig
