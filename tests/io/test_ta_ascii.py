"""TA ASCII reader: glotaran/pyglotaran-examples (MIT), 5e15736,
pyglotaran_examples/study_transient_absorption/data/demo_data_Hippius_etal_JPCC2007_111_13988_Figs5_9.ascii."""
from pathlib import Path

import numpy as np
import pytest

from multiphoton.constants import HC_EV_NM
from multiphoton.errors import InputError
from multiphoton.io.ta_ascii import read_ta_ascii

REAL = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "real"
TA = REAL / "ta" / "demo_data_Hippius_etal_JPCC2007_111_13988_Figs5_9.ascii"  # pyglotaran-examples, MIT


@pytest.mark.skipif(not TA.is_file(), reason=f"real TA file absent ({TA})")
def test_hippius_map_exact():
    # glotaran/pyglotaran-examples demo_data_Hippius_etal_JPCC2007_111_13988_Figs5_9.ascii
    m = read_ta_ascii(TA)
    assert m.dA.shape == (335, 346)
    assert m.meta["layout"] == "time_explicit" and m.meta["spectral_axis"] == "wavelength_nm"
    assert m.delay_ps[0] == pytest.approx(-0.00095) and m.delay_ps[-1] == pytest.approx(909.8548)
    assert m.meta["wavelength_range_nm"] == pytest.approx([377.96045, 854.40436])
    assert np.all(np.diff(m.delay_ps) > 0) and np.all(np.diff(m.energy_eV) > 0)
    # the value at the first delay of the first wavelength row, read straight from the text
    lines = TA.read_text(encoding="latin-1").splitlines()
    first = [float(v) for v in lines[5].split()]
    j = int(np.argmin(np.abs(m.energy_eV - HC_EV_NM / first[0])))
    assert m.dA[0, j] == first[1]


def _write(tmp_path, name, text):
    p = tmp_path / name
    p.write_text(text)
    return p


def test_layouts_agree_and_no_jacobian(tmp_path):
    delays = np.array([-1.0, 0.0, 2.5])
    wl = np.array([600.0, 500.0, 700.0, 550.0])  # unordered on purpose
    rng = np.random.default_rng(0)
    dA = rng.normal(size=(3, 4)).round(6)
    te = "Time explicit\nintervalnr 3\n\t" + "\t".join(map(str, delays)) + "\n"
    te += "".join(f"{w}\t" + "\t".join(map(str, dA[:, k])) + "\n" for k, w in enumerate(wl))
    mx = "delay_ps," + ",".join(map(str, wl)) + "\n"
    mx += "".join(f"{t}," + ",".join(map(str, dA[i])) + "\n" for i, t in enumerate(delays))
    we = "Wavelength explicit\n " + " ".join(map(str, wl)) + "\n"
    we += "".join(f"{t} " + " ".join(map(str, dA[i])) + "\n" for i, t in enumerate(delays))
    maps = [read_ta_ascii(_write(tmp_path, n, t)) for n, t in (("te.txt", te), ("mx.csv", mx), ("we.txt", we))]
    assert [m.meta["layout"] for m in maps] == ["time_explicit", "matrix", "wavelength_explicit"]
    for m in maps[1:]:
        np.testing.assert_array_equal(m.dA, maps[0].dA)
        np.testing.assert_array_equal(m.energy_eV, maps[0].energy_eV)
    # ΔA values are moved, not rescaled: the 700 nm column is the lowest energy
    np.testing.assert_array_equal(maps[0].dA[:, 0], dA[:, 2])
    np.testing.assert_allclose(maps[0].energy_eV, np.sort(HC_EV_NM / wl))


def test_energy_axis_and_delay_unit(tmp_path):
    p = _write(tmp_path, "e.csv", "t,1.9,2.1\n0.5,1,2\n1.0,3,4\n")
    m = read_ta_ascii(p, delay_unit="ns")
    assert m.meta["spectral_axis"] == "energy_eV"
    np.testing.assert_array_equal(m.delay_ps, [500.0, 1000.0])
    np.testing.assert_array_equal(m.energy_eV, [1.9, 2.1])


def test_bad_files(tmp_path):
    ragged = _write(tmp_path, "ragged.txt", "Time explicit\n\t0\t1\n500\t0.1\t0.2\n600\t0.3\n")
    with pytest.raises(InputError, match=r"ragged\.txt: data row 2 has 2 values"):
        read_ta_ascii(ragged)
    nan = _write(tmp_path, "nan.csv", "t,500,600\n0,nan,1\n1,2,3\n")
    with pytest.raises(InputError, match="non-finite"):
        read_ta_ascii(nan)
    amb = _write(tmp_path, "amb.csv", "t,30,60\n0,1,1\n1,2,3\n")
    with pytest.raises(InputError, match="spectral_axis="):
        read_ta_ascii(amb)
    dup = _write(tmp_path, "dup.csv", "t,500,600\n0,1,1\n0,2,3\n")
    with pytest.raises(InputError, match="repeated delay"):
        read_ta_ascii(dup)


@pytest.mark.skipif(not TA.is_file(), reason=f"real TA file absent ({TA})")
def test_truncated_copy(tmp_path):
    # glotaran/pyglotaran-examples Hippius TA file cut mid-row
    raw = TA.read_bytes()
    bad = tmp_path / "cut.ascii"
    bad.write_bytes(raw[: len(raw) // 2])
    with pytest.raises(InputError, match=r"cut\.ascii"):
        read_ta_ascii(bad)
