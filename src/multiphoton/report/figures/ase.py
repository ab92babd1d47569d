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
from ._common import NoFigureData, nonempty, panel_figure, spectra, value_pm

__all__ = ["plot_ase_series"]


def _line(ax, coeffs, x_lo, x_hi, *, color, label):
    slope, intercept = coeffs
    x = np.array([x_lo, x_hi])
    ax.plot(x, slope * x + intercept, "--", color=color, lw=1.0, label=label)


def systematic_misfit(x: np.ndarray, y: np.ndarray, coeffs) -> bool:
    """True when the residuals of the line ``coeffs`` through (x, y) are structured, not noise.

    Wald–Wolfowitz runs test on the signs of the residuals ordered by x (one-sided,
    p < 0.05, normal approximation): an S-shaped input–output curve under a straight line
    gives long runs of one sign. Needs at least 6 points; fewer: False.

    Examples
    --------
    >>> x = np.linspace(1, 2, 12)
    >>> bool(systematic_misfit(x, x**3, np.polyfit(x, x**3, 1)))
    True
    """
    from scipy.stats import norm

    ok = np.isfinite(x) & np.isfinite(y)
    x, y = x[ok], y[ok]
    if x.size < 6:
        return False
    resid = y[np.argsort(x)] - np.polyval(coeffs, np.sort(x))
    signs = np.sign(resid)[resid != 0]
    n_pos, n_neg = int((signs > 0).sum()), int((signs < 0).sum())
    if n_pos == 0 or n_neg == 0:
        return True
    runs = 1 + int((signs[1:] != signs[:-1]).sum())
    n = n_pos + n_neg
    mean = 2.0 * n_pos * n_neg / n + 1.0
    var = (mean - 1.0) * (mean - 2.0) / (n - 1.0)
    return bool(var > 0 and norm.cdf((runs - mean) / np.sqrt(var)) < 0.05)


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
            sel = fluence >= (split if split is not None else lo)
            curved = systematic_misfit(fluence[sel], integrated[sel], above)
            _line(ax, above, split if split is not None else lo, hi, color=FIT_COLOR,
                  label="above threshold" + (" — misfit: residuals systematic (runs test)" if curved else ""))
            if curved:  # a straight line through S-shaped data: its stderr understates the error
                ax.text(0.98, 0.04, "⚠ above-threshold line misfits\n(threshold less certain than its ±)",
                        transform=ax.transAxes, ha="right", va="bottom", fontsize=6, color="#b7791f")
        if threshold is not None:
            label = f"threshold {value_pm(threshold, threshold_err, 'mJ cm⁻²')}"
            ax.axvline(threshold, color=FIT_COLOR, lw=0.9, label=label)
            if threshold_err is not None:
                ax.axvspan(threshold - threshold_err, threshold + threshold_err,
                           color=FIT_COLOR, alpha=0.12, lw=0)
        ax.set(xlabel="Fluence (mJ cm⁻²)", ylabel="Integrated emission (counts)",
               title="Input–output")
        ax.legend(loc="upper left", fontsize=6.5, framealpha=0.85)
        panel_label(ax, "b")

    if "c" in axes:
        ax = axes["c"]
        finite = np.isfinite(fwhm)
        below_thr = fluence < threshold if threshold is not None else np.zeros(fluence.size, bool)
        # below threshold there is no narrow ASE line: the width measured there is of the broad PL
        # under noise, so it is drawn muted, and the axis is scaled to the above-threshold widths
        ax.plot(fluence[finite & ~below_thr], fwhm[finite & ~below_thr], "s", color=DATA_COLOR,
                label="above threshold")
        if (finite & below_thr).any():
            ax.plot(fluence[finite & below_thr], fwhm[finite & below_thr], "s", mfc="none",
                    color=MUTED_COLOR, label="below threshold (no ASE line)")
        missing = int((~finite).sum())
        if missing:
            ax.text(0.02, 0.02, f"{missing} spectra: no width measurable", transform=ax.transAxes,
                    fontsize=6, color=MUTED_COLOR, va="bottom")
        good = fwhm[finite & ~below_thr]
        if good.size:
            span = float(good.max() - good.min())
            pad = max(0.3 * span, 0.1 * float(good.max()), 0.5)
            ax.set_ylim(max(0.0, float(good.min()) - pad), float(good.max()) + pad)
        if threshold is not None:
            ax.axvline(threshold, color=FIT_COLOR, lw=0.9)
        if (finite & below_thr).any():
            ax.legend(loc="upper right", fontsize=6, framealpha=0.85)
        ax.set(xlabel="Fluence (mJ cm⁻²)", ylabel="FWHM (meV)", title="Linewidth")
        panel_label(ax, "c")
    return fig
