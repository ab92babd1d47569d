"""Transient-absorption maps from ASCII exports → :class:`~multiphoton.data.TAMap`.

Layouts read (``layout=``):

``"time_explicit"``
    Header lines (one reads ``Time explicit``, an optional ``intervalnr N``), then a
    row of N delays, then one row per wavelength: ``λ  ΔA(t₁) … ΔA(t_N)``
    (the ASCII format of Glotaran / pyglotaran).
``"wavelength_explicit"``
    The transpose: a row of wavelengths, then rows ``t  ΔA(λ₁) …``.
``"matrix"``
    A table whose first row holds the spectral axis (its first cell a label or a
    placeholder) and whose first column holds the delays: rows ``t  ΔA(λ₁) …``.

Values may be separated by tabs, commas, semicolons or spaces. The spectral axis
is a wavelength (nm) or an energy (eV); ``spectral_axis=None`` tells them apart by
range (all values > 100 → nm; all within 0.1–20 → eV) and records the choice.
ΔA is an absorbance change, not a spectral density, so moving it to an energy axis
needs no Jacobian: only the axis changes and the columns are reordered.
A reader never fits.
"""
from __future__ import annotations

import re
from typing import Any

import numpy as np

from ..data import TAMap
from ..errors import InputError
from ..units import wavelength_nm_to_energy_eV
from ._files import existing_file

__all__ = ["LAYOUTS", "parse_ta_text", "read_ta_ascii"]

LAYOUTS = ("time_explicit", "wavelength_explicit", "matrix")
_DELAY_UNITS = {"fs": 1e-3, "ps": 1.0, "ns": 1e3}
_SPLIT = re.compile(r"[\t,;]+|\s+")


def _tokens(line: str) -> list[str]:
    return [t for t in _SPLIT.split(line.strip()) if t != ""]


def _numbers(tokens):
    try:
        return [float(t) for t in tokens]
    except ValueError:
        return None


def parse_ta_text(text: str, *, layout=None, where: str = "TA file"):
    """Parse TA ASCII text into its delay axis, spectral axis and ΔA matrix.

    Parameters
    ----------
    text : str
        The whole file.
    layout : {"time_explicit", "wavelength_explicit", "matrix"}, optional
        Detected from a ``Time explicit`` / ``Wavelength explicit`` header line,
        else ``"matrix"``.
    where : str
        Name used in error messages (the file path).

    Returns
    -------
    delays : ndarray of shape (D,)
        As in the file (file order and unit).
    spectral : ndarray of shape (M,)
        As in the file.
    dA : ndarray of shape (D, M)
    info : dict
        ``layout`` and ``header`` (the non-numeric lines before the data).

    Examples
    --------
    >>> txt = "Time explicit\\nintervalnr 2\\n\\t0.0\\t1.0\\n500\\t0.1\\t0.2\\n600\\t0.3\\t0.4\\n"
    >>> d, s, a, info = parse_ta_text(txt)
    >>> d.tolist(), s.tolist(), a.tolist(), info["layout"]
    ([0.0, 1.0], [500.0, 600.0], [[0.1, 0.3], [0.2, 0.4]], 'time_explicit')
    """
    lines = text.splitlines()
    header: list[str] = []
    first = None
    for i, line in enumerate(lines):
        toks = _tokens(line)
        if not toks:
            if first is None:
                continue
            break
        nums = _numbers(toks)
        if nums is None and len(toks) > 2 and _numbers(toks[1:]) is not None and first is None:
            first = i  # a matrix axis row with a text corner cell
            break
        if nums is None or (first is None and len(nums) < 2):
            header.append(line.strip())
            continue
        first = i
        break
    if first is None:
        raise InputError(f"{where}: no numeric table found; expected an axis row followed by rows of ΔA.")
    if layout is None:
        low = [h.lower() for h in header]
        if "time explicit" in low:
            layout = "time_explicit"
        elif "wavelength explicit" in low:
            layout = "wavelength_explicit"
        else:
            layout = "matrix"
    if layout not in LAYOUTS:
        raise InputError(f"{where}: layout={layout!r} is not one of {', '.join(LAYOUTS)}.")

    axis_toks = _tokens(lines[first])
    rows = []
    for j, line in enumerate(lines[first + 1:], start=first + 2):
        toks = _tokens(line)
        if not toks:
            continue
        nums = _numbers(toks)
        if nums is None:
            raise InputError(f"{where}, line {j}: non-numeric value in the ΔA table: {line.strip()[:60]!r}; "
                             f"write missing values as NaN or remove the line.")
        rows.append(nums)
    if not rows:
        raise InputError(f"{where}: the axis row is not followed by any ΔA row.")
    width = len(rows[0])
    for k, r in enumerate(rows):
        if len(r) != width:
            raise InputError(f"{where}: data row {k + 1} has {len(r)} values, the first has {width}; "
                             f"the file is truncated or ragged.")
    table = np.array(rows, dtype=float)
    axis_nums = _numbers(axis_toks)
    if axis_nums is None:  # text corner cell
        axis_nums = _numbers(axis_toks[1:])
    axis = np.array(axis_nums, dtype=float)
    if axis.size == width:  # the corner cell was a numeric placeholder
        axis = axis[1:]
    if axis.size != width - 1:
        raise InputError(f"{where}: the axis row has {axis.size} values but the data rows have "
                         f"{width - 1} values after their first column; the file is truncated or ragged.")
    first_col, values = table[:, 0], table[:, 1:]
    if layout == "time_explicit":
        delays, spectral, dA = axis, first_col, values.T
    else:
        delays, spectral, dA = first_col, axis, values
    return delays, spectral, dA, {"layout": layout, "header": header}


def read_ta_ascii(path, *, layout=None, spectral_axis=None, delay_unit="ps", encoding="latin-1") -> TAMap:
    """Read a transient-absorption map from an ASCII export.

    Parameters
    ----------
    path : str or Path
        Text file, opened read-only.
    layout : {"time_explicit", "wavelength_explicit", "matrix"}, optional
        See the module docstring; detected from the header when omitted.
    spectral_axis : {"wavelength_nm", "energy_eV"}, optional
        Unit of the spectral axis; detected from its range when omitted.
    delay_unit : {"fs", "ps", "ns"}
        Unit of the delays in the file (ASCII TA exports rarely say; "ps" by default,
        recorded in ``meta["delay_unit"]``).
    encoding : str
        Text encoding (Latin-1 reads any byte).

    Returns
    -------
    TAMap
        ``delay_ps`` (D,) ascending, ``energy_eV`` (M,) ascending, ``dA`` (D, M) in the
        file's ΔA unit (OD); ``meta``: ``layout``, ``header``, ``spectral_axis``,
        ``wavelength_range_nm``, ``delay_unit``.

    Raises
    ------
    InputError
        Ragged or truncated table, non-finite ΔA, duplicate delays, ambiguous axis.
    """
    path = existing_file(path)
    if delay_unit not in _DELAY_UNITS:
        raise InputError(f"{path}: delay_unit={delay_unit!r} is not one of {', '.join(_DELAY_UNITS)}.")
    try:
        text = path.read_bytes().decode(encoding)
    except (UnicodeDecodeError, LookupError) as exc:
        raise InputError(f"{path}: cannot be read as {encoding!r} text ({exc}); give the file's encoding "
                         "with the reader option encoding = \"latin-1\" (the default) or \"utf-8\".") from None
    delays, spectral, dA, info = parse_ta_text(text, layout=layout, where=str(path))
    if np.any(~np.isfinite(dA)) or np.any(~np.isfinite(delays)) or np.any(~np.isfinite(spectral)):
        bad = int(np.sum(~np.isfinite(dA)))
        raise InputError(f"{path}: the TA map holds {bad} non-finite ΔA value(s) (NaN/inf) or a blank axis "
                         f"value; crop or fill them before analysis.")
    if spectral_axis is None:
        if np.all(spectral > 100.0):
            spectral_axis = "wavelength_nm"
        elif np.all((spectral > 0.1) & (spectral < 20.0)):
            spectral_axis = "energy_eV"
        else:
            raise InputError(
                f"{path}: cannot tell whether the spectral axis ({spectral.min():.4g}–{spectral.max():.4g}) "
                f"is in nm or eV; pass spectral_axis='wavelength_nm' or 'energy_eV'."
            )
    if spectral_axis == "wavelength_nm":
        if np.any(spectral <= 0):
            raise InputError(f"{path}: wavelengths must be > 0 nm.")
        energy = wavelength_nm_to_energy_eV(spectral)
    elif spectral_axis == "energy_eV":
        energy = spectral.astype(float)
    else:
        raise InputError(f"{path}: spectral_axis={spectral_axis!r} is not 'wavelength_nm' or 'energy_eV'.")
    delay_ps = delays * _DELAY_UNITS[delay_unit]
    d_order = np.argsort(delay_ps, kind="stable")
    e_order = np.argsort(energy, kind="stable")
    delay_ps, energy = delay_ps[d_order], energy[e_order]
    dA = dA[np.ix_(d_order, e_order)]
    if np.any(np.diff(delay_ps) == 0):
        raise InputError(f"{path}: repeated delay values; average or remove duplicate delays first.")
    if np.any(np.diff(energy) == 0):
        raise InputError(f"{path}: repeated spectral axis values; remove duplicate columns first.")
    meta: dict[str, Any] = {
        "format": "ta-ascii",
        "file": path.name,
        "layout": info["layout"],
        "header": info["header"],
        "spectral_axis": spectral_axis,
        "delay_unit": delay_unit,
        "delays": int(delay_ps.size),
        "spectral_points": int(energy.size),
        "delay_range_ps": [float(delay_ps[0]), float(delay_ps[-1])],
    }
    if spectral_axis == "wavelength_nm":
        meta["wavelength_range_nm"] = [float(spectral.min()), float(spectral.max())]
    return TAMap(delay_ps=delay_ps, energy_eV=energy, dA=dA, meta=meta)
