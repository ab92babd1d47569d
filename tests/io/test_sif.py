"""SIF reader: Andor files from fujiisoup/sif_parser (BSD-3-Clause), 8362a48
(testings/examples_with_calibration/raman1.sif + raman1.asc, testings/public_testdata/cli/,
testings/issue33/measurement.sif)."""
import hashlib
from pathlib import Path

import numpy as np
import pytest

from multiphoton.constants import HC_EV_NM
from multiphoton.errors import InputError
from multiphoton.io.sif import read_sif_raw, read_sif_spectra, read_sif_spectrum

REAL = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "real"
pytestmark = pytest.mark.skipif(not REAL.is_dir(), reason=f"real instrument files absent ({REAL})")
SIF = REAL / "sif"


def test_raman1_matches_vendor_text_export():
    # fujiisoup/sif_parser testings/examples_with_calibration/raman1.sif vs raman1.asc (Solis export)
    rows = []
    for line in (SIF / "raman1.asc").read_text(encoding="latin-1").splitlines():
        parts = line.split()
        if len(parts) == 2:
            try:
                rows.append((float(parts[0]), float(parts[1])))
            except ValueError:
                pass
    ref = np.array(rows)
    wl, counts, meta = read_sif_raw(SIF / "raman1.sif")
    assert ref.shape == (1024, 2) and counts.shape == (1, 1024)
    # the export prints wavelengths to 5 decimals and counts to 6 significant figures
    np.testing.assert_allclose(wl[0], ref[:, 0], atol=0.5e-5 + 1e-9)
    np.testing.assert_allclose(counts[0], ref[:, 1], rtol=0.5e-5 + 1e-9)
    assert meta["wavelength_range_nm"] == pytest.approx([405.23, 454.55], abs=0.01)
    assert meta["exposure_time_s"] == 0.1 and meta["accumulated_cycles"] == 500


@pytest.mark.parametrize("name, peak_nm", [("cli-0", 807.9), ("cli-1", 813.6), ("cli-2", 815.3)])
def test_cli_peaks(name, peak_nm):
    # fujiisoup/sif_parser testings/public_testdata/cli/cli-*.sif: PL at 301, 279, 261 K
    wl, counts, _ = read_sif_raw(SIF / f"{name}.sif")
    # one pixel is ~0.42 nm here, so the quoted peak is matched to within half a pixel (0.25 nm)
    assert wl[0][np.argmax(counts[0])] == pytest.approx(peak_nm, abs=0.25)


def test_kinetic_series_frames():
    # fujiisoup/sif_parser testings/issue33/measurement.sif: 20 frames × 1024 px, 530–593 nm
    spectra = read_sif_spectra(SIF / "measurement.sif")
    assert len(spectra) == 20
    assert all(s.counts.shape == (1024,) for s in spectra)
    assert [s.meta["frame"] for s in spectra] == list(range(20))
    assert spectra[0].meta["wavelength_range_nm"] == pytest.approx([530.0, 592.84], abs=0.01)
    with pytest.raises(InputError, match="20 frames"):
        read_sif_spectrum(SIF / "measurement.sif")
    with pytest.raises(InputError, match="frame=20 does not exist"):
        read_sif_spectrum(SIF / "measurement.sif", frame=20)
    assert read_sif_spectrum(SIF / "measurement.sif", frame=3).meta["frame"] == 3


def test_energy_axis_jacobian_conserves_counts():
    # fujiisoup/sif_parser testings/examples_with_calibration/raman1.sif
    wl, counts, _ = read_sif_raw(SIF / "raman1.sif")
    s = read_sif_spectrum(SIF / "raman1.sif")
    assert np.all(np.diff(s.energy_eV) > 0)
    np.testing.assert_allclose(s.meta["wavelength_nm"], HC_EV_NM / s.energy_eV)
    # Σ counts per pixel = Σ S_E |dE/dpixel|: equal up to the 2nd-order difference between
    # np.gradient pixel widths and the exact polynomial dispersion (< 1e-5 for this smooth calibration)
    area = np.sum(s.counts * np.abs(np.gradient(s.energy_eV)))
    assert area == pytest.approx(counts.sum(), rel=1e-5)


def test_truncated_copy_and_unmodified(tmp_path):
    # fujiisoup/sif_parser testings/issue33/measurement.sif, truncated copies
    src = SIF / "measurement.sif"
    before = hashlib.sha256(src.read_bytes()).hexdigest()
    raw = src.read_bytes()
    for n in (len(raw) - 5000, 1500):  # inside the last frame; inside the header
        bad = tmp_path / f"cut{n}.sif"
        bad.write_bytes(raw[:n])
        with pytest.raises(InputError, match=rf"cut{n}\.sif"):
            read_sif_spectra(bad)
    assert hashlib.sha256(src.read_bytes()).hexdigest() == before
