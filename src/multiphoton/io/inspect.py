"""What an instrument file holds, as a JSON-serialisable dict (``multiphoton inspect FILE``).

:func:`inspect_file` detects the format, reads the file with its reader and
reports the format, the data shape, each axis with its unit, size and range,
and the metadata the file gave (for a PTU file: record type, records, sync rate,
resolution, photons per channel). T2 PTU files, which cannot give a decay, are
still inspected. Nothing is fitted or modified.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from ..errors import InputError, UnsupportedError
from ._files import existing_file, json_safe
from .ptu import ptu_metadata, read_ptu_histograms
from .sdt import read_sdt_blocks
from .sif import read_sif_raw
from .spe import read_spe_raw
from .ta_ascii import read_ta_ascii
from .trpl_text import read_fluotime_dat, read_trpl_csv_raw
from .vendor import detect_format

__all__ = ["inspect_file", "INSPECT_FORMATS"]

INSPECT_FORMATS = ("ptu", "sdt", "sif", "spe", "ta-ascii", "fluotime-dat", "trpl-csv", "csv", "wide")
"""Formats ``inspect`` reads; ``csv`` is the data contract's tidy CSV (any of its layouts)."""

# the tidy CSV layouts of the data contract, told apart by their header (most specific first)
_TIDY_LAYOUTS = (
    ({"delay_ps", "dA"}, "ta_map"),
    ({"fluence_mJ_cm2", "time_ns", "counts"}, "decay_series"),
    ({"time_ns", "counts"}, "decay"),
    ({"time_s", "counts"}, "time_series"),
    ({"fluence_mJ_cm2", "counts"}, "spectrum_series"),
    ({"absorbance"}, "absorption"),
    ({"counts"}, "spectrum"),
)
"""(columns, layout) of the data contract's CSV files, most specific first. Layouts name the
containers: ``spectrum`` (pl_spectrum, tpef 1P), ``spectrum_series`` (pl_fluence_series,
ase_series, laser_series, tpef 2P), ``decay`` (irf), ``decay_series`` (trpl_series),
``absorption``, ``ta_map``, ``time_series``."""


def _detect(path: Path) -> str:
    """The format of ``path``: a vendor format, or ``csv`` for a data-contract CSV."""
    try:
        return detect_format(path)
    except InputError:
        if path.suffix.lower() == ".csv":
            return "csv"
        raise InputError(f"{path}: cannot tell the file format from its first bytes or its extension; "
                         f"pass --format NAME, one of {', '.join(INSPECT_FORMATS)}.") from None


def _header(path: Path) -> list[str]:
    with path.open("rb") as fh:
        first = fh.read(1 << 16).split(b"\n", 1)[0]
    return [h.strip().lstrip("\ufeff") for h in first.decode("utf-8", "replace").split(",")]


def _inspect_tidy(path: Path) -> tuple[list, dict, dict]:
    """A data-contract CSV: its layout (from the header), shape, axes and value range."""
    header = set(_header(path))
    layout = next((name for cols, name in _TIDY_LAYOUTS if cols <= header), None)
    if layout is None:
        if {"time_ns"} <= header and len(header) > 2:
            return _as_trpl_csv(path)
        raise InputError(f"{path}: the header ({', '.join(sorted(header))}) is not one of the data "
                         "contract's CSV layouts; if it is a multi-column TRPL export pass "
                         "--format trpl-csv.")
    from . import tidy

    readers = {"ta_map": tidy.read_ta_map, "decay_series": tidy.read_decay_series, "decay": tidy.read_decay,
               "time_series": tidy.read_time_series, "spectrum_series": tidy.read_spectrum_series,
               "absorption": tidy.read_absorption, "spectrum": tidy.read_spectrum}
    obj = readers[layout](path)
    axes: dict[str, Any] = {}
    for name, unit in (("fluence_mJ_cm2", "mJ/cm2"), ("time_s", "s"), ("delay_ps", "ps"),
                       ("time_ns", "ns"), ("energy_eV", "eV")):
        values = getattr(obj, name, None)
        if values is not None:
            axes[name] = _axis(values, unit)
    values = getattr(obj, "counts", None)
    if values is None:
        values = getattr(obj, "absorbance", getattr(obj, "dA", None))
    values = np.asarray(values, dtype=float)
    meta = {"layout": layout, **dict(getattr(obj, "meta", {}) or {}),
            "value_range": [float(values.min()), float(values.max())]}
    return list(values.shape), axes, meta


def _as_trpl_csv(path: Path) -> tuple[list, dict, dict]:
    time_ns, counts, meta = read_trpl_csv_raw(path)
    axes = {"transient": {"unit": "", "size": int(counts.shape[0])}, "time_ns": _axis(time_ns, "ns")}
    return list(counts.shape), axes, meta


def _axis(values, unit: str) -> dict[str, Any]:
    v = np.asarray(values, dtype=float)
    return {"unit": unit, "size": int(v.size), "min": float(v.min()), "max": float(v.max())}


def inspect_file(path, *, fmt=None) -> dict[str, Any]:
    """Describe an instrument file: format, shape, axes (unit, size, range) and metadata.

    Parameters
    ----------
    path : str or Path
        Any file :func:`multiphoton.io.vendor.detect_format` recognises.
    fmt : str, optional
        Force the format instead of detecting it: one of :data:`INSPECT_FORMATS`
        (``csv``: the data contract's tidy CSV, its layout told from the header).

    Returns
    -------
    dict
        ``{"file", "format", "shape", "axes": {name: {"unit", "size", "min", "max"}},
        "meta"}``; only JSON types (long arrays summarised by size, min, max).

    Examples
    --------
    >>> import json, tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (d / "ta.txt").write_text("Time explicit\\n\\t0.0\\t1.0\\n500\\t0.1\\t0.2\\n600\\t0.3\\t0.4\\n")
    >>> info = inspect_file(d / "ta.txt")
    >>> info["format"], info["shape"], info["axes"]["delay_ps"]["max"]
    ('ta-ascii', [2, 2], 1.0)
    >>> _ = json.dumps(info)
    """
    path = existing_file(path)
    if fmt is None:
        try:
            fmt = _detect(path)
        except InputError:
            if Path(path).suffix.lower() != ".csv":
                raise
            fmt = "wide"  # a CSV no other layout claims: read as a wide table (layout = "wide")
    axes: dict[str, Any] = {}
    if fmt in ("csv", "tidy"):
        fmt = "csv"
        shape, axes, meta = _inspect_tidy(path)
    elif fmt == "ptu":
        try:
            time_ns, counts, meta = read_ptu_histograms(path)
        except UnsupportedError:  # T2: no decay, but the header and counts are still shown
            meta = ptu_metadata(path)
        if meta["measurement_mode"] == "T3":
            shape = list(counts.shape)
            axes["channel"] = {"unit": "", "values": meta["channels"]}
            axes["time_ns"] = _axis(time_ns, "ns")
        else:
            shape = [meta["number_records"]]
            axes["record"] = {"unit": "", "size": meta["number_records"]}
            meta["note"] = "T2 records: no start-stop time per photon, no decay histogram"
    elif fmt == "sdt":
        blocks, meta = read_sdt_blocks(path)
        shape = [list(data.shape) for _, data in blocks]
        axes["block"] = {"unit": "", "size": len(blocks)}
        if blocks:
            axes["time_ns"] = _axis(blocks[0][0], "ns")
    elif fmt in ("sif", "spe"):
        wl, counts, meta = (read_sif_raw if fmt == "sif" else read_spe_raw)(path)
        meta.pop("_dispersion_nm_per_px", None)
        shape = list(counts.shape)
        axes["frame"] = {"unit": "", "size": int(counts.shape[0])}
        axes["wavelength_nm"] = _axis(wl, "nm")
        axes["energy_eV"] = _axis(1239.8419843320026 / wl, "eV")
    elif fmt == "ta-ascii":
        ta = read_ta_ascii(path)
        meta = dict(ta.meta)
        shape = list(ta.dA.shape)
        axes["delay_ps"] = _axis(ta.delay_ps, "ps")
        axes["energy_eV"] = _axis(ta.energy_eV, "eV")
        meta["dA_range"] = [float(ta.dA.min()), float(ta.dA.max())]
    elif fmt == "fluotime-dat":
        decay = read_fluotime_dat(path)
        meta = dict(decay.meta)
        shape = [int(decay.counts.size)]
        axes["time_ns"] = _axis(decay.time_ns, "ns")
    elif fmt == "trpl-csv":
        shape, axes, meta = _as_trpl_csv(path)
    elif fmt == "wide":
        from .wide import describe_wide_table

        info = describe_wide_table(path)
        shape, axes, meta = info["shape"], info["axes"], info["meta"]
    else:
        raise InputError(f"{path}: unknown format {fmt!r}; formats are {', '.join(INSPECT_FORMATS)}.")
    return json_safe({"file": str(Path(path)), "format": fmt, "shape": shape, "axes": axes, "meta": meta})
