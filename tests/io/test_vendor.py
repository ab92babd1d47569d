"""Format detection and dispatch over the real files of ../shared/data/real (see SOURCES.md)."""
from pathlib import Path

import pytest

from multiphoton.data import Decay, DecaySeries, Spectrum, TAMap
from multiphoton.errors import InputError, UnsupportedError
from multiphoton.io.vendor import (
    detect_format,
    read_decay,
    read_decay_series,
    read_spectra,
    read_spectrum,
    read_ta_map,
)

REAL = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "real"
pytestmark = pytest.mark.skipif(not REAL.is_dir(), reason=f"real instrument files absent ({REAL})")


@pytest.mark.parametrize("rel, fmt", [
    ("ptu/v20_t3.ptu", "ptu"),  # tsbischof/picoquant-sample-data, BSD-3
    ("ptu/v20_t2.ptu", "ptu"),  # tsbischof/picoquant-sample-data, BSD-3
    ("sdt/IRF.sdt", "sdt"),  # easunarunachalam/pyTCSPC, MIT
    ("sif/raman1.sif", "sif"),  # fujiisoup/sif_parser, BSD-3
    ("spe/Testfile_Single_SPE3.spe", "spe"),  # HydraSpex/SPE_Handler, MIT
    ("spe/Testfile_Single_SPE2.SPE", "spe"),  # HydraSpex/SPE_Handler, MIT
    ("ta/demo_data_Hippius_etal_JPCC2007_111_13988_Figs5_9.ascii", "ta-ascii"),  # pyglotaran-examples, MIT
    ("trpl/Seo_FAPI1_Glass_2.dat", "fluotime-dat"),  # manuelkoberczerny/assessing-TRPL-..., MIT
])
def test_detect(rel, fmt):
    assert detect_format(REAL / rel) == fmt


def test_detect_by_magic_not_extension(tmp_path):
    # tsbischof/picoquant-sample-data hydraharp/v20_t3.ptu copied under another name
    p = tmp_path / "renamed.bin"
    p.write_bytes((REAL / "ptu" / "v20_t3.ptu").read_bytes())
    assert detect_format(p) == "ptu"
    q = tmp_path / "mystery.xyz"
    q.write_text("1,2,3\n")
    with pytest.raises(InputError, match=r"mystery\.xyz: cannot tell .*inspect --format`\): one of ptu, sdt"):
        detect_format(q)


def test_dispatch_types():
    # files as in test_detect
    assert isinstance(read_decay(REAL / "ptu/v10_t3.ptu", channel=1), Decay)
    assert isinstance(read_decay(REAL / "sdt/IRF.sdt", block=0), Decay)
    assert isinstance(read_decay(REAL / "trpl/Seo_FAPI1_Glass_0.dat"), Decay)
    assert isinstance(read_spectrum(REAL / "sif/measurement.sif", frame=2), Spectrum)
    assert len(read_spectra(REAL / "sif/measurement.sif")) == 20
    assert isinstance(read_spectrum(REAL / "spe/Testfile_Single_SPE3.spe"), Spectrum)
    ta = REAL / "ta/demo_data_Hippius_etal_JPCC2007_111_13988_Figs5_9.ascii"
    assert isinstance(read_ta_map(ta, delay_unit="ps"), TAMap)
    # .csv is ambiguous in general; the one-format function reads it as trpl-csv
    s = read_decay_series(REAL / "trpl/sample1.csv", fluence_per_power_mJ_cm2=1e3)
    assert isinstance(s, DecaySeries) and s.counts.shape == (5, 5604)


def test_unknown_options_and_formats():
    with pytest.raises(InputError, match=r"unknown option\(s\) 'chanel'; valid options are: "
                                         r"acquisition_window_s, channel, gate_ns"):
        read_decay(REAL / "ptu/v20_t3.ptu", chanel=0)
    with pytest.raises(InputError, match="unknown format 'xyz'; formats are ptu, sdt, sif"):
        read_decay(REAL / "ptu/v20_t3.ptu", fmt="xyz")
    with pytest.raises(InputError, match="read_decay cannot read format 'sif'; it reads ptu, sdt, fluotime-dat"):
        read_decay(REAL / "sif/raman1.sif", fmt="sif")
    with pytest.raises(InputError, match="detected format 'sif', which read_decay cannot read"):
        read_decay(REAL / "sif/raman1.sif")
    with pytest.raises(UnsupportedError, match="T3 mode"):
        read_decay(REAL / "ptu/v20_t2.ptu")
    with pytest.raises(InputError, match="file not found"):
        read_decay(REAL / "ptu/none.ptu")
