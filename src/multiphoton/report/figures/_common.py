"""Reading plot dicts (docs/plot-data.md) defensively: optional keys may be absent or null."""
from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from ...errors import InputError

__all__ = ["array", "number", "flags", "describe", "require", "NoFigureData"]


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
