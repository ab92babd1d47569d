"""Amplified spontaneous emission (paper Fig. 3a, b): emission spectra vs fluence,
integrated emission vs fluence with the sub- and above-threshold lines and the
threshold, and the emission linewidth vs fluence.

Reads :class:`~multiphoton.plotdata.ASESeriesPlot` objects (docs/plot-data.md).
"""
from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from ...plotdata import ASESeriesPlot
from ..style import (
    DATA_COLOR, FIT_COLOR, FLUENCE_CMAP, MUTED_COLOR, add_colorbar,
    fluence_mappable, panel_label,
)
from ._common import NoFigureData, nonempty, panel_figure, spectra

__all__ = ["plot_ase_series"]


def _line(ax, coeffs, x_lo, x_hi, *, color, label):
    slope, intercept = coeffs
    x = np.array([x_lo, x_hi])
    ax.plot(x, slope * x + intercept, "--", color=color, lw=1.0, label=label)


def plot_ase_series(plot: ASESeriesPlot) -> Figure:
    """ASE spectra and input–output curve with the threshold.

    Parameters
    ----------
    plot : ASESeriesPlot
        ``fluence_mJ_cm2`` must not be empty; spectra need
        ``energy_eV`` and ``counts``; the input–output panel ``integrated`` (with
        optional ``below_fit``, ``above_fit``, ``threshold_mJ_cm2``,
        ``threshold_stderr``); the linewidth panel ``fwhm_meV``. ``ase_peak_eV`` and
        ``pl_peak_eV`` are marked on the spectra.
    """
    fluence = nonempty(plot.fluence_mJ_cm2)
    if fluence is None:
        raise NoFigureData(f"ase_series {plot.sample!r}: no fluence_mJ_cm2")
    energy, counts = spectra(plot)
    integrated, fwhm = nonempty(plot.integrated), nonempty(plot.fwhm_meV)
    below, above = plot.below_fit, plot.above_fit
    threshold, threshold_err = plot.threshold_mJ_cm2, plot.threshold_stderr
    ase_peak, pl_peak = plot.ase_peak_eV, plot.pl_peak_eV

    names = [k for k, present in (("a", counts is not None), ("b", integrated is not None),
                                  ("c", fwhm is not None)) if present]
    if not names:
        raise NoFigureData(f"ase_series {plot.sample!r}: no spectra, integrated or FWHM data")
    fig, axes = panel_figure(plot, "ASE", [(k, False) for k in names])
    mappable = fluence_mappable(fluence, cmap=FLUENCE_CMAP)

    if "a" in axes:
        ax = axes["a"]
        for i in np.argsort(fluence):
            ax.plot(energy, counts[i], color=mappable.to_rgba(fluence[i]), lw=0.9)
        if pl_peak is not None:
            ax.axvline(pl_peak, color=MUTED_COLOR, ls=":", lw=1.0, label=f"PL peak {pl_peak:.3f} eV")
        if ase_peak is not None:
            ax.axvline(ase_peak, color=FIT_COLOR, ls="--", lw=1.0, label=f"ASE peak {ase_peak:.3f} eV")
        if pl_peak is not None or ase_peak is not None:
            ax.legend(loc="upper left")
        ax.set(xlabel="Energy (eV)", ylabel="Emission (counts)", title="Spectra")
        add_colorbar(fig, mappable, ax, "Fluence (mJ cm⁻²)")
        panel_label(ax, "a")

    if "b" in axes:
        ax = axes["b"]
        ax.plot(fluence, integrated, "o", color=DATA_COLOR, label="data")
        lo, hi = float(np.nanmin(fluence)), float(np.nanmax(fluence))
        split = threshold if threshold is not None else None
        if below is not None and below.size == 2:
            _line(ax, below, lo, split if split is not None else hi, color=MUTED_COLOR,
                  label="below threshold")
        if above is not None and above.size == 2:
            _line(ax, above, split if split is not None else lo, hi, color=FIT_COLOR,
                  label="above threshold")
        if threshold is not None:
            label = f"threshold {threshold:.3g}" + (
                f" ± {threshold_err:.2g}" if threshold_err is not None else "") + " mJ cm⁻²"
            ax.axvline(threshold, color=FIT_COLOR, lw=0.9, label=label)
            if threshold_err is not None:
                ax.axvspan(threshold - threshold_err, threshold + threshold_err,
                           color=FIT_COLOR, alpha=0.12, lw=0)
        ax.set(xlabel="Fluence (mJ cm⁻²)", ylabel="Integrated emission (counts)",
               title="Input–output")
        ax.legend(loc="upper left")
        panel_label(ax, "b")

    if "c" in axes:
        ax = axes["c"]
        ax.plot(fluence, fwhm, "s", color=DATA_COLOR)
        if threshold is not None:
            ax.axvline(threshold, color=FIT_COLOR, lw=0.9)
        ax.set(xlabel="Fluence (mJ cm⁻²)", ylabel="FWHM (meV)", title="Linewidth")
        panel_label(ax, "c")
    return fig
