"""SDT reader: Becker & Hickl files from easunarunachalam/pyTCSPC (MIT), 30f37fd
(examples/fit_from_image/sample_data/IRF.sdt, tests/data_flimfit/test_IRF.sdt)."""
from pathlib import Path

import numpy as np
import pytest
import sdtfile

from multiphoton.errors import InputError
from multiphoton.io.sdt import read_sdt_decay, sdt_metadata

REAL = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "real"
pytestmark = pytest.mark.skipif(not REAL.is_dir(), reason=f"real instrument files absent ({REAL})")
IRF = REAL / "sdt" / "IRF.sdt"  # easunarunachalam/pyTCSPC examples/fit_from_image/sample_data/IRF.sdt, MIT
TEST_IRF = REAL / "sdt" / "test_IRF.sdt"  # easunarunachalam/pyTCSPC tests/data_flimfit/test_IRF.sdt, MIT


def test_irf_blocks_exact():
    # easunarunachalam/pyTCSPC IRF.sdt: 2 blocks × 4096 bins × 2.927 ps; block 1 the IRF (3.7 M counts)
    m = sdt_metadata(IRF)
    assert m["number_blocks"] == 2
    assert [b["bins"] for b in m["blocks"]] == [4096, 4096]
    assert [b["total_counts"] for b in m["blocks"]] == [9_223, 3_700_666]
    for b in m["blocks"]:
        assert b["time_step_ps"] == pytest.approx(2.927, abs=5e-4)
    d = read_sdt_decay(IRF, block=1)
    assert d.counts.shape == d.time_ns.shape == (4096,)
    assert d.counts.sum() == 3_700_666
    assert np.diff(d.time_ns) == pytest.approx(2.927442e-3, rel=1e-5)
    with sdtfile.SdtFile(IRF) as sdt:  # same numbers as sdtfile's own arrays
        np.testing.assert_array_equal(d.counts, sdt.data[1][0])
        np.testing.assert_allclose(d.time_ns, sdt.times[1] * 1e9)


def test_test_irf_blocks():
    # easunarunachalam/pyTCSPC test_IRF.sdt: 2 blocks of 4096 bins
    m = sdt_metadata(TEST_IRF)
    assert [b["shape"] for b in m["blocks"]] == [[1, 4096], [1, 4096]]
    assert [b["total_counts"] for b in m["blocks"]] == [19_785, 3_453_132]
    assert m["blocks"][1]["tac_gain"] == 5 and m["blocks"][1]["adc_resolution"] == 4096


def test_block_choice_required_and_checked():
    # easunarunachalam/pyTCSPC IRF.sdt
    with pytest.raises(InputError, match=r"2 data blocks .*block 1: shape \(1, 4096\), 3700666 counts"):
        read_sdt_decay(IRF)
    with pytest.raises(InputError, match="block=7 does not exist"):
        read_sdt_decay(IRF, block=7)
    g = read_sdt_decay(IRF, block=1, gate_ns=(1.0, 2.0))
    assert g.time_ns.min() >= 1.0 and g.time_ns.max() < 2.0


def test_truncated_copy(tmp_path):
    # easunarunachalam/pyTCSPC IRF.sdt, truncated copies
    raw = IRF.read_bytes()
    for n in (len(raw) - 5000, 200):
        bad = tmp_path / f"cut{n}.sdt"
        bad.write_bytes(raw[:n])
        with pytest.raises(InputError, match=rf"cut{n}\.sdt"):
            read_sdt_decay(bad, block=1)
