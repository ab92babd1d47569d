"""Simulated relative quantum-yield measurements (gradient and single point).

The detected integrated PL of a solution is K · Φ · f / n² (f = 1 − 10^(−A) the absorbed
fraction, n the solvent's refractive index: the n² of the relative method), with the
spectral shape of the emitter and Poisson counting noise. The absorbances written into
the manifest are the true ones plus the spectrophotometer's error (std stated beside
them), drawn from their own random stream.
"""
from __future__ import annotations

import zlib

import numpy as np

from .trpl import poisson_counts

__all__ = ["write_quantum_yield", "ABSORBANCE_STD", "SAMPLE_SOLVENT", "REFERENCE_SOLVENT"]

ABSORBANCE_STD = 0.001
"""Std of a measured absorbance (OD): a good double-beam spectrophotometer near 0.05 OD."""
SAMPLE_SOLVENT = "toluene"
REFERENCE_SOLVENT = "ethanol"
_N = {"toluene": 1.4961, "ethanol": 1.3611}  # the library's values (CRC Handbook, n_D)
_PEAK_COUNTS = 2e4


def _rng(seed: int, name: str) -> np.random.Generator:
    return np.random.default_rng([int(seed), zlib.crc32(f"quantum_yield/{name}".encode())])


def _spectrum(shape, qy, a_true, n, scale):
    f = 1 - 10.0 ** -a_true
    return scale * qy * f / n**2 * shape


def write_quantum_yield(out, key: str, sid: str, seed: int, *, sample_energy_eV, sample_shape, sample_qy,
                        reference_energy_eV, reference_shape, reference_qy, excitation_eV,
                        gradient: bool = True, write_csv, meas) -> tuple[list[str], dict]:
    """Write the files and manifest lines of one ``quantum_yield`` measurement.

    Parameters
    ----------
    out : path
        Campaign folder; files go to ``out/key/qy_*.csv``.
    sample_shape, reference_shape : ndarray
        Unit-area emission shapes (per eV) on ``sample_energy_eV``/``reference_energy_eV``.
    sample_qy, reference_qy : float
        True quantum yields (the reference's is the library's: the simulated lab uses it).
    gradient : bool
        Four dilutions each (gradient method) or one solution each (single point).
    write_csv, meas : callables
        The campaign writer's CSV writer and manifest-line builder.

    Returns
    -------
    (manifest lines, truth)
    """
    rng = _rng(seed, key)
    a_true = {"sample": np.array([0.02, 0.04, 0.06, 0.08]), "reference": np.array([0.015, 0.03, 0.045, 0.06])}
    if not gradient:
        a_true = {k: v[2:3] for k, v in a_true.items()}
    grids = {"sample": (sample_energy_eV, sample_shape, sample_qy, _N[SAMPLE_SOLVENT]),
             "reference": (reference_energy_eV, reference_shape, reference_qy, _N[REFERENCE_SOLVENT])}
    peak = max(_spectrum(s, q, a_true[w].max(), n, 1.0).max() for w, (_, s, q, n) in grids.items())
    scale = _PEAK_COUNTS / peak
    entries: dict[str, list] = {}
    for who, (e, shape, q, n) in grids.items():
        for k, a in enumerate(a_true[who]):
            path = f"{key}/qy_{who}_{k}.csv"
            counts = poisson_counts(_spectrum(shape, q, a, n, scale), rng)
            write_csv(out / path, ["energy_eV", "counts"], [e, counts], [".6f", ".0f"])
            measured = float(f"{a + rng.normal(0.0, ABSORBANCE_STD):.5f}")
            entries.setdefault(who, []).append((path, measured))
    common = dict(excitation_eV=excitation_eV, sample_solvent=SAMPLE_SOLVENT, reference_solvent=REFERENCE_SOLVENT)
    if gradient:
        lines = meas("quantum_yield", sid, reference="rhodamine-6g", **common)
        body = []
        for who in ("sample", "reference"):
            items = ", ".join(f'{{ file = "{p}", absorbance = [{a}, {ABSORBANCE_STD}] }}' for p, a in entries[who])
            body.append(f"{who}_files = [{items}]")
        lines = lines[:-1] + body + [""]
    else:
        (ps, as_), (pr, ar) = entries["sample"][0], entries["reference"][0]
        lines = meas("quantum_yield", sid, reference="rhodamine-6g",
                     sample_absorbance=[as_, ABSORBANCE_STD], reference_absorbance=[ar, ABSORBANCE_STD], **common)
        lines = lines[:-1] + [f'sample_file = "{ps}"', f'reference_file = "{pr}"', ""]
    truth = {"quantum_yield": float(sample_qy)}
    params = {"quantum_yield_method": "gradient" if gradient else "single-point",
              "quantum_yield_true_absorbances": {k: v.tolist() for k, v in a_true.items()},
              "quantum_yield_solvents": [SAMPLE_SOLVENT, REFERENCE_SOLVENT]}
    return lines, {**truth, "_params": params}
