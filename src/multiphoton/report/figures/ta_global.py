"""Global lifetime analysis of a TA map: SVD, DAS/EAS, kinetic traces with fits, residual map,
and the fitted chirp over the coherent artefact.

Reads :class:`~multiphoton.plotdata.TAGlobalPlot` objects (docs/plot-data.md).
"""
from __future__ import annotations

import numpy as np
from matplotlib import colors as mcolors
from matplotlib.figure import Figure

from ...plotdata import TAGlobalPlot
from ..style import (
    DIVERGING_CMAP, FIT_COLOR, MUTED_COLOR, PANEL_IN, add_colorbar, panel_label, tidy_log_axis,
    tidy_symlog_axis,
)
from ._common import NoFigureData, figure_title

__all__ = ["plot_ta_global"]


def _symlog(ax, delay):
    """A delay axis linear around zero and logarithmic after (a TA map spans 3 decades)."""
    if np.nanmax(delay) > 20:
        ax.set_xscale("symlog", linthresh=1.0, linscale=0.5)
        tidy_symlog_axis(ax.xaxis)


def _map(fig, ax, delay, energy, values, label):
    lim = float(np.nanmax(np.abs(values))) or 1.0
    mesh = ax.pcolormesh(delay, energy, values.T, shading="nearest", cmap=DIVERGING_CMAP,
                         norm=mcolors.TwoSlopeNorm(0.0, -lim, lim), rasterized=True)
    add_colorbar(fig, mesh, ax, label)
    _symlog(ax, delay)
    ax.set_xlabel("Delay (ps)")
    ax.set_ylabel("Probe energy (eV)")


def plot_ta_global(plot: TAGlobalPlot) -> Figure:
    """Six panels: (a) singular values, (b) DAS ± stderr, (c) EAS, (d) kinetic traces with the
    global fit at ``trace_energies_eV``, (e) residual map, (f) ΔA near time zero with the
    fitted chirp t₀(E).

    Parameters
    ----------
    plot : TAGlobalPlot
    """
    delay, energy = plot.delay_ps, plot.energy_eV
    if delay.size < 2 or energy.size < 2:
        raise NoFigureData(f"ta_global {plot.sample!r}: needs a map of at least 2 × 2")
    fig = Figure(figsize=(3 * PANEL_IN[0], 2 * PANEL_IN[1]), layout="constrained")
    axes = fig.subplots(2, 3)
    ax = axes[0, 0]
    s = plot.singular_values
    ax.semilogy(np.arange(1, min(s.size, 15) + 1), s[:15], "o", color="k")
    tidy_log_axis(ax.yaxis)
    if plot.svd_threshold_od is not None:
        ax.axhline(plot.svd_threshold_od, color=MUTED_COLOR, ls="--", lw=1, label="noise threshold")
        ax.legend(fontsize="small")
    ax.set_xlabel("Index")
    ax.set_ylabel("Singular value (OD)")
    ax.set_title(f"SVD (rank {plot.svd_rank})", fontsize="small")
    for ax, spectra, errs, title in ((axes[0, 1], plot.das, plot.das_stderr, "DAS"),
                                     (axes[0, 2], plot.eas, plot.eas_stderr, "EAS (sequential)")):
        for i, (spec, err, tau) in enumerate(zip(spectra, errs, plot.tau_ps)):
            line, = ax.plot(energy, spec, lw=1.2, label=f"τ{i + 1} = {tau:.3g} ps")
            ax.fill_between(energy, spec - err, spec + err, color=line.get_color(), alpha=0.25, lw=0)
        if plot.offset is not None:
            ax.plot(energy, plot.offset, color=MUTED_COLOR, lw=1, ls="--", label="offset")
        ax.axhline(0, color="k", lw=0.5)
        ax.set_xlabel("Probe energy (eV)")
        ax.set_ylabel("Amplitude (OD)")
        ax.set_title(title, fontsize="small")
        ax.legend(fontsize="x-small")
    ax = axes[1, 0]
    for e in plot.trace_energies_eV:
        j = int(np.argmin(np.abs(energy - e)))
        pts, = ax.plot(delay, plot.dA[:, j], ".", ms=2, label=f"{energy[j]:.3f} eV")
        ax.plot(delay, plot.fit[:, j], color=pts.get_color(), lw=1)
    _symlog(ax, delay)
    ax.set_xlabel("Delay (ps)")
    ax.set_ylabel("ΔA (OD)")
    ax.set_title("Traces and global fit", fontsize="small")
    ax.legend(fontsize="x-small")
    _map(fig, axes[1, 1], delay, energy, plot.residual, "Residual (OD)")
    axes[1, 1].set_title("Residual map", fontsize="small")
    ax = axes[1, 2]
    early = (delay >= np.nanmin(plot.t0_ps) - 1.0) & (delay <= np.nanmax(plot.t0_ps) + 1.0)
    if np.count_nonzero(early) >= 2:
        lim = float(np.nanmax(np.abs(plot.dA[early]))) or 1.0
        mesh = ax.pcolormesh(delay[early], energy, plot.dA[early].T, shading="nearest", cmap=DIVERGING_CMAP,
                             norm=mcolors.TwoSlopeNorm(0.0, -lim, lim), rasterized=True)
        add_colorbar(fig, mesh, ax, "ΔA (OD)")
    ax.plot(plot.t0_ps, energy, color=FIT_COLOR, lw=1.5, label="t₀(E)")
    ax.set_xlabel("Delay (ps)")
    ax.set_ylabel("Probe energy (eV)")
    title = "Chirp over the coherent artefact"
    if plot.irf_fwhm_ps is not None:
        title += f" (IRF {1e3 * plot.irf_fwhm_ps:.0f} fs)"
    ax.set_title(title, fontsize="small")
    for ax, letter in zip(axes.ravel(), "abcdef"):
        panel_label(ax, letter)
    fig.suptitle(figure_title(plot, "TA global analysis"))
    return fig
