"""Independent cross-checks: open-aperture Z-scan (data, fit, residuals), saturation of the
single-exciton amplitude vs ⟨N⟩ with the Poisson curve, and the PL decomposition into
exciton and biexciton bands.

Reads :class:`~multiphoton.plotdata.ZScanPlot`, :class:`~multiphoton.plotdata.SaturationPlot`
and :class:`~multiphoton.plotdata.PLDecompositionPlot` objects (docs/plot-data.md).
"""
from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from ...plotdata import PLDecompositionPlot, SaturationPlot, ZScanPlot
from ..style import (
    DATA_COLOR, FIT_COLOR, FLUENCE_CMAP, MUTED_COLOR, fluence_mappable, panel_label, tidy_log_axis,
)
from ._common import NoFigureData, nonempty, panel_figure

__all__ = ["plot_zscan", "plot_saturation", "plot_pl_decomposition"]


def plot_zscan(plot: ZScanPlot) -> Figure:
    """Open-aperture transmittance vs position with the fit and its residuals."""
    z, t = nonempty(plot.z_mm), nonempty(plot.transmittance)
    if z is None or t is None:
        raise NoFigureData(f"zscan {plot.sample!r}: no scan")
    fit = nonempty(plot.fit)
    fig, axes = panel_figure(plot, "Open-aperture Z-scan", [("a", fit is not None)])
    ax = axes["a"]
    ax.plot(z, t, "o", ms=3, color=DATA_COLOR, label="data")
    ax.set(ylabel="Normalised transmittance")
    panel_label(ax, "a")
    if fit is None:
        ax.set_xlabel("z (mm)")
        return fig
    beta = f", β = {plot.beta_cm_per_GW:.3g} cm/GW" if plot.beta_cm_per_GW is not None else ""
    q0 = f": q₀ = {plot.q0:.3g}" if plot.q0 is not None else ""
    ax.plot(z, fit, "-", color=FIT_COLOR, label=f"fit{q0}{beta}")
    ax.legend(loc="lower right")
    res = axes["r"]
    res.axhline(0.0, color=MUTED_COLOR, lw=0.8)
    res.plot(z, t - fit, ".", color=DATA_COLOR)
    res.set(xlabel="z (mm)", ylabel="residual")
    res.set_xlim(ax.get_xlim())
    ax.tick_params(labelbottom=False)
    return fig


def plot_saturation(plot: SaturationPlot) -> Figure:
    """Single-exciton amplitude vs peak ⟨N⟩ with the fitted spot-averaged Poisson curve."""
    n, a = nonempty(plot.mean_n), nonempty(plot.amplitude)
    if n is None or a is None:
        raise NoFigureData(f"saturation {plot.sample!r}: no amplitudes")
    fig, axes = panel_figure(plot, "Saturation of the single-exciton amplitude", [("a", False)])
    ax = axes["a"]
    err = nonempty(plot.amplitude_stderr)
    ax.errorbar(n, a, yerr=err, fmt="o", ms=3, color=DATA_COLOR, label="data")
    curve_n, curve = nonempty(plot.curve_mean_n), nonempty(plot.curve)
    if curve_n is not None and curve is not None:
        ax.plot(curve_n, curve, "-", color=FIT_COLOR, label="A_sat · S(⟨N⟩): Poisson model averaged over the spot")
    if plot.a_sat is not None:
        ax.axhline(plot.a_sat, ls="--", color=MUTED_COLOR, lw=0.8, label="A_sat (flat-top saturation level)")
    ax.set(xscale="log", xlabel="peak ⟨N⟩", ylabel="amplitude (counts)")
    tidy_log_axis(ax.xaxis)
    ax.legend(loc="upper left")
    panel_label(ax, "a")
    return fig


def plot_pl_decomposition(plot: PLDecompositionPlot) -> Figure:
    """Spectra with their exciton and biexciton bands, coloured by fluence."""
    e, c, f = nonempty(plot.energy_eV), nonempty(plot.counts), nonempty(plot.fluence_mJ_cm2)
    if e is None or c is None or f is None:
        raise NoFigureData(f"pl_decomposition {plot.sample!r}: no spectra")
    fig, axes = panel_figure(plot, "PL decomposition (exciton / biexciton)", [("a", False), ("b", False)])
    mappable = fluence_mappable(f, cmap=FLUENCE_CMAP)
    x_band, xx_band = plot.exciton_band, plot.biexciton_band
    for i in np.argsort(f):
        col = mappable.to_rgba(f[i])
        axes["a"].plot(e, c[i], color=col, lw=0.8)
        if x_band is not None and xx_band is not None:
            axes["a"].plot(e, x_band[i] + xx_band[i], "--", color=col, lw=0.6)
            axes["b"].plot(e, xx_band[i] / max(float(np.max(x_band[i])), 1e-300), color=col, lw=0.9)
    for ax, key in ((axes["a"], "a"), (axes["b"], "b")):
        for val, name in ((plot.exciton_eV, "X"), (plot.biexciton_eV, "XX")):
            if val is not None:
                ax.axvline(val, color=MUTED_COLOR, ls=":", lw=0.8)
                ax.text(val, 0.98, name, transform=ax.get_xaxis_transform(), ha="center", va="top", fontsize=7)
        ax.set_xlabel("Energy (eV)")
        panel_label(ax, key)
    axes["a"].set_ylabel("PL (counts); dashed: fit")
    axes["b"].set_ylabel("biexciton band / exciton peak")
    return fig
