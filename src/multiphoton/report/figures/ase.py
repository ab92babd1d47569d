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


def systematic_misfit(x: np.ndarray, y: np.ndarray, coeffs=None, *, p_max: float = 0.01) -> bool:
    """True when a straight line through (x, y) misses a curvature the data show.

    F-test of the line against a cubic (two more parameters, which an S-shaped
    input–output curve needs): F = ((RSS₁ − RSS₃)/2) / (RSS₃/(n − 4)), flagged when its
    p-value is below ``p_max`` (so a line through noise alone is flagged 1 % of the time).
    Needs at least 6 finite points; fewer: False. ``coeffs`` is unused (kept for callers
    that pass the line drawn).

    Examples
    --------
    >>> x = np.linspace(1, 2, 12)
    >>> bool(systematic_misfit(x, 1.0 / (1.0 + np.exp(-8 * (x - 1.5)))))
    True
    >>> rng = np.random.default_rng(0)
    >>> bool(systematic_misfit(x, 3 * x + rng.normal(0, 0.1, x.size)))
    False
    """
    # scipy.special's F survival function, not scipy.stats.f: the same number, and importing
    # scipy.stats would cost each figure worker ~1 s
    from scipy.special import fdtrc

    ok = np.isfinite(x) & np.isfinite(y)
    x, y = np.asarray(x, float)[ok], np.asarray(y, float)[ok]
    n = x.size
    if n < 6 or np.ptp(x) == 0:
        return False
    z = (x - x.mean()) / np.ptp(x)
    rss1 = float(np.sum((y - np.polyval(np.polyfit(z, y, 1), z)) ** 2))
    rss3 = float(np.sum((y - np.polyval(np.polyfit(z, y, 3), z)) ** 2))
    if rss3 <= 0:
        return rss1 > 0
    stat = ((rss1 - rss3) / 2.0) / (rss3 / (n - 4))
    return bool(fdtrc(2, n - 4, stat) < p_max)


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
        curved = False
        if above is not None and above.size == 2:
            sel = fluence >= (split if split is not None else lo)
            curved = systematic_misfit(fluence[sel], integrated[sel], above)
            _line(ax, above, split if split is not None else lo, hi, color=FIT_COLOR,
                  label="above threshold" + (" (misfit: data curved)" if curved else ""))
        if threshold is not None:
            label = f"threshold {value_pm(threshold, threshold_err, 'mJ cm⁻²')}"
            ax.axvline(threshold, color=FIT_COLOR, lw=0.9, label=label)
            if threshold_err is not None:
                ax.axvspan(threshold - threshold_err, threshold + threshold_err,
                           color=FIT_COLOR, alpha=0.12, lw=0)
        # a straight line through S-shaped data: the threshold's ± understates its error
        ax.set(xlabel="Fluence (mJ cm⁻²)", ylabel="Integrated emission (counts)",
               title="Input–output" + (" — ⚠ line misfits" if curved else ""))
        if curved:
            ax.title.set_color("#b7791f")
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
        good = fwhm[finite & ~below_thr]
        off = 0
        if good.size:
            span = float(good.max() - good.min())
            pad = max(0.3 * span, 0.1 * float(good.max()), 0.5)
            y_lo, y_hi = max(0.0, float(good.min()) - pad), float(good.max()) + pad
            ax.set_ylim(y_lo, y_hi)
            noisy = fwhm[finite & below_thr]
            off = int(((noisy < y_lo) | (noisy > y_hi)).sum())
        if threshold is not None:
            ax.axvline(threshold, color=FIT_COLOR, lw=0.9)
        for note in (f"{missing} spectra: no width measurable" if missing else "",
                     f"{off} below-threshold widths off scale" if off else ""):
            if note:
                ax.plot([], [], " ", label=note)
        if (finite & below_thr).any() or missing:  # below the axes: the points fill it
            ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.22), ncol=2, fontsize=6, frameon=False)
        ax.set(xlabel="Fluence (mJ cm⁻²)", ylabel="FWHM (meV)", title="Linewidth")
        panel_label(ax, "c")
    return fig
