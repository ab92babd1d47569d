"""Time-resolved PL (paper Fig. 2e, f; panels a, b here): traces normalised at long delay (log y),
coloured by fluence, and the high-minus-low-fluence residual with its exponential
fit (the biexciton lifetime), with fit residuals underneath.

Reads :class:`~multiphoton.plotdata.TRPLPlot` objects (docs/plot-data.md).
"""
from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from ...plotdata import TRPLPlot
from ..style import (
    DATA_COLOR, FIT_COLOR, MUTED_COLOR, TIME_CMAP, add_colorbar,
    fluence_mappable, panel_label, tidy_log_axis,
)
from ._common import NoFigureData, nonempty, panel_figure, value_pm

__all__ = ["plot_trpl"]


def _positive(y: np.ndarray) -> np.ndarray:
    return np.where(y > 0, y, np.nan)


def _early_inset(ax, time, traces, fluence, mappable, low, tau_xx) -> None:
    """Inset on the first few biexciton lifetimes, where the traces part with fluence.

    Normalised at long delay, the traces differ only in their early, fast (biexciton)
    part: on the full time axis it is a few pixels wide, so the inset spans
    −0.5 ns … 4 τ_XX (20 ns without τ_XX), linear in y.
    """
    t_hi = 4.0 * tau_xx if tau_xx is not None and np.isfinite(tau_xx) and tau_xx > 0 else 20.0
    sel = (time >= -0.5) & (time <= t_hi)
    if sel.sum() < 5 or t_hi > 0.5 * float(np.nanmax(time)):
        return
    inset = ax.inset_axes([0.17, 0.06, 0.36, 0.36])  # lower left: below the decaying traces
    for i in np.argsort(fluence):
        style = "--" if low is not None and low[i] else "-"
        inset.plot(time[sel], traces[i][sel], style, color=mappable.to_rgba(fluence[i]), lw=0.8)
    inset.set_title(f"first {t_hi:.3g} ns (linear)", fontsize=6)
    inset.tick_params(labelsize=5.5)


def plot_trpl(plot: TRPLPlot) -> Figure:
    """Normalised TRPL traces and the differenced residual with its fit.

    Parameters
    ----------
    plot : TRPLPlot
        Panel (e) needs ``time_ns``, ``fluence_mJ_cm2`` and ``normalized`` (not
        empty); ``window_ns`` (shaded) and ``low_fluence`` (dashed traces) are used
        when given. Panel (f) needs ``residual_time_ns`` and ``residual``;
        ``residual_fit`` adds the fit and a residual panel; ``tau_xx_ns`` and
        ``tau_x_ns`` are written in the legend.
    """
    time, fluence = nonempty(plot.time_ns), nonempty(plot.fluence_mJ_cm2)
    traces = nonempty(plot.normalized) if time is not None and fluence is not None else None
    rtime = nonempty(plot.residual_time_ns)
    residual = nonempty(plot.residual) if rtime is not None else None
    rfit = nonempty(plot.residual_fit) if residual is not None else None
    tau_xx, tau_x = plot.tau_xx_ns, plot.tau_x_ns
    if traces is None and residual is None:
        raise NoFigureData(f"trpl {plot.sample!r}: no traces and no residual")

    # panels lettered a, b within this figure (the paper's Fig. 2e, f)
    panels = ([("a", False)] if traces is not None else []) + ([("b", rfit is not None)] if residual is not None else [])
    fig, axes = panel_figure(plot, "Time-resolved PL", panels)

    if traces is not None:
        ax = axes["a"]
        low = nonempty(plot.low_fluence)
        mappable = fluence_mappable(fluence, cmap=TIME_CMAP)
        for i in np.argsort(fluence):
            style = "--" if low is not None and low[i] else "-"
            ax.plot(time, _positive(traces[i]), style, color=mappable.to_rgba(fluence[i]), lw=0.9)
        window = plot.window_ns
        if window is not None and window.size == 2:
            ax.axvspan(window[0], window[1], color=MUTED_COLOR, alpha=0.15, lw=0)
            ax.text(0.5 * (window[0] + window[1]), 0.97, "normalised\nhere", ha="center", va="top",
                    fontsize=6, color="#4a5568", transform=ax.get_xaxis_transform())
        ax.set_yscale("log")
        positive = traces[:, time > 0]
        positive = positive[np.isfinite(positive) & (positive > 0)]
        if positive.size:  # the pre-t0 noise floor would otherwise set the lower decades
            ax.set_ylim(bottom=float(np.percentile(positive, 1.0)) / 2.0)
        tidy_log_axis(ax.yaxis)
        _early_inset(ax, time, traces, fluence, mappable, low, tau_xx)
        ax.set(xlabel="Time (ns)", ylabel="PL (normalised)",
               title="Traces" + (" (dashed: low-fluence reference)" if low is not None else ""))
        add_colorbar(fig, mappable, ax, "Fluence (mJ cm⁻²)")
        panel_label(ax, "a")

    if residual is not None:
        ax = axes["b"]
        ax.plot(rtime, _positive(residual), ".", ms=2.5, color=DATA_COLOR, label="high − low fluence")
        if rfit is not None:
            label = "exponential fit"
            if tau_xx is not None:
                label += f", τ_XX = {value_pm(tau_xx, plot.tau_xx_stderr, 'ns')}"
            ax.plot(rtime, _positive(rfit), "--", color=FIT_COLOR, label=label)
        if tau_x is not None:
            ax.plot([], [], " ", label=f"τ_X = {value_pm(tau_x, plot.tau_x_stderr, 'ns')}")
        # log y: the biexciton part is a straight line of slope −1/τ_XX (the paper's Fig. 2f)
        if np.nanmax(residual) > 0:
            ax.set_yscale("log")
            top = float(np.nanmax(residual))
            ax.set_ylim(top * 1e-3, top * 2.0)
            tidy_log_axis(ax.yaxis)
        ax.set(ylabel="Residual (normalised)", title="Differenced decay (biexciton)")
        ax.legend(loc="upper right", fontsize=6.5, framealpha=0.85)
        panel_label(ax, "b")
        if rfit is not None:
            r = axes["r"]
            r.axhline(0.0, color=MUTED_COLOR, lw=0.8)
            r.plot(rtime, residual - rfit, ".", ms=2.0, color=DATA_COLOR)
            r.set_xlim(ax.get_xlim())
            r.set(xlabel="Time (ns)", ylabel="data − fit")
            ax.tick_params(labelbottom=False)
        else:
            ax.set_xlabel("Time (ns)")
    return fig
