"""Tidy CSV reader: columns, sorting, Jacobian, and every bad-input message."""
import numpy as np
import pytest

from multiphoton.constants import HC_EV_NM
from multiphoton.errors import InputError
from multiphoton.io import tidy


def _write(path, header, rows):
    path.write_text(header + "\n" + "\n".join(",".join(str(v) for v in r) for r in rows) + "\n")
    return path


def test_spectrum_series_any_row_order(tmp_path):
    rows = [(f, e, f * 10 + e) for f in (2.0, 0.5, 1.0) for e in (1.9, 1.8, 2.0)]
    rng = np.random.default_rng(0)
    rows = [rows[i] for i in rng.permutation(len(rows))]
    s = tidy.read_spectrum_series(_write(tmp_path / "s.csv", "fluence_mJ_cm2,energy_eV,counts", rows))
    assert np.array_equal(s.fluence_mJ_cm2, [0.5, 1.0, 2.0])
    assert np.array_equal(s.energy_eV, [1.8, 1.9, 2.0])
    assert s.counts[2, 0] == pytest.approx(21.8)
    assert not s.counts.flags.writeable


def test_wavelength_spectrum_uses_jacobian(tmp_path):
    wl = np.linspace(600, 700, 201)
    per_nm = np.exp(-0.5 * ((wl - 650) / 10) ** 2)
    p = _write(tmp_path / "pl.csv", "wavelength_nm,counts", zip(wl, per_nm))
    sp = tidy.read_spectrum(p)
    assert np.all(np.diff(sp.energy_eV) > 0)
    assert sp.energy_eV[0] == pytest.approx(HC_EV_NM / 700)
    assert np.trapezoid(sp.counts, sp.energy_eV) == pytest.approx(np.trapezoid(per_nm, wl), rel=1e-3)
    assert sp.counts[0] == pytest.approx(per_nm[-1] * 700**2 / HC_EV_NM)


def test_absorbance_and_dA_change_axis_only(tmp_path):
    p = _write(tmp_path / "a.csv", "wavelength_nm,absorbance", [(400, 0.5), (500, 0.2)])
    ab = tidy.read_absorption(p)
    assert np.array_equal(ab.absorbance, [0.2, 0.5])
    p = _write(tmp_path / "ta.csv", "delay_ps,wavelength_nm,dA", [(d, w, -0.01 * d) for d in (1, 0, 2) for w in (600, 620)])
    ta = tidy.read_ta_map(p)
    assert ta.dA.shape == (3, 2) and np.array_equal(ta.delay_ps, [0, 1, 2])
    assert np.allclose(ta.dA[2], -0.02)


def test_decay_series_and_time_series(tmp_path):
    rows = [(f, t, 100 * np.exp(-t / 5) * f) for f in (0.1, 0.4) for t in np.arange(0, 10, 0.5)]
    d = tidy.read_decay_series(_write(tmp_path / "t.csv", "fluence_mJ_cm2,time_ns,counts", rows))
    assert d.counts.shape == (2, 20) and d.time_ns[1] == 0.5
    rows = [(t, e, 1.0) for t in (0, 60, 30) for e in (1.79, 1.8)]
    ts = tidy.read_time_series(_write(tmp_path / "ts.csv", "time_s,energy_eV,counts", rows))
    assert np.array_equal(ts.time_s, [0, 30, 60])


@pytest.mark.parametrize("header, rows, match", [
    ("fluence_mJ_cm2,energy_eV", [(1, 2)], r"missing column\(s\) counts"),
    ("fluence_mJ_cm2,counts", [(1, 2)], "needs exactly one of the columns energy_eV or wavelength_nm, found none"),
    ("fluence_mJ_cm2,energy_eV,wavelength_nm,counts", [(1, 2, 600, 3)], "found both"),
    ("fluence_mJ_cm2,energy_eV,counts", [(1, 2, "abc")], r"row 2, column counts: 'abc' is not a number"),
    ("fluence_mJ_cm2,energy_eV,counts", [(1, 2, 3), (1, 2.1, "nan")], "row 3, column counts: nan is not finite"),
    ("fluence_mJ_cm2,energy_eV,counts", [(1, 2, 3), (1, 2.1, "inf")], "is not finite"),
    ("fluence_mJ_cm2,energy_eV,counts", [(0, 2, 3)], r"row 2, column fluence_mJ_cm2: 0 must be > 0"),
    ("fluence_mJ_cm2,energy_eV,counts", [(-1, 2, 3)], "must be > 0"),
    ("fluence_mJ_cm2,energy_eV,counts", [(1, 2, 3), (1, 2, 4)], "fluence_mJ_cm2 = 1 appears twice with different data"),
    ("fluence_mJ_cm2,energy_eV,counts", [(1, 2, 3), (2, 2.1, 4)], "has no value at energy_eV"),
    ("fluence_mJ_cm2,energy_eV,counts", [], "no data rows"),
])
def test_bad_series(tmp_path, header, rows, match):
    p = _write(tmp_path / "bad.csv", header, rows)
    with pytest.raises(InputError, match=match) as exc:
        tidy.read_spectrum_series(p)
    assert str(p) in str(exc.value)


def test_identical_duplicate_rows_are_merged(tmp_path):
    p = _write(tmp_path / "d.csv", "fluence_mJ_cm2,energy_eV,counts", [(1, 2, 3), (1, 2, 3), (1, 2.1, 4)])
    assert tidy.read_spectrum_series(p).counts.shape == (1, 2)


def test_missing_and_empty_files(tmp_path):
    with pytest.raises(InputError, match="file not found"):
        tidy.read_spectrum(tmp_path / "nope.csv")
    (tmp_path / "e.csv").write_text("")
    with pytest.raises(InputError, match="the file is empty"):
        tidy.read_spectrum(tmp_path / "e.csv")
    (tmp_path / "b.csv").write_bytes(b"\xff\xfe\x00\x01binary")
    with pytest.raises(InputError, match="not a UTF-8 text CSV"):
        tidy.read_spectrum(tmp_path / "b.csv")


def test_input_file_unchanged(tmp_path):
    p = _write(tmp_path / "s.csv", "energy_eV,counts", [(2.0, 1), (1.9, 2)])
    before = p.read_bytes()
    tidy.read_spectrum(p)
    assert p.read_bytes() == before
