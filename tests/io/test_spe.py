"""SPE reader: Princeton Instruments files from HydraSpex/SPE_Handler (MIT), 5ac41c5
(Testspectra/Testfile_Single_SPE3.spe + Result_Single_SPE3.txt, Testfile_Single_SPE2.SPE)."""
import struct
from pathlib import Path

import numpy as np
import pytest

from multiphoton.errors import InputError, UnsupportedError
from multiphoton.io.spe import read_spe_raw, read_spe_spectra, read_spe_spectrum

REAL = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "real"
pytestmark = pytest.mark.skipif(not REAL.is_dir(), reason=f"real instrument files absent ({REAL})")
SPE3 = REAL / "spe" / "Testfile_Single_SPE3.spe"  # HydraSpex/SPE_Handler Testspectra/, MIT
SPE2 = REAL / "spe" / "Testfile_Single_SPE2.SPE"  # HydraSpex/SPE_Handler Testspectra/, MIT


def test_spe3_matches_text_export():
    # HydraSpex/SPE_Handler Testfile_Single_SPE3.spe vs its export Result_Single_SPE3.txt
    ref = np.loadtxt(REAL / "spe" / "Result_Single_SPE3.txt", skiprows=13)
    wl, counts, meta = read_spe_raw(SPE3)
    assert ref.shape == (512, 2) and counts.shape == (1, 512)
    np.testing.assert_allclose(wl[0], ref[:, 0], rtol=1e-15)  # printed with 17 digits
    np.testing.assert_allclose(counts[0], ref[:, 1], atol=0.05 + 1e-3)  # printed to 0.1 (float32 data)
    assert meta["spe_version"] == "3.0"
    assert meta["wavelength_range_nm"] == pytest.approx([546.13, 653.99], abs=0.005)
    assert meta["exposure_time_ms"] == pytest.approx(3000.0)
    assert meta["center_wavelength_nm"] == 600.0
    assert meta["camera"] == "ProEM+: 512B eXcelon"


def test_spe2_frames_and_calibration():
    # HydraSpex/SPE_Handler Testfile_Single_SPE2.SPE: WinSpec 2.2, 35 frames × 1340 px, uint16
    wl, counts, meta = read_spe_raw(SPE2)
    assert counts.shape == (35, 1340)
    assert meta["spe_version"] == "2.2" and meta["datatype"] == "uint16"
    raw = SPE2.read_bytes()
    np.testing.assert_array_equal(counts[0], np.frombuffer(raw, "<u2", 1340, 4100))
    c = struct.unpack_from("<3d", raw, 3263)
    assert wl[0, 0] == pytest.approx(c[0] + c[1] + c[2])  # pixel 1
    assert meta["calibration_coefficients"] == list(c)
    spectra = read_spe_spectra(SPE2)
    assert len(spectra) == 35 and all(np.all(np.diff(s.energy_eV) > 0) for s in spectra)
    with pytest.raises(InputError, match="35 frames"):
        read_spe_spectrum(SPE2)


def test_spe2_without_calibration_refused(tmp_path):
    # HydraSpex/SPE_Handler Testfile_Single_SPE2.SPE with its calib_valid flag cleared
    raw = bytearray(SPE2.read_bytes())
    raw[3098] = 0
    bad = tmp_path / "nocal.spe"
    bad.write_bytes(bytes(raw))
    with pytest.raises(UnsupportedError, match="no valid x calibration"):
        read_spe_raw(bad)


def test_truncated_copies(tmp_path):
    # HydraSpex/SPE_Handler Testfile_Single_SPE3.spe / Testfile_Single_SPE2.SPE, truncated copies
    for src, n in ((SPE3, 5000), (SPE3, 7000), (SPE2, 50_000), (SPE2, 100)):
        bad = tmp_path / f"cut{n}.spe"
        bad.write_bytes(src.read_bytes()[:n])
        with pytest.raises(InputError, match=rf"cut{n}\.spe: (truncated|cannot be read)"):
            read_spe_raw(bad)
