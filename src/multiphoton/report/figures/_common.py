"""Reading plot objects (:mod:`multiphoton.plotdata`): optional fields may be None,
arrays may be empty; shapes were checked when the object was made."""
from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from ...errors import InputError
from ...plotdata import PlotData
from ..style import PANEL_IN

__all__ = ["nonempty", "describe", "require", "spectra", "panel_figure", "figure_title", "NoFigureData",
           "value_pm", "PER_EV_LABEL"]

PER_EV_LABEL = "PL (counts eV⁻¹)"
"""Spectra are per unit energy (the Jacobian applied when read on a wavelength axis)."""


def value_pm(value: float, stderr: float | None = None, unit: str = "") -> str:
    """``value ± stderr`` at the precision the error allows (two significant digits of it).

    Uses ``uncertainties``' formatting (``.2uP``): ``value_pm(1.9712, 0.0123)`` is
    ``"1.971 ± 0.012"``, ``value_pm(2.14e6, 5e4)`` ``"(2.140 ± 0.050)×10⁶"``; without a
    finite positive error, three significant digits and no ±.

    Examples
    --------
    >>> value_pm(1.9712, 0.0123)
    '1.971 ± 0.012'
    >>> value_pm(1.97, 0.0, "ns")
    '1.97 ns'
    """
    from uncertainties import ufloat

    tail = f" {unit}" if unit else ""
    if stderr is None or not np.isfinite(stderr) or stderr <= 0 or not np.isfinite(value):
        return f"{value:.3g}{tail}"
    text = format(ufloat(value, stderr), ".2uP").replace("±", " ± ")
    return text + tail


class NoFigureData(InputError):
    """The plot lacks what a figure needs (the report shows a note instead)."""


def describe(plot: PlotData) -> str:
    return f"plot data family={plot.family!r} sample={plot.sample!r} measurement={plot.measurement!r}"


def nonempty(values: np.ndarray | None) -> np.ndarray | None:
    """``values``, or None when it is None or empty (an absent panel, not an error)."""
    return values if values is not None and values.size else None


def require(plot: PlotData, **arrays) -> None:
    """Raise :class:`NoFigureData` naming the fields in ``arrays`` that are None."""
    missing = [k for k, v in arrays.items() if v is None]
    if missing:
        raise NoFigureData(
            f"{describe(plot)}: no figure, missing {', '.join(missing)}"
        )


def spectra(plot) -> tuple[np.ndarray | None, np.ndarray | None]:
    """``(energy_eV, counts)`` of a series of spectra; counts None without an energy grid."""
    energy, counts = nonempty(plot.energy_eV), nonempty(plot.counts)
    return energy, counts if energy is not None else None


def panel_figure(plot: PlotData, title: str, panels, *, height: float = 1.15):
    """A row of panels, each with an optional residual panel ``"r"`` under it.

    Parameters
    ----------
    plot : PlotData
        The plot (for the sample and measurement in the title).
    title : str
        What the figure shows, e.g. ``"Lasing"``.
    panels : sequence of (str, bool)
        Panel key and whether a residual panel (key ``"r"``) goes under it; at most one
        panel has residuals.
    height : float
        Figure height in panel heights when there is a residual row.

    Returns
    -------
    (Figure, dict of str to Axes)
    """
    top = [key for key, _ in panels]
    bottom = ["r" if resid else key for key, resid in panels]
    two_rows = top != bottom
    mosaic = [top, bottom] if two_rows else [top]
    fig = Figure(figsize=(PANEL_IN[0] * len(top) + 0.6, PANEL_IN[1] * (height if two_rows else 1.0)),
                 layout="constrained")
    axes = fig.subplot_mosaic(mosaic, height_ratios=[3, 1] if two_rows else [1])
    fig.suptitle(figure_title(plot, title), fontsize=9.5, x=0.01, ha="left")
    return fig, axes


def figure_title(plot: PlotData, title: str) -> str:
    """``"<title> — <sample> (measurement #k)"``, k counted from 1 as in error messages."""
    return f"{title} — {plot.sample} (measurement #{plot.measurement + 1})"
