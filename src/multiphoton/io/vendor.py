"""Format detection and dispatch for instrument files.

:func:`detect_format` names a file's format from its first bytes and extension;
``read_decay``, ``read_spectrum``, ``read_spectra``, ``read_ta_map`` and
``read_decay_series`` pick the reader for that format and pass it the reader's
options, refusing unknown options and formats with an
:class:`~multiphoton.errors.InputError` that lists the valid ones.

Formats: ``ptu`` (PicoQuant), ``sdt`` (Becker & Hickl), ``sif`` (Andor), ``spe``
(Princeton Instruments), ``ta-ascii`` (transient absorption text),
``fluotime-dat`` (PicoQuant FluoTime/EasyTau text export), ``trpl-csv``
(multi-column TRPL CSV). See ``docs/formats.md``.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from pathlib import Path

from ..data import Decay, DecaySeries, Spectrum, TAMap
from ..errors import InputError
from ._files import check_options, existing_file
from .ptu import read_ptu_decay
from .sdt import read_sdt_decay
from .sif import read_sif_spectra, read_sif_spectrum
from .spe import read_spe_spectra, read_spe_spectrum
from .ta_ascii import read_ta_ascii
from .trpl_text import read_fluotime_dat, read_trpl_csv

__all__ = [
    "FORMATS",
    "detect_format",
    "read_decay",
    "read_spectrum",
    "read_spectra",
    "read_ta_map",
    "read_decay_series",
]

FORMATS = ("ptu", "sdt", "sif", "spe", "ta-ascii", "fluotime-dat", "trpl-csv")
_EXTENSIONS = {".ptu": "ptu", ".sdt": "sdt", ".sif": "sif", ".spe": "spe", ".ascii": "ta-ascii"}

_Readers = Mapping[str, tuple[Callable, frozenset]]
_DECAY: _Readers = {
    "ptu": (read_ptu_decay, frozenset({"channel", "gate_ns", "acquisition_window_s"})),
    "sdt": (read_sdt_decay, frozenset({"block", "gate_ns"})),
    "fluotime-dat": (read_fluotime_dat, frozenset({"gate_ns"})),
}
_SPECTRUM: _Readers = {
    "sif": (read_sif_spectrum, frozenset({"frame"})),
    "spe": (read_spe_spectrum, frozenset({"frame"})),
}
_SPECTRA: _Readers = {
    "sif": (read_sif_spectra, frozenset()),
    "spe": (read_spe_spectra, frozenset()),
}
_TA: _Readers = {
    "ta-ascii": (read_ta_ascii, frozenset({"layout", "spectral_axis", "delay_unit", "encoding"})),
}
_SERIES: _Readers = {
    "trpl-csv": (read_trpl_csv, frozenset({"fluence_mJ_cm2", "fluence_per_power_mJ_cm2", "meta_rows",
                                           "time_unit"})),
}


def detect_format(path) -> str:
    """Name the format of an instrument file from its first bytes and its extension.

    Parameters
    ----------
    path : str or Path
        The file (only its first 4 KiB are read).

    Returns
    -------
    str
        One of :data:`FORMATS`.

    Raises
    ------
    InputError
        When neither the bytes nor the extension identify it (pass ``fmt=``).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (d / "x.txt").write_text("Time explicit\\nintervalnr 1\\n 0.0\\n500 0.1\\n")
    >>> detect_format(d / "x.txt")
    'ta-ascii'
    """
    path = existing_file(path)
    with open(path, "rb") as fh:
        head = fh.read(4096)
    if head.startswith(b"PQTTTR"):
        return "ptu"
    if head.startswith(b"Andor Technology Multi-Channel File"):
        return "sif"
    ext = path.suffix.lower()
    if ext in (".ptu", ".sdt", ".spe", ".sif"):
        return _EXTENSIONS[ext]
    text = head.decode("latin-1")
    lines = [line.strip().lower() for line in text.splitlines()]
    if any(line in ("time explicit", "wavelength explicit") for line in lines):
        return "ta-ascii"
    if (text.lstrip().startswith("Parameters:") or re.search(r"^\s*Exc_Wavelength\s*:", text, re.M)) and (
        "data:" in lines or "Meas_BinWidth" in text
    ):
        return "fluotime-dat"
    if ext == ".ascii":
        return "ta-ascii"
    raise InputError(
        f"{path}: cannot tell the file format from its first bytes or its extension {ext or '(none)'!r}; "
        f"pass the format (manifest key `format`, `inspect --format`): one of {', '.join(FORMATS)}."
    )


def _resolve(path, fmt, table: _Readers, func: str) -> str:
    valid = ", ".join(table)
    if fmt is not None:
        if fmt not in FORMATS:
            raise InputError(f"{path}: unknown format {fmt!r}; formats are {', '.join(FORMATS)} "
                             f"({func} reads {valid}).")
        if fmt not in table:
            raise InputError(f"{path}: {func} cannot read format {fmt!r}; it reads {valid}.")
        return fmt
    try:
        detected = detect_format(path)
    except InputError:
        if len(table) == 1:  # an ambiguous text file read by a one-format function
            return next(iter(table))
        raise
    if detected not in table:
        raise InputError(f"{path}: detected format {detected!r}, which {func} cannot read; it reads {valid}. "
                         f"Pass fmt= if the detection is wrong.")
    return detected


def _dispatch(path, fmt, options, table: _Readers, func: str):
    fmt = _resolve(path, fmt, table, func)
    reader, valid = table[fmt]
    check_options(options, valid, where=f"{path}: {func} for format {fmt!r}")
    return reader(Path(path), **options)


def read_decay(path, *, fmt=None, **options) -> Decay:
    """One time-resolved trace from a ``ptu``, ``sdt`` or ``fluotime-dat`` file.

    Options: ptu ``channel``, ``gate_ns``, ``acquisition_window_s``; sdt ``block``,
    ``gate_ns``; fluotime-dat ``gate_ns``.
    """
    return _dispatch(path, fmt, options, _DECAY, "read_decay")


def read_spectrum(path, *, fmt=None, frame=None, **options) -> Spectrum:
    """One spectrum (counts per eV) from a ``sif`` or ``spe`` file; ``frame`` (0-based) if several."""
    if frame is not None:
        options = {**options, "frame": frame}
    return _dispatch(path, fmt, options, _SPECTRUM, "read_spectrum")


def read_spectra(path, *, fmt=None, **options) -> list[Spectrum]:
    """Every frame (e.g. of a kinetic series) of a ``sif`` or ``spe`` file, as spectra per eV."""
    return _dispatch(path, fmt, options, _SPECTRA, "read_spectra")


def read_ta_map(path, *, fmt=None, **options) -> TAMap:
    """A transient-absorption map from a ``ta-ascii`` file.

    Options: ``layout``, ``spectral_axis``, ``delay_unit``, ``encoding``.
    """
    return _dispatch(path, fmt, options, _TA, "read_ta_map")


def read_decay_series(path, *, fmt=None, **options) -> DecaySeries:
    """Transients at several fluences from a ``trpl-csv`` file.

    Options: ``fluence_mJ_cm2`` or ``fluence_per_power_mJ_cm2`` (one is required),
    ``meta_rows``, ``time_unit``.
    """
    return _dispatch(path, fmt, options, _SERIES, "read_decay_series")
