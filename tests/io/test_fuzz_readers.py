"""Fuzz: seeded truncations and byte flips of every real vendor file → a clean InputError or a
finite read; never another exception, never a hang (issue 12).

Files (../shared/data/real, see its SOURCES.md): ptu/v10_t3.ptu, v20_t3.ptu, v20_t2.ptu
(tsbischof/picoquant-sample-data, BSD-3); sdt/IRF.sdt, test_IRF.sdt (easunarunachalam/pyTCSPC,
MIT); sif/raman1.sif, cli-0.sif, measurement.sif (fujiisoup/sif_parser, BSD-3);
spe/Testfile_Single_SPE3.spe, Testfile_Single_SPE2.SPE (HydraSpex/SPE_Handler, MIT);
ta/demo_data_Hippius_etal_JPCC2007_111_13988_Figs5_9.ascii (glotaran/pyglotaran-examples, MIT);
trpl/Seo_FAPI1_Glass_0.dat (manuelkoberczerny/assessing-TRPL-…, MIT); trpl/sample1.csv
(MaxGrossmann/TRPL, MIT).
"""
from __future__ import annotations

import contextlib
import signal
from pathlib import Path

import numpy as np
import pytest

from multiphoton.errors import InputError
from multiphoton.io import vendor
from multiphoton.io.inspect import inspect_file

REAL = Path(__file__).resolve().parents[3] / "shared" / "data" / "real"

# file, format, mutations (fewer for the larger text files, which take ~0.1 s a read)
CASES = [
    ("ptu/v20_t3.ptu", "ptu", 16), ("ptu/v10_t3.ptu", "ptu", 8), ("ptu/v20_t2.ptu", "ptu", 6),
    ("sdt/IRF.sdt", "sdt", 16), ("sdt/test_IRF.sdt", "sdt", 8),
    ("sif/raman1.sif", "sif", 16), ("sif/cli-0.sif", "sif", 8), ("sif/measurement.sif", "sif", 8),
    ("spe/Testfile_Single_SPE3.spe", "spe", 16), ("spe/Testfile_Single_SPE2.SPE", "spe", 12),
    ("ta/demo_data_Hippius_etal_JPCC2007_111_13988_Figs5_9.ascii", "ta-ascii", 10),
    ("trpl/Seo_FAPI1_Glass_0.dat", "fluotime-dat", 24),
    ("trpl/sample1.csv", "trpl-csv", 12),
]

pytestmark = pytest.mark.skipif(not REAL.is_dir(), reason="shared/ real data not beside the repo")

TIMEOUT_S = 10.0  # a read of these files takes < 0.3 s; a hang (an endless loop) hits this


@contextlib.contextmanager
def _deadline(seconds: float, what: str):
    def _alarm(signum, frame):
        raise TimeoutError(f"reading {what} took more than {seconds} s (a hang)")

    old = signal.signal(signal.SIGALRM, _alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


def _mutations(data: bytes, n: int, seed: int):
    """n seeded variants: truncations (anywhere, and inside the first 4 KiB header), byte flips."""
    rng = np.random.default_rng(seed)
    for k in range(n):
        kind = k % 3
        if kind == 0:
            yield f"truncated to {(cut := int(rng.integers(0, len(data))))} bytes", data[:cut]
        elif kind == 1:
            yield f"truncated in the header at {(cut := int(rng.integers(0, min(4096, len(data)))))}", data[:cut]
        else:
            buf = bytearray(data)
            pos = rng.integers(0, len(buf), size=int(rng.integers(1, 9)))
            for p in pos:
                buf[p] ^= int(rng.integers(1, 256))
            yield f"bytes flipped at {sorted(pos.tolist())}", bytes(buf)


def _read(path: Path, fmt: str) -> list[np.ndarray]:
    """Read as inspect and then as analyze does (its decay, spectra, map or series); return the arrays."""
    info = inspect_file(path, fmt=fmt)
    assert info["format"] == fmt
    if fmt in ("ptu", "sdt", "fluotime-dat"):
        options = {"ptu": {"channel": "sum"}, "sdt": {"block": 1}}.get(fmt, {})
        d = vendor.read_decay(path, fmt=fmt, **options)
        return [d.time_ns, d.counts]
    if fmt in ("sif", "spe"):
        return [a for s in vendor.read_spectra(path, fmt=fmt) for a in (s.energy_eV, s.counts)]
    if fmt == "ta-ascii":
        m = vendor.read_ta_map(path, fmt=fmt)
        return [m.delay_ps, m.energy_eV, m.dA]
    if fmt == "trpl-csv":
        d = vendor.read_decay_series(path, fmt=fmt, fluence_per_power_mJ_cm2=1e-3)
        return [d.fluence_mJ_cm2, d.time_ns, d.counts]
    return []


@pytest.mark.parametrize("name, fmt, n", CASES, ids=[c[0].split("/")[1] for c in CASES])
def test_damaged_file_is_a_clean_error_or_a_finite_read(tmp_path, name, fmt, n):
    original = (REAL / name).read_bytes()
    target = tmp_path / Path(name).name
    for i, (what, data) in enumerate(_mutations(original, n, seed=i_seed(name))):
        target.write_bytes(data)
        try:
            with _deadline(TIMEOUT_S, f"{name} {what}"):
                arrays = _read(target, fmt)
        except InputError:
            continue  # a clean, named refusal
        except Exception as exc:  # noqa: BLE001 - the point of the test
            pytest.fail(f"{name}, variant {i} ({what}): {type(exc).__name__}: {exc}")
        for a in arrays:
            assert np.all(np.isfinite(a)), f"{name}, variant {i} ({what}): non-finite values read silently"


def i_seed(name: str) -> int:
    """A seed fixed per file (not Python's salted hash)."""
    return sum(name.encode()) * 7919
