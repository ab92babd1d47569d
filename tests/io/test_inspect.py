"""inspect_file over the real files of ../shared/data/real (see SOURCES.md for each citation)."""
import json
from pathlib import Path

import pytest

from multiphoton.io.inspect import inspect_file

REAL = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "real"
pytestmark = pytest.mark.skipif(not REAL.is_dir(), reason=f"real instrument files absent ({REAL})")


def test_ptu_t3():
    # tsbischof/picoquant-sample-data hydraharp/v20_t3.ptu, BSD-3
    info = inspect_file(REAL / "ptu/v20_t3.ptu")
    json.dumps(info)
    assert info["format"] == "ptu" and info["shape"] == [2, 3125]
    m = info["meta"]
    assert (m["record_type"], m["number_records"], m["sync_rate_Hz"]) == ("HydraHarp2T3", 106_349, 4_999_960)
    assert m["tcspc_resolution_s"] == pytest.approx(64e-12)
    assert m["counts_per_channel"] == {"0": 45_012, "1": 32_871}
    assert info["axes"]["time_ns"]["unit"] == "ns"


def test_ptu_t2_inspectable():
    # tsbischof/picoquant-sample-data hydraharp/v20_t2.ptu, BSD-3
    info = inspect_file(REAL / "ptu/v20_t2.ptu")
    assert info["meta"]["measurement_mode"] == "T2" and info["shape"] == [435_319]


@pytest.mark.parametrize("rel, shape, axis", [
    ("sdt/IRF.sdt", [[1, 4096], [1, 4096]], "time_ns"),  # easunarunachalam/pyTCSPC, MIT
    ("sif/measurement.sif", [20, 1024], "wavelength_nm"),  # fujiisoup/sif_parser, BSD-3
    ("spe/Testfile_Single_SPE2.SPE", [35, 1340], "wavelength_nm"),  # HydraSpex/SPE_Handler, MIT
    ("ta/demo_data_Hippius_etal_JPCC2007_111_13988_Figs5_9.ascii", [335, 346], "delay_ps"),  # pyglotaran-examples
    ("trpl/Seo_FAPI1_Glass_0.dat", [10_000], "time_ns"),  # manuelkoberczerny/..., MIT
])
def test_other_formats(rel, shape, axis):
    info = inspect_file(REAL / rel)
    json.dumps(info)
    assert info["shape"] == shape and axis in info["axes"]


def test_csv_with_format():
    # MaxGrossmann/TRPL Data/Real/sample1.csv, MIT
    info = inspect_file(REAL / "trpl/sample1.csv", fmt="trpl-csv")
    assert info["shape"] == [5, 5604]
    assert info["meta"]["laser_power"][-1] == 0.000621
