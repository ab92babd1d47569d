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

__all__ = ["inspect_file"]


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
        Force the format instead of detecting it.

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
            fmt = detect_format(path)
        except InputError:
            if Path(path).suffix.lower() != ".csv":
                raise
            fmt = "wide"  # an unrecognised CSV: read as a wide table (layout = "wide")
    axes: dict[str, Any] = {}
    if fmt == "ptu":
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
        time_ns, counts, meta = read_trpl_csv_raw(path)
        shape = list(counts.shape)
        axes["transient"] = {"unit": "", "size": int(counts.shape[0])}
        axes["time_ns"] = _axis(time_ns, "ns")
    elif fmt == "wide":
        from .wide import describe_wide_table

        info = describe_wide_table(path)
        shape, axes, meta = info["shape"], info["axes"], info["meta"]
    else:
        raise InputError(f"{path}: unknown format {fmt!r}; formats are ptu, sdt, sif, spe, ta-ascii, "
                         f"fluotime-dat, trpl-csv, wide.")
    return json_safe({"file": str(Path(path)), "format": fmt, "shape": shape, "axes": axes, "meta": meta})
