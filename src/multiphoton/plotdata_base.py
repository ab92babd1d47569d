"""The base of the typed figure data (:mod:`multiphoton.plotdata`): :class:`PlotData`, its
array and number fields, JSON conversion and shape checks."""
from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import MISSING, dataclass, field, fields
from typing import Any, ClassVar

import numpy as np

from .errors import InputError
from .results import _jsonable

__all__ = ["PlotData"]

_NUMBER = "number"
_RECORDS = "records"


def _array(kind: type = float, ndim: int = 1, *, required: bool = False):
    """A field holding a read-only array of ``kind`` (float, bool or int) and ``ndim``."""
    meta = {"array": (kind, ndim)}
    return field(metadata=meta) if required else field(default=None, metadata=meta)


def _number(*, required: bool = False):
    """A field holding a finite float, or None (non-finite numbers are stored as None)."""
    meta = {"kind": _NUMBER}
    return field(metadata=meta) if required else field(default=None, metadata=meta)


@dataclass(frozen=True, kw_only=True, eq=False)
class PlotData:
    """Common part of every figure's data.

    Parameters
    ----------
    sample : str
        Sample id from the manifest.
    measurement : int
        Index of the measurement in the manifest, counted from 0.

    Notes
    -----
    ``family`` (a class attribute) names the family in ``plot_data.json`` and in the
    figure's file stem. ``_AXES`` maps an array field to the fields whose lengths give
    its expected shape (an int is a fixed length); it is checked on construction.
    Two plots are equal when their JSON forms are equal.
    """

    family: ClassVar[str] = ""
    _AXES: ClassVar[Mapping[str, tuple]] = {}

    sample: str
    measurement: int

    def __post_init__(self):
        if not isinstance(self.sample, str):
            raise InputError(f"{self._where()}: 'sample' must be a string, got {self.sample!r}")
        if isinstance(self.measurement, bool) or not isinstance(self.measurement, (int, np.integer)):
            raise InputError(f"{self._where()}: 'measurement' must be an integer manifest index, "
                             f"got {self.measurement!r}")
        object.__setattr__(self, "measurement", int(self.measurement))
        for f in fields(self):
            value = getattr(self, f.name)
            if "array" in f.metadata:
                value = self._as_array(f.name, value, *f.metadata["array"])
            elif f.metadata.get("kind") == _NUMBER:
                value = self._as_number(f.name, value)
            elif f.metadata.get("kind") == _RECORDS and value is not None:
                value = tuple(dict(v) for v in value)
            else:
                continue
            if value is None and f.default is MISSING:
                raise InputError(f"{self._where()}: key {f.name!r} is required (a finite value), "
                                 "got null; fix the pipeline that made it")
            object.__setattr__(self, f.name, value)
        self._check_shapes()

    def _where(self) -> str:
        return (f"plot data family={self.family!r} sample={getattr(self, 'sample', None)!r} "
                f"measurement={getattr(self, 'measurement', None)!r}")

    def _as_array(self, name, raw, kind, ndim):
        if raw is None:
            return None
        try:
            arr = np.array(raw, dtype=float if kind is float else None)
        except (TypeError, ValueError) as exc:
            raise InputError(f"{self._where()}: key {name!r} is not a {ndim}-D numeric array "
                             f"({exc}); fix the pipeline that made it") from None
        if arr.size == 0:
            arr = np.zeros((0,) * ndim, dtype=kind)
        elif kind is bool and arr.dtype != bool:
            raise InputError(f"{self._where()}: key {name!r} must hold true/false flags, "
                             f"got dtype {arr.dtype}")
        elif kind is int:
            if not np.issubdtype(arr.dtype, np.integer):
                raise InputError(f"{self._where()}: key {name!r} must hold integers, got dtype {arr.dtype}")
            arr = arr.astype(int)
        if arr.ndim != ndim:
            raise InputError(f"{self._where()}: key {name!r} has {arr.ndim} dimensions, expected "
                             f"{ndim}; fix the pipeline that made it")
        arr.setflags(write=False)
        return arr

    def _as_number(self, name, raw):
        if raw is None:
            return None
        if isinstance(raw, (bool, np.bool_, str, list, tuple, dict, np.ndarray)):
            raise InputError(f"{self._where()}: key {name!r} must be a number or null, got {raw!r}")
        try:
            value = float(raw)
        except (TypeError, ValueError):
            raise InputError(f"{self._where()}: key {name!r} must be a number or null, got {raw!r}") from None
        return value if math.isfinite(value) else None

    def _check_shapes(self):
        for name, axes in self._AXES.items():
            arr = getattr(self, name)
            if arr is None:
                continue
            expected = []
            for axis in axes:
                if isinstance(axis, int):
                    expected.append(axis)
                    continue
                ref = getattr(self, axis)
                if ref is None:
                    break
                expected.append(ref.shape[0])
            else:
                if arr.size == 0 and 0 in expected:
                    continue
                if arr.shape != tuple(expected):
                    of = " × ".join(a if isinstance(a, str) else str(a) for a in axes)
                    got = arr.shape[0] if arr.ndim == 1 else arr.shape
                    want = expected[0] if arr.ndim == 1 else tuple(expected)
                    raise InputError(
                        f"{self._where()}: key {name!r} has {got} entries, expected {want} "
                        f"(shape {of}); fix the pipeline that made it")

    def to_json(self) -> dict[str, Any]:
        """This plot as a JSON-safe dict (arrays as lists, NaN as None), with ``family``."""
        out: dict[str, Any] = {"family": self.family}
        for f in fields(self):
            out[f.name] = _jsonable(getattr(self, f.name))
        return out

    def __eq__(self, other):
        if not isinstance(other, PlotData):
            return NotImplemented
        return type(self) is type(other) and self.to_json() == other.to_json()

    __hash__ = None
