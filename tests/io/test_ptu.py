"""PTU reader: exact header values and counts of real PicoQuant files.

Files: tsbischof/picoquant-sample-data (BSD-3-Clause), hydraharp/v20_t3.ptu,
v10_t3.ptu, v20_t2.ptu at f8bf205 (see ../shared/data/real/SOURCES.md).
"""
import hashlib
from pathlib import Path

import numpy as np
import ptufile
import pytest

from multiphoton.errors import InputError, UnsupportedError
from multiphoton.io.ptu import decay_histogram, ptu_metadata, read_ptu_decay, read_ptu_histograms

REAL = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "real"
pytestmark = pytest.mark.skipif(not REAL.is_dir(), reason=f"real instrument files absent ({REAL})")
V20_T3 = REAL / "ptu" / "v20_t3.ptu"  # tsbischof/picoquant-sample-data hydraharp/v20_t3.ptu f8bf205, BSD-3
V10_T3 = REAL / "ptu" / "v10_t3.ptu"  # tsbischof/picoquant-sample-data hydraharp/v10_t3.ptu f8bf205, BSD-3
V20_T2 = REAL / "ptu" / "v20_t2.ptu"  # tsbischof/picoquant-sample-data hydraharp/v20_t2.ptu f8bf205, BSD-3


def test_v20_t3_header_exact():
    # tsbischof/picoquant-sample-data hydraharp/v20_t3.ptu (tags out of order: must be tolerated)
    m = ptu_metadata(V20_T3)
    assert m["record_type"] == "HydraHarp2T3"
    assert m["measurement_mode"] == "T3"
    assert m["number_records"] == 106_349
    assert m["sync_rate_Hz"] == 4_999_960
    assert m["tcspc_resolution_s"] == pytest.approx(64e-12, rel=1e-8)
    assert m["acquisition_time_header_s"] == 10.0
    assert m["counts_per_channel"] == {0: 45_012, 1: 32_871}
    assert any("out of order" in w for w in m["file_warnings"])


def test_v10_t3_header_exact():
    # tsbischof/picoquant-sample-data hydraharp/v10_t3.ptu
    m = ptu_metadata(V10_T3)
    assert m["record_type"] == "HydraHarpT3"
    assert m["number_records"] == 167_801
    assert m["sync_rate_Hz"] == 2_500_000
    assert m["tcspc_resolution_s"] == pytest.approx(128e-12, rel=1e-8)
    assert m["acquisition_time_header_s"] == 30.0
    assert m["counts_per_channel"] == {0: 48_001, 1: 46_559}


def test_decay_matches_ptufile_histogram():
    # tsbischof/picoquant-sample-data hydraharp/v20_t3.ptu: our bincount vs ptufile's own histogram
    with ptufile.PtuFile(V20_T3) as ptu:
        ref = ptu.decode_histogram(dtime=0)
    for ch in (0, 1):
        d = read_ptu_decay(V20_T3, channel=ch)
        assert d.counts.size == ref.shape[1] == 3125
        assert int(np.argmax(d.counts)) == int(np.argmax(ref[ch]))
        np.testing.assert_array_equal(d.counts, ref[ch])
        assert d.meta["total_counts"] == int(ref[ch].sum())
    # time axis: bin starts, 64 ps apart, in ns
    assert d.time_ns[0] == 0.0
    assert np.diff(d.time_ns) == pytest.approx(0.064, rel=1e-6)


def test_channel_choice_and_sum():
    # tsbischof/picoquant-sample-data hydraharp/v20_t3.ptu
    with pytest.raises(InputError, match=r"channels 0 \(45012 photons\), 1 \(32871 photons\)"):
        read_ptu_decay(V20_T3)
    total = read_ptu_decay(V20_T3, channel="sum")
    assert total.counts.sum() == 45_012 + 32_871
    with pytest.raises(InputError, match="channel=5 has no photons"):
        read_ptu_decay(V20_T3, channel=5)


def test_gate_and_acquisition_window():
    # tsbischof/picoquant-sample-data hydraharp/v20_t3.ptu
    full = read_ptu_decay(V20_T3, channel=0)
    gated = read_ptu_decay(V20_T3, channel=0, gate_ns=(2.0, 10.0))
    keep = (full.time_ns >= 2.0) & (full.time_ns < 10.0)
    np.testing.assert_array_equal(gated.counts, full.counts[keep])
    assert gated.time_ns[0] >= 2.0 and gated.time_ns[-1] < 10.0
    first, second = (read_ptu_decay(V20_T3, channel=0, acquisition_window_s=w) for w in ((0, 5), (5, 11)))
    np.testing.assert_array_equal(first.counts + second.counts, full.counts)
    assert 0 < first.counts.sum() < full.counts.sum()
    with pytest.raises(InputError, match="gate_ns"):
        read_ptu_decay(V20_T3, channel=0, gate_ns=(10.0, 2.0))


def test_t2_refused_but_inspectable():
    # tsbischof/picoquant-sample-data hydraharp/v20_t2.ptu
    with pytest.raises(UnsupportedError, match="T3 mode"):
        read_ptu_decay(V20_T2)
    m = ptu_metadata(V20_T2)
    assert m["measurement_mode"] == "T2"
    assert m["number_records"] == 435_319
    assert m["record_type"] == "HydraHarp2T2"


def test_truncated_and_corrupt_files(tmp_path):
    # tsbischof/picoquant-sample-data hydraharp/v20_t3.ptu, truncated copies
    raw = V20_T3.read_bytes()
    short = tmp_path / "short.ptu"
    short.write_bytes(raw[: len(raw) // 2])
    with pytest.raises(InputError, match=r"short\.ptu: truncated PTU file"):
        read_ptu_decay(short, channel=0)
    header_only = tmp_path / "header.ptu"
    header_only.write_bytes(raw[:300])
    with pytest.raises(InputError, match=r"header\.ptu: cannot be read as a PicoQuant PTU"):
        ptu_metadata(header_only)
    junk = tmp_path / "junk.ptu"
    junk.write_bytes(b"not a ptu file at all" * 10)
    with pytest.raises(InputError, match="junk.ptu"):
        read_ptu_histograms(junk)


def test_input_file_not_modified():
    # tsbischof/picoquant-sample-data hydraharp/v20_t3.ptu
    before = hashlib.sha256(V20_T3.read_bytes()).hexdigest()
    read_ptu_decay(V20_T3, channel=1)
    assert hashlib.sha256(V20_T3.read_bytes()).hexdigest() == before


def test_decay_histogram_shuffled_records_same():
    rng = np.random.default_rng(1)
    dtime = rng.integers(0, 50, 1000)
    chan = rng.integers(-1, 2, 1000)
    dtime.setflags(write=False)
    chan.setflags(write=False)
    h = decay_histogram(dtime, chan, n_bins=50, channels=[0, 1])
    order = rng.permutation(1000)
    np.testing.assert_array_equal(h, decay_histogram(dtime[order], chan[order], n_bins=50, channels=[0, 1]))
    assert h.sum() == np.sum(chan >= 0)


@pytest.mark.parametrize("path", [V20_T3, V10_T3])
def test_histogram_path_equals_the_record_path(path):
    # tsbischof/picoquant-sample-data hydraharp/v20_t3.ptu, v10_t3.ptu f8bf205: without a window
    # the histograms come from ptufile's decode_histogram; a window covering the whole
    # acquisition goes through the decoded records: same bins, counts and metadata.
    t_fast, fast, m_fast = read_ptu_histograms(path)
    t_rec, rec, m_rec = read_ptu_histograms(path, acquisition_window_s=(0.0, 1e9))
    assert fast.dtype == rec.dtype == np.int64
    np.testing.assert_array_equal(fast, rec)
    np.testing.assert_array_equal(t_fast, t_rec)
    m_rec.pop("acquisition_window_s")
    assert m_fast == m_rec
    assert m_fast["counts_per_channel"] == ptu_metadata(path)["counts_per_channel"]
