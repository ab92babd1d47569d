"""Readers check what a file claims against what it holds (issue 12), and `inspect` reads every
format analyze reads.

Real files (../shared/data/real, SOURCES.md): trpl/Seo_FAPI1_Glass_0.dat
(manuelkoberczerny/assessing-TRPL-with-bayesian-inference_and-MCMC, Example_Data/TRPL/, MIT);
sif/raman1.sif (fujiisoup/sif_parser, testings/examples_with_calibration/, BSD-3-Clause);
trpl/sample1.csv (MaxGrossmann/TRPL, Data/Real/sample1.csv, MIT).
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from multiphoton.cli import main
from multiphoton.errors import InputError
from multiphoton.io.sif import read_sif_raw
from multiphoton.io.trpl_text import read_fluotime_dat, read_trpl_csv, read_trpl_csv_raw

REAL = Path(__file__).resolve().parents[3] / "shared" / "data" / "real"
pytestmark = pytest.mark.skipif(not REAL.is_dir(), reason="shared/ real data not beside the repo")
DAT = REAL / "trpl" / "Seo_FAPI1_Glass_0.dat"


def test_fluotime_cut_to_10_percent_is_refused(tmp_path):
    data = DAT.read_bytes()
    cut = tmp_path / "cut.dat"
    cut.write_bytes(data[: len(data) // 10])
    with pytest.raises(InputError, match=r"cut.dat: the last line .* has no line end: the file was cut"):
        read_fluotime_dat(cut)


def test_fluotime_cut_at_a_line_end_warns_by_name(tmp_path, caplog):
    lines = DAT.read_bytes().splitlines(keepends=True)
    short = tmp_path / "short.dat"
    short.write_bytes(b"".join(lines[:75 + 821]))  # header + 821 of the 10,000 bins
    decay = read_fluotime_dat(short)
    assert decay.counts.size == 821
    warning = decay.meta["file_warnings"][-1]
    assert "spans 1642 ns (821 bins)" in warning and "18532.2 ns" in warning and "truncated" in warning
    assert "short.dat" in caplog.text
    full = read_fluotime_dat(DAT)  # the whole file covers a period: no such warning
    assert not any("spans" in w for w in full.meta["file_warnings"])


def test_fluotime_peak_counts_must_match_the_header(tmp_path):
    text = DAT.read_bytes().decode("latin-1")
    assert "Meas_PeakCounts : 2230 counts" in text
    bad = tmp_path / "peak.dat"
    bad.write_bytes(text.replace("Meas_PeakCounts : 2230 counts", "Meas_PeakCounts : 9999 counts").encode("latin-1"))
    with pytest.raises(InputError, match="Meas_PeakCounts = 9999 but the largest count in the data is 2230"):
        read_fluotime_dat(bad)


def test_sif_with_damaged_calibration_is_refused(tmp_path):
    raw = bytearray((REAL / "sif" / "raman1.sif").read_bytes())
    start = raw.find(b"405.184510498139")
    end = raw.find(b"\n", start)
    raw[start:end] = b"\xff" * (end - start)  # the calibration line damaged in place
    bad = tmp_path / "raman1.sif"
    bad.write_bytes(bytes(raw))
    with pytest.raises(InputError, match=r"calibration \[0.0, 1.0, 0.0, 0.0\] gives 1 to 1024 nm, outside"):
        read_sif_raw(bad)
    wl, _, _ = read_sif_raw(REAL / "sif" / "raman1.sif")  # the intact file: 405.23–454.55 nm
    assert 405.2 < wl.min() < 405.3 and 454.5 < wl.max() < 454.6


def test_trpl_csv_with_absurd_filter_od_is_refused(tmp_path):
    lines = (REAL / "trpl" / "sample1.csv").read_text(encoding="latin-1").splitlines()
    cells = lines[2].split(",")
    lines[2] = ",".join([cells[0]] + ["400"] * (len(cells) - 1))  # row 2: ND filter OD
    bad = tmp_path / "od.csv"
    bad.write_text("\n".join(lines) + "\n", encoding="latin-1")
    with pytest.raises(InputError, match="ND filter row gives OD"):
        read_trpl_csv_raw(bad)


def test_inspect_reads_tidy_csv_and_formats_by_name(tmp_path, capsys):
    tidy = tmp_path / "pl.csv"
    tidy.write_text("energy_eV,counts\n1.9,3\n2.0,7\n2.1,4\n")
    assert main(["inspect", str(tidy)]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["format"] == "csv" and info["meta"]["layout"] == "spectrum" and info["shape"] == [3]
    assert info["axes"]["energy_eV"]["min"] == 1.9
    assert main(["inspect", str(REAL / "trpl" / "sample1.csv"), "--format", "trpl-csv"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["format"] == "trpl-csv" and info["shape"] == [5, 5604]
    mystery = tmp_path / "data.bin"
    mystery.write_bytes(b"1 2 3\n")
    assert main(["inspect", str(mystery)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "--format NAME" in err and "fmt=" not in err
    with pytest.raises(SystemExit):  # an unknown --format is a usage error listing the names
        main(["inspect", str(mystery), "--format", "xyz"])
    assert "trpl-csv" in capsys.readouterr().err


def test_trpl_csv_with_zero_fluence_everywhere_is_refused():
    with pytest.raises(InputError, match="every fluence is zero"):
        read_trpl_csv(REAL / "trpl" / "sample1.csv", fluence_per_power_mJ_cm2=0)
