"""Byte-reproducible text for simulated campaigns: number formatting, CSV and manifest lines,
per-file random streams. Used by :mod:`multiphoton.simulate.campaign` and its writers."""
from __future__ import annotations

import math
import pathlib
import zlib

import numpy as np


def _num(x: float) -> str:
    """Fixed float text: 10 significant digits, always a TOML/JSON float literal."""
    s = f"{float(x):.10g}"
    if "e" not in s and "." not in s and "inf" not in s and "nan" not in s:
        s += ".0"
    return s


def _write_csv(path: pathlib.Path, header: list[str], columns: list[np.ndarray], formats: list[str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    cols = [np.asarray(c).ravel() for c in columns]
    lines = [",".join(header)]
    for row in zip(*cols):
        lines.append(",".join(format(float(v), f) for v, f in zip(row, formats)))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _rng(seed: int, name: str) -> np.random.Generator:
    return np.random.default_rng([int(seed), zlib.crc32(name.encode())])


def _round_sig(x, digits=4):
    x = np.asarray(x, dtype=float)
    out = np.array([float(f"{v:.{digits}g}") for v in x.ravel()])
    return out.reshape(x.shape)


def _json_clean(obj):
    # unlike results._jsonable this rounds floats to the 10 digits of _num, so that
    # truth.json is byte-reproducible across platforms
    if isinstance(obj, dict):
        return {k: _json_clean(v) for k, v in obj.items()}
    if isinstance(obj, np.ndarray):
        return [_json_clean(v) for v in obj.tolist()]
    if isinstance(obj, (list, tuple)):
        return [_json_clean(v) for v in obj]
    if isinstance(obj, (bool, np.bool_)):
        return bool(obj)
    if isinstance(obj, (float, np.floating)):
        return float(_num(obj)) if math.isfinite(obj) else None
    if isinstance(obj, np.integer):
        return int(obj)
    return obj


def _meas(kind: str, sample: str, **meta) -> list[str]:
    lines = ["[[measurement]]", f'sample = "{sample}"', f'kind = "{kind}"']
    for k, v in meta.items():
        if isinstance(v, str):
            lines.append(f'{k} = "{v}"')
        elif isinstance(v, (list, tuple)):
            lines.append(f"{k} = [{', '.join(_num(x) for x in v)}]")
        else:
            lines.append(f"{k} = {_num(v)}")
    return lines + [""]
