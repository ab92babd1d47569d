"""Tests of the steps in multiphoton.pipeline.steps.gain (ta_map, laser_series, time_series)."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from multiphoton.data import Absorption, SpectralTimeSeries, SpectrumSeries, TAMap
from multiphoton.errors import InputError
from multiphoton.pipeline.steps.gain import LASER_SERIES, TA_MAP, TIME_SERIES
from steps_support import run

REAL_TA = (Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "real" / "ta"
           / "demo_data_Hippius_etal_JPCC2007_111_13988_Figs5_9.ascii")


def _json_ok(results):
    json.dumps(results.plots_to_json(), allow_nan=False)


def _ta():
    e = np.linspace(1.7, 2.3, 151)
    d = np.concatenate([[-2.0, -1.5, -1.0], np.geomspace(0.5, 10000.0, 40)])
    rng = np.random.default_rng(0)
    dA = -0.6 * np.exp(-((e - 2.0) / 0.12) ** 2)[None, :] * np.exp(-np.clip(d, 0, None) / 3000.0)[:, None]
    dA[d <= 0] = 0
    return TAMap(d, e, dA + rng.normal(0, 1e-3, dA.shape)), Absorption(e, np.full(e.size, 0.15))


def test_ta_map_with_ground_state():
    ta, gs = _ta()
    ctx = run(TA_MAP, {"file": ta, "ground_state": gs}, sample="QS-8.2", bandwidth_delay_ps=10)
    q = ctx.samples["QS-8.2"]
    assert q["gain_bandwidth_meV"].value == pytest.approx(280, rel=0.03)
    assert q["gain_lifetime_ns"].value == pytest.approx(4.0, rel=0.05)
    assert not ctx.warnings
    plot, = ctx.plots
    assert plot.family == "ta_map" and plot.measurement == 3 and plot.bandwidth_delay_ps == 10
    assert len(plot.net_absorbance) == ta.delay_ps.size and len(plot.gain_region_eV) == 1
    _json_ok(ctx)


def test_ta_map_bad_delay_names_the_field():
    ta, gs = _ta()
    with pytest.raises(InputError, match=r"measurement #4 .*bandwidth_delay_ps"):
        run(TA_MAP, {"file": ta, "ground_state": gs}, bandwidth_delay_ps=1e6)


@pytest.mark.skipif(not REAL_TA.exists(), reason=f"real TA map not found at {REAL_TA}")
def test_real_ta_map_without_ground_state_is_a_warning():
    # Hippius et al., J. Phys. Chem. C 2007, 111, 13988 (pyglotaran-examples, MIT), read by
    # the project's reader: no ground state → no gain claimed, two warnings, ΔA still plotted.
    from multiphoton.io.ta_ascii import read_ta_ascii

    ctx = run(TA_MAP, {"file": read_ta_ascii(REAL_TA)})
    assert ctx.samples == {}
    assert [(w.quantity, w.reason) for w in ctx.warnings] == [
        ("gain_bandwidth_meV", "no ground-state spectrum: net gain undefined"),
        ("gain_lifetime_ns", "no ground-state spectrum: net gain undefined"),
    ]
    plot, = ctx.plots
    assert plot.ground_state is None and plot.net_absorbance is None
    _json_ok(ctx)


def _laser(line=True):
    e = np.linspace(1.75, 1.85, 1001)
    f = np.array([0.3, 0.5, 0.7, 0.85, 1.0, 1.2, 1.4, 1.6, 1.8, 2.0, 2.3, 2.6])
    rng = np.random.default_rng(0)
    pl = 200 * f[:, None] ** 2 * np.exp(-((e - 1.80) / 0.03) ** 2)[None, :]
    lor = (0.77e-3 / 2 / np.pi) / ((e - 1.802) ** 2 + (0.77e-3 / 2) ** 2)
    c = pl + line * 0.5 * np.clip(f - 1.1, 0, None)[:, None] * lor[None, :] + rng.normal(0, 2, (f.size, e.size))
    return SpectrumSeries(f, e, c)


def test_laser_series():
    ctx = run(LASER_SERIES, {"file": _laser()}, sample="QS-8.2")
    q = ctx.samples["QS-8.2"]
    assert q["laser_threshold_mJ_cm2"].value == pytest.approx(1.1, rel=0.05)
    assert q["laser_linewidth_meV"].value == pytest.approx(0.77, rel=0.15)
    plot, = ctx.plots
    assert plot.family == "laser_series" and sum(plot.above) == 7 and len(plot.fit) == 2
    _json_ok(ctx)


def test_laser_series_without_lasing_warns():
    ctx = run(LASER_SERIES, {"file": _laser(line=False)})
    assert ctx.samples == {}
    assert {w.quantity for w in ctx.warnings} == {"laser_threshold_mJ_cm2", "laser_linewidth_meV"}
    assert all("narrower than the PL band" in w.reason for w in ctx.warnings)


def _time_series():
    e = np.linspace(1.76, 1.86, 801)
    t = np.arange(0.0, 1800.0 + 1, 60.0)
    rng = np.random.default_rng(0)
    c = np.array([100 * np.exp(-((e - 1.8) / 0.03) ** 2)
                  + 400 / (1 + ((e - 1.800 - ti / 60 / 3e3) / 4e-4) ** 2) for ti in t])
    return SpectralTimeSeries(t, e, c + rng.normal(0, 2, c.shape))


def test_time_series():
    ctx = run(TIME_SERIES, {"file": _time_series()}, sample="QS-8.2", rep_rate_Hz=200.0, fluence_mJ_cm2=1.5)
    q = ctx.samples["QS-8.2"]
    assert q["shots"].value == 360000.0 and q["shots"].stderr == 0.0
    assert q["mode_drift_meV_per_min"].value == pytest.approx(1 / 3, rel=0.02)
    assert q["intensity_retention"].value == pytest.approx(1.0, abs=0.05)
    plot, = ctx.plots
    assert plot.family == "time_series" and len(plot.mode_eV) == len(plot.mode_track)
    _json_ok(ctx)


def test_time_series_without_rep_rate_warns_for_shots():
    ctx = run(TIME_SERIES, {"file": _time_series()}, sample="QS-8.2")
    assert "shots" not in ctx.samples["QS-8.2"]
    assert [w.quantity for w in ctx.warnings] == ["shots"]
