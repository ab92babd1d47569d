"""Becker & Hickl SPCM ``.sdt`` files → decays, through ``sdtfile``.

An SDT file holds one or more data blocks; a single-point measurement stores each
decay curve as a block of ``adc_re`` bins. The time axis comes from the
measurement description, Δt = TAC range / (TAC gain × ADC resolution), and is
returned in ns (bin starts). Blocks holding images (FLIM) are refused. A reader
never fits.
"""
from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import numpy as np

from ..data import Decay
from ..errors import InputError, UnsupportedError
from ._files import captured_log, existing_file, library_errors, make_decay

__all__ = ["read_sdt_blocks", "read_sdt_decay", "sdt_metadata"]

_log = logging.getLogger(__name__)


def _text(value) -> str:
    if isinstance(value, bytes):
        return value.rstrip(b"\0").decode("latin-1").strip()
    return str(value)


def _load(path: Path):
    import sdtfile

    path = existing_file(path)
    with captured_log("sdtfile", relay=_log) as warnings_, library_errors(path, "Becker & Hickl SDT"):
        # our own read-only handle: closed even when sdtfile fails on a corrupt file
        with open(path, "rb") as fh, sdtfile.SdtFile(fh) as sdt:
            blocks = []
            for i, (data, times, bh) in enumerate(zip(sdt.data, sdt.times, sdt.block_headers)):
                mi = sdt.block_measure_info(i)
                itemsize = np.dtype(data.dtype).itemsize
                expected = int(bh.block_length) // itemsize
                if data.size != expected:
                    raise InputError(
                        f"{path}: truncated SDT file: data block {i} should hold {expected} values "
                        f"but only {data.size} could be read; copy the complete file again."
                    )
                blocks.append({
                    "index": i,
                    "data": np.array(data),
                    "time_ns": np.asarray(times, dtype=float) * 1e9,
                    "block_number": int(bh.lblock_no) >> 24 & 0xFF,
                    "module": int(bh.lblock_no) & 0xFF,
                    "tac_range_s": float(mi.tac_r),
                    "tac_gain": int(mi.tac_g),
                    "adc_resolution": int(mi.adc_re),
                    "collection_time_s": float(mi.col_t),
                    "date": _text(mi.date),
                    "time": _text(mi.time),
                    "module_serial": _text(mi.mod_ser_no),
                })
            info = str(sdt.info)
    meta: dict[str, Any] = {"format": "sdt", "file": path.name, "number_blocks": len(blocks),
                            "file_warnings": list(warnings_)}
    for line in info.splitlines():
        if ":" in line:
            key, _, value = line.partition(":")
            key = key.strip()
            if key in ("Title", "Date", "Time", "Contents", "Revision"):
                meta[f"file_{key.lower()}"] = value.strip()
    return blocks, meta


def _block_summary(b: dict[str, Any]) -> dict[str, Any]:
    step = float(np.diff(b["time_ns"][:2])[0]) if b["time_ns"].size > 1 else float("nan")
    return {
        "index": b["index"], "shape": list(b["data"].shape), "bins": int(b["data"].shape[-1]),
        "time_step_ps": step * 1e3, "total_counts": int(b["data"].sum()),
        "block_number": b["block_number"], "module": b["module"],
        "tac_range_s": b["tac_range_s"], "tac_gain": b["tac_gain"],
        "adc_resolution": b["adc_resolution"], "collection_time_s": b["collection_time_s"],
        "date": b["date"], "time": b["time"], "module_serial": b["module_serial"],
    }


def sdt_metadata(path) -> dict[str, Any]:
    """File information and one summary per data block (shape, bins, Δt in ps, counts).

    Examples
    --------
    >>> sdt_metadata("missing.sdt")
    Traceback (most recent call last):
    ...
    multiphoton.errors.InputError: missing.sdt: file not found; ...
    """
    blocks, meta = _load(Path(path))
    meta["blocks"] = [_block_summary(b) for b in blocks]
    return meta


def read_sdt_blocks(path):
    """Every data block of an SDT file as ``(time_ns (T,), data (..., T))`` pairs plus metadata.

    Returns
    -------
    blocks : list of (ndarray of shape (T,), ndarray of shape (..., T))
        Time axis in ns (bin starts) and the raw counts of each block.
    meta : dict
        As :func:`sdt_metadata`.
    """
    blocks, meta = _load(Path(path))
    meta["blocks"] = [_block_summary(b) for b in blocks]
    return [(b["time_ns"], b["data"]) for b in blocks], meta


def read_sdt_decay(path, *, block=None, gate_ns=None) -> Decay:
    """One decay curve (one data block) of a Becker & Hickl SDT file.

    Parameters
    ----------
    path : str or Path
        The ``.sdt`` file, opened read-only.
    block : int, optional
        Data block index (0-based). Required when the file has several blocks
        (e.g. a decay and its IRF); the error lists them with their counts.
    gate_ns : (float, float), optional
        Keep bins with ``start <= time_ns < stop``.

    Returns
    -------
    Decay
        ``time_ns`` (T,) in ns, ``counts`` (T,); ``meta`` with the file information
        and the chosen block's ``tac_range_s``, ``tac_gain``, ``adc_resolution``,
        ``time_step_ps``, ``total_counts``.
    """
    path = Path(path)
    blocks, meta = _load(path)
    listing = "; ".join(
        f"block {b['index']}: shape {tuple(b['data'].shape)}, {int(b['data'].sum())} counts" for b in blocks
    )
    if not blocks:
        raise InputError(f"{path}: the SDT file holds no data block.")
    if block is None:
        if len(blocks) > 1:
            raise InputError(f"{path}: the file holds {len(blocks)} data blocks ({listing}); "
                             f"choose one with block=<index>.")
        block = 0
    try:
        chosen = blocks[int(block)]
        if int(block) < 0:
            raise IndexError
    except (IndexError, TypeError, ValueError):
        raise InputError(f"{path}: block={block!r} does not exist; the file holds {listing}.") from None
    data = chosen["data"]
    curves = int(np.prod(data.shape[:-1])) if data.ndim > 1 else 1
    if curves != 1:
        raise UnsupportedError(
            f"{path}: block {block} holds {curves} curves of shape {tuple(data.shape)} (an image or "
            f"multi-curve page); only single-decay blocks are read. Export the region of interest "
            f"as a single decay from SPCImage."
        )
    summary = _block_summary(chosen)
    meta.update({k: v for k, v in summary.items() if k not in ("shape",)})
    meta["block"] = int(block)
    meta["time_axis"] = "bin start"
    return make_decay(chosen["time_ns"], data.reshape(-1), meta, gate_ns=gate_ns, path=path)
