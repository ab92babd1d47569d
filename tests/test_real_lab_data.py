"""Real lab files (issue #13): IRFs on other grids, single decays, wide tables, models that do not apply.

Files from /work/shared/data/real (SOURCES.md):
- ptu/v20_t3.ptu: tsbischof/picoquant-sample-data, hydraharp/v20_t3.ptu, f8bf205 (BSD-3-Clause)
- sdt/IRF.sdt: easunarunachalam/pyTCSPC, examples/fit_from_image/sample_data/IRF.sdt, 30f37fd (MIT)
- trpl/Seo_FAPI1_Glass_0.dat, _2.dat: manuelkoberczerny/assessing-TRPL-with-bayesian-inference_and-MCMC,
  Example_Data/TRPL/, 1f1e649 (MIT)
- pl/CdSe_QD_PL_vs_growth_time.csv: angzeli/Imperial-MS-3.02-CdSe-quantum-dots, Data/, 12ea2e5 (MIT)
- sif/raman1.sif: fujiisoup/sif_parser, testings/examples_with_calibration/, 8362a48 (BSD-3-Clause)
"""
from pathlib import Path

import numpy as np
import pytest

from multiphoton.analysis import spectra
from multiphoton.data import DecaySeries
from multiphoton.io import vendor
from multiphoton.pipeline.loading import _read
from multiphoton.pipeline.steps.pl import PL_SPECTRUM, peak
from multiphoton.pipeline.steps.trpl import TRPL_SERIES
from steps_support import run

REAL = Path(__file__).resolve().parents[1] / ".." / ".." / "shared" / "data" / "real"
if not REAL.is_dir():
    REAL = Path("/work/shared/data/real")
pytestmark = pytest.mark.skipif(not REAL.is_dir(), reason="real instrument files not present")


def test_lifetime_from_one_ptu_decay_with_the_sdt_irf():
    decay = vendor.read_decay(REAL / "ptu/v20_t3.ptu", channel="sum")  # 64 ps bins, 200 ns
    irf = vendor.read_decay(REAL / "sdt/IRF.sdt", block=1)  # 2.93 ps bins, 12 ns: another grid
    series = DecaySeries([1.0], decay.time_ns, decay.counts[None, :])
    r = run(TRPL_SERIES, {"file": series, "irf": irf})
    q = r.samples["QS"]
    x = q["tau_x_ns"]
    assert x.success and x.method == "tail-model-selection"
    # the trace is not one exponential: AICc prefers several components (1exp is > 300 worse)
    aicc = x.details["aicc"]
    assert x.details["model"] != "1exp" and aicc["1exp"] - aicc[x.details["model"]] > 100
    assert x.details["tau_amplitude_weighted_ns"] < x.details["tau_intensity_weighted_ns"]
    assert 0 < x.details["fit_range_ns"][0] < x.details["fit_range_ns"][1] <= decay.time_ns[-1]
    y = q["tau_x_irf_ns"]
    grid = y.details["irf_on_grid"]
    assert y.success and grid["rebinned"] and abs(grid["irf_bin_ns"] - 0.002927) < 1e-5
    assert abs(grid["decay_bin_ns"] - 0.064) < 1e-6 and grid["counts_kept_fraction"] > 0.999
    # the two methods (tail from peak + 3 rise widths; reconvolution of the whole trace with
    # the rebinned IRF, which weighs the fast early component more) agree within 15 %, and
    # when they differ beyond 3 combined σ tau_x_ns says so
    assert abs(x.value / y.value - 1) < 0.15
    clash = [w for w in r.warnings if w.quantity == "tau_x_ns" and "combined sigma apart" in w.reason]
    assert bool(clash) == (abs(x.value - y.value) > 3 * np.hypot(x.stderr, y.stderr))
    assert any(w.quantity == "tau_xx_ns" and "only one fluence" in w.reason for w in r.warnings)
    assert any(w.quantity == "tau_x_ns" and "not one exponential" in w.reason for w in r.warnings)


@pytest.mark.slow  # the global cascade fit on 2 × 10,000 bins takes ~1 min
def test_fapbi3_lifetimes_only_with_a_reason():
    traces = [vendor.read_decay(REAL / f"trpl/Seo_FAPI1_Glass_{k}.dat") for k in (0, 2)]
    fluence = [10.0 ** -t.meta["attenuation_od"] for t in traces]  # header OD0.0 and OD1.0
    series = DecaySeries(fluence, traces[0].time_ns, np.stack([t.counts for t in traces]))
    r = run(TRPL_SERIES, {"file": series})
    q = r.samples["QS"]
    for name in ("tau_x_ns", "tau_xx_ns"):
        reasons = [w.reason for w in r.warnings if w.quantity == name]
        assert name not in q or reasons, f"{name} reported without a warning"
    (xx,) = [w.reason for w in r.warnings if w.quantity == "tau_xx_ns"]
    assert "Klimov's premise fails" in xx and "not one exponential" in xx
    (x,) = [w.reason for w in r.warnings if w.quantity == "tau_x_ns"]
    assert "combined sigma apart" in x  # tail 5.5 µs vs cascade 2.8 µs


def test_cdse_growth_series_read_whole_as_a_wide_table():
    path = REAL / "pl/CdSe_QD_PL_vs_growth_time.csv"
    s = _read(path, "time_series", None, {"layout": "wide"}, "test")
    assert s.counts.shape == (18, 151) and s.time_s[0] == 30.0 and s.time_s[-1] == 600.0
    peaks = []
    for c in s.counts:
        base, how = spectra.wing_baseline(s.energy_eV, c)
        p = peak(s.energy_eV, c - base)
        assert p.success and how["kind"] in ("linear", "constant")
        lo, hi = p.details.get("fit_range_eV", [s.energy_eV[0], s.energy_eV[-1]])
        assert s.energy_eV[0] < lo < p.value < hi < s.energy_eV[-1]  # no fit beyond the data
        peaks.append(p)
    # growing dots: the peak red-shifts monotonically from 30 to 480 s (each step within
    # 2 combined stderr of non-increasing energy); 570 and 600 s are blue of 480 s in the
    # raw maxima too (2.361/2.371 eV vs 2.344 eV): that reversal is in the data
    grow = peaks[:16]
    for a, b in zip(grow, grow[1:]):
        assert b.value < a.value + 2 * np.hypot(a.stderr, b.stderr)
    assert grow[0].value - grow[-1].value > 0.25
    raw = s.energy_eV[np.argmax(s.counts, axis=1)]
    assert raw[16] > raw[15] and peaks[16].value > peaks[15].value


def test_raman_edge_maximum_is_not_a_pl_peak():
    sp = vendor.read_spectrum(REAL / "sif/raman1.sif")
    r = run(PL_SPECTRUM, {"file": sp})
    assert "pl_peak_eV" not in r.samples.get("QS", {})
    (w,) = [w for w in r.warnings if w.quantity == "pl_peak_eV"]
    assert "edge of the data" in w.reason
