"""Across samples: the Table 1 and Table 2 quantities against particle volume.

The paper's argument runs across samples (σ₂ ∝ V, τ_XX grows with volume, the ASE
threshold falls as σ₂ rises); this figure puts every quantity that at least two samples
have against the total particle volume V_total, with one-standard-error bars (and the
ensemble spread of V as horizontal bars), on log–log axes when the values span more
than a decade. It reads the Results only (``samples`` and ``sample_info``).
"""
from __future__ import annotations

import math

import numpy as np
from matplotlib.figure import Figure

from ...results import Results
from ..style import DATA_COLOR, PANEL_IN, tidy_log_axis
from ..tables import TABLE1_COLUMNS, TABLE2_COLUMNS, scale_exponent, superscript

__all__ = ["plot_across_samples", "ACROSS_STEM", "ACROSS_CAPTION"]

ACROSS_STEM = "quantities_vs_volume_all_samples"
"""File stem of the figure."""

ACROSS_CAPTION = ("Table 1 and Table 2 quantities of every sample against its total particle volume "
                  "V_total (error bars: one standard error; horizontal: ensemble spread of V).")

_X_KEY = "total_volume_nm3"


def _volume(results: Results, sample: str) -> tuple[float, float]:
    est = results.samples.get(sample, {}).get(_X_KEY)
    if est is not None and est.success and math.isfinite(est.value):
        return float(est.value), float(est.stderr) if math.isfinite(est.stderr) else 0.0
    info = results.sample_info.get(sample, {}).get(_X_KEY)
    if isinstance(info, (list, tuple)) and len(info) == 2 and info[0] is not None:
        return float(info[0]), float(info[1] or 0.0)
    return math.nan, math.nan


def plot_across_samples(results: Results) -> Figure | None:
    """Each quantity of ≥ 2 samples against V_total; None when fewer than two samples have V.

    Parameters
    ----------
    results : Results

    Returns
    -------
    Figure or None
    """
    samples = list(results.samples)
    vol = {s: _volume(results, s) for s in samples}
    with_v = [s for s in samples if math.isfinite(vol[s][0])]
    if len(with_v) < 2:
        return None
    columns = [c for c in TABLE1_COLUMNS + TABLE2_COLUMNS if c.key not in (_X_KEY, "core_diameter_nm")]
    panels = []
    for c in columns:
        pts = []
        for s in with_v:
            est = results.samples.get(s, {}).get(c.key)
            if est is not None and est.success and math.isfinite(est.value):
                pts.append((s, vol[s], est.value, est.stderr if math.isfinite(est.stderr) else 0.0))
        if len(pts) >= 2:
            panels.append((c, pts))
    if not panels:
        return None
    ncol = min(4, len(panels))
    nrow = math.ceil(len(panels) / ncol)
    fig = Figure(figsize=(PANEL_IN[0] * 0.8 * ncol, PANEL_IN[1] * 0.85 * nrow), layout="constrained")
    axes = np.atleast_1d(fig.subplots(nrow, ncol, squeeze=False)).ravel()
    fig.suptitle("Across samples: quantities vs total particle volume", fontsize=9.5, x=0.01, ha="left")
    for ax, (c, pts) in zip(axes, panels):
        x = np.array([p[1][0] for p in pts])
        xe = np.array([p[1][1] for p in pts])
        y = np.array([p[2] for p in pts])
        ye = np.array([p[3] for p in pts])
        unit = c.unit
        if c.scaled:  # the table's power of ten in the label, not a matplotlib "1e8" offset
            k = scale_exponent(list(y), default=c.default_exponent)
            y, ye = y / 10.0**k, ye / 10.0**k
            unit = f"×10{superscript(k)} {c.unit}".strip() if k else c.unit
        ax.errorbar(x, y, yerr=ye, xerr=xe, fmt="o", ms=4, color=DATA_COLOR, ecolor="#8fa3c7",
                    elinewidth=0.8, capsize=2)
        for (s, *_), xi, yi in zip(pts, x, y):
            ax.annotate(s, (xi, yi), xytext=(3, 3), textcoords="offset points", fontsize=5.5)
        if np.all(y > 0) and y.max() / y.min() > 10:
            ax.set_yscale("log")
            tidy_log_axis(ax.yaxis)
        if np.all(x > 0) and x.max() / x.min() > 10:
            ax.set_xscale("log")
            tidy_log_axis(ax.xaxis)
        ax.set_ylabel(f"{c.label} ({unit})" if unit else c.label, fontsize=7)
        ax.set_xlabel("V_total (nm³)", fontsize=7)
        ax.tick_params(labelsize=6)
        ax.margins(x=0.2, y=0.25)
    for ax in axes[len(panels):]:
        ax.set_visible(False)
    return fig
