"""TRPL text exports: FluoTime .dat from manuelkoberczerny/assessing-TRPL-with-bayesian-inference_and-MCMC
(MIT), 1f1e649, Example_Data/TRPL/; multi-column CSV from MaxGrossmann/TRPL (MIT), fff2c30, Data/Real/sample1.csv."""
from pathlib import Path

import numpy as np
import pytest

from multiphoton.errors import InputError
from multiphoton.io.trpl_text import parse_attenuation, read_fluotime_dat, read_trpl_csv, read_trpl_csv_raw

REAL = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "real"
pytestmark = pytest.mark.skipif(not REAL.is_dir(), reason=f"real instrument files absent ({REAL})")
TRPL = REAL / "trpl"


@pytest.mark.parametrize("name, od, transmission", [("Seo_FAPI1_Glass_0.dat", 0.0, 1.0),
                                                    ("Seo_FAPI1_Glass_2.dat", 1.0, 0.1)])
def test_fluotime_dat(name, od, transmission):
    # manuelkoberczerny/assessing-TRPL-with-bayesian-inference_and-MCMC Example_Data/TRPL/<name>
    d = read_fluotime_dat(TRPL / name)
    assert d.counts.shape == d.time_ns.shape == (10_000,)
    assert d.meta["bin_width_ns"] == 2.0
    assert np.diff(d.time_ns) == pytest.approx(2.0, abs=1e-9)  # exact 2 ns grid (Meas_BinWidth)
    # ... and that grid agrees with the float32-rounded times printed in the file (≤ 2.4e-3 ns at 20 µs)
    lines = (TRPL / name).read_text(encoding="latin-1").splitlines()
    start = lines.index("Data:") + 2
    file_t = np.array([float(line.split()[0]) for line in lines[start:] if line.strip()])
    np.testing.assert_allclose(d.time_ns, file_t, atol=4 * np.finfo(np.float32).eps * 2e4)
    assert d.meta["excitation_wavelength_nm"] == 397.7
    assert d.meta["photon_counter"].startswith("TimeHarp 260")
    # the header, not the _0/_2 suffix of the file name, gives the attenuation
    assert d.meta["attenuation_od"] == od and d.meta["exc_transmission"] == transmission
    assert d.meta["sample"] == f"Seo_FAPI1_Glass_OD{od:.1f}"
    assert d.meta["file_warnings"] == []


def test_attenuation_forms():
    assert parse_attenuation("open (5)") == (1.0, 0.0)
    assert parse_attenuation("10% (4)") == (0.1, 1.0)
    assert parse_attenuation("1 %") == (0.01, 2.0)
    assert parse_attenuation("OD 0.5")[1] == 0.5
    assert parse_attenuation("unknown") == (None, None)


def test_sample1_csv_series():
    # MaxGrossmann/TRPL Data/Real/sample1.csv: 5 transients × 5604 bins of 0.256 ns
    t, counts, meta = read_trpl_csv_raw(TRPL / "sample1.csv")
    assert counts.shape == (5, 5_604)
    assert meta["meta_rows"] == ["laser_power", "nd_filter_od", "background_counts"]
    assert meta["bin_width_ns"] == pytest.approx(0.256, abs=1e-4)
    assert meta["laser_power"] == [6.94e-8, 6.95e-7, 6.96e-6, 6.95e-5, 0.000621]
    assert meta["attenuation"][0] == pytest.approx(10 ** 1.4621809049267258)
    assert counts[:, 0].tolist() == [1970, 18313, 51522, 29258, 24097]
    with pytest.raises(InputError, match="fluence_per_power_mJ_cm2"):
        read_trpl_csv(TRPL / "sample1.csv")
    s = read_trpl_csv(TRPL / "sample1.csv", fluence_mJ_cm2=[0.5, 0.1, 0.2, 0.3, 0.4])
    np.testing.assert_array_equal(s.fluence_mJ_cm2, [0.1, 0.2, 0.3, 0.4, 0.5])
    # rows and per-column metadata are reordered together
    np.testing.assert_array_equal(s.counts[-1], counts[0])
    assert s.meta["laser_power"][-1] == 6.94e-8
    with pytest.raises(InputError, match="has 2 values for 5 transient columns"):
        read_trpl_csv(TRPL / "sample1.csv", fluence_mJ_cm2=[1, 2])


def test_plain_csv_without_meta_rows(tmp_path):
    p = tmp_path / "plain.csv"
    p.write_text("time,a,b\n0,1,2\n0.5,3,4\n1.0,5,6\n")
    t, counts, meta = read_trpl_csv_raw(p)
    assert meta["meta_rows"] == [] and counts.tolist() == [[1, 3, 5], [2, 4, 6]]


def test_truncated_and_bad(tmp_path):
    # manuelkoberczerny/... Seo_FAPI1_Glass_0.dat and MaxGrossmann/TRPL sample1.csv, cut copies
    raw = (TRPL / "Seo_FAPI1_Glass_0.dat").read_bytes()
    head = tmp_path / "head.dat"
    head.write_bytes(raw[:1000])
    with pytest.raises(InputError, match=r"head\.dat: no 'Data:' line"):
        read_fluotime_dat(head)
    csv_raw = (TRPL / "sample1.csv").read_bytes()
    cut = tmp_path / "cut.csv"
    cut.write_bytes(csv_raw[: len(csv_raw) // 2 + 7])
    with pytest.raises(InputError, match=r"cut\.csv"):
        read_trpl_csv_raw(cut)
