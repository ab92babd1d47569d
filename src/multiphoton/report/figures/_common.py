"""Reading plot dicts (docs/plot-data.md) defensively: optional keys may be absent or null."""
from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
from matplotlib.figure import Figure

from ...errors import InputError
from ..style import PANEL_IN

__all__ = ["array", "number", "flags", "describe", "require", "spectra", "panel_figure", "figure_title", "NoFigureData"]


class NoFigureData(InputError):
    """The plot dict lacks what a figure needs (the report shows a note instead)."""


def describe(plot: Mapping[str, Any]) -> str:
    return (
        f"plot data family={plot.get('family')!r} sample={plot.get('sample')!r} "
        f"measurement={plot.get('measurement')!r}"
    )


def array(plot: Mapping[str, Any], key: str, *, ndim: int = 1, length: int | None = None,
          shape: tuple[int, ...] | None = None) -> np.ndarray | None:
    """``plot[key]`` as a float array of ``ndim`` dimensions, or None if absent/null/empty.

    Raises :class:`InputError` when present but of the wrong shape (a producer bug the
    report must not paper over).
    """
    raw = plot.get(key)
    if raw is None:
        return None
    try:
        arr = np.array(
            [[np.nan if v is None else v for v in row] for row in raw] if ndim == 2
            else [np.nan if v is None else v for v in raw],
            dtype=float,
        )
    except (TypeError, ValueError) as exc:
        raise InputError(
            f"{describe(plot)}: key {key!r} is not a {ndim}-D numeric array ({exc}); "
            "fix the pipeline that wrote plot_data.json"
        ) from None
    if arr.size == 0:
        return None
    if arr.ndim != ndim:
        raise InputError(
            f"{describe(plot)}: key {key!r} has {arr.ndim} dimensions, expected {ndim}; "
            "fix the pipeline that wrote plot_data.json"
        )
    if length is not None and arr.shape[0] != length:
        raise InputError(
            f"{describe(plot)}: key {key!r} has {arr.shape[0]} entries, expected {length} "
            "to match its axis; fix the pipeline that wrote plot_data.json"
        )
    if shape is not None and arr.shape != tuple(shape):
        raise InputError(
            f"{describe(plot)}: key {key!r} has shape {arr.shape}, expected {tuple(shape)}; "
            "fix the pipeline that wrote plot_data.json"
        )
    return arr


def flags(plot: Mapping[str, Any], key: str, *, length: int) -> np.ndarray | None:
    """``plot[key]`` as a boolean array of ``length``, or None if absent/null."""
    raw = plot.get(key)
    if raw is None:
        return None
    arr = np.array([bool(v) for v in raw], dtype=bool)
    if arr.shape != (length,):
        raise InputError(
            f"{describe(plot)}: key {key!r} has {arr.size} flags, expected {length}; "
            "fix the pipeline that wrote plot_data.json"
        )
    return arr


def number(plot: Mapping[str, Any], key: str) -> float | None:
    """``plot[key]`` as a finite float, or None if absent, null or not finite."""
    raw = plot.get(key)
    if raw is None or isinstance(raw, (list, dict, str)):
        return None
    try:
        value = float(raw)
    except (TypeError, ValueError):
        return None
    return value if math.isfinite(value) else None


def require(plot: Mapping[str, Any], **arrays) -> None:
    """Raise :class:`NoFigureData` naming the keys in ``arrays`` that are None."""
    missing = [k for k, v in arrays.items() if v is None]
    if missing:
        raise NoFigureData(
            f"{describe(plot)}: no figure, missing {', '.join(missing)}"
        )


def spectra(plot: Mapping[str, Any], n: int) -> tuple[np.ndarray | None, np.ndarray | None]:
    """``(energy_eV, counts)`` of a series of ``n`` spectra, or ``(energy, None)``.

    Spectra whose grid does not match ``energy_eV`` are drawn nowhere rather than
    mislabelled.
    """
    energy = array(plot, "energy_eV")
    counts = array(plot, "counts", ndim=2, length=n)
    if counts is not None and (energy is None or counts.shape[1] != energy.size):
        counts = None
    return energy, counts


def panel_figure(plot: Mapping[str, Any], title: str, panels, *, height: float = 1.15):
    """A row of panels, each with an optional residual panel ``"r"`` under it.

    Parameters
    ----------
    plot : mapping
        The plot dict (for the sample and measurement in the title).
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


def figure_title(plot: Mapping[str, Any], title: str) -> str:
    """``"<title> — <sample> (measurement #k)"``, k counted from 1 as in error messages."""
    index = plot.get("measurement")
    where = f" (measurement #{index + 1})" if isinstance(index, int) else ""
    return f"{title} — {plot.get('sample')}{where}"
