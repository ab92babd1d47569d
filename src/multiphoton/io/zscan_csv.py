"""Reader of the data contract's ``zscan`` CSV: columns ``z_mm``, ``transmittance``."""
from __future__ import annotations

import numpy as np

from ..data import ZScan
from ..errors import InputError
from .tidy import read_columns

__all__ = ["read_zscan"]


def read_zscan(path) -> ZScan:
    """Read an open-aperture Z-scan (rows in any order; sorted by position).

    Parameters
    ----------
    path : path-like
        CSV with a header row and the columns ``z_mm`` (sample position, mm) and
        ``transmittance`` (normalised to 1 far from the focus).

    Returns
    -------
    ZScan
        Sorted by ``z_mm``.

    Raises
    ------
    InputError
        Missing columns, bad cells, a repeated position, a transmittance ≤ 0, or fewer than
        8 rows.
    """
    cols = read_columns(path, ["z_mm", "transmittance"])
    z, t, rows = cols["z_mm"], cols["transmittance"], cols["_row"]
    if z.size < 8:
        raise InputError(f"{path}: a Z-scan needs at least 8 positions; got {z.size}.")
    bad = np.flatnonzero(t <= 0)
    if bad.size:
        raise InputError(f"{path}, row {int(rows[bad[0]])}, column transmittance: must be > 0 "
                         "(a normalised transmittance, 1 far from the focus).")
    order = np.argsort(z, kind="stable")
    zs = z[order]
    dup = np.flatnonzero(np.diff(zs) == 0)
    if dup.size:
        raise InputError(f"{path}: position z_mm = {zs[dup[0]]} appears twice; average the repeats "
                         "or delete one row.")
    return ZScan(zs, t[order], meta={"source": str(path)})
