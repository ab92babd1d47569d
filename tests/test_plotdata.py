"""Typed plot data: read-only arrays, a JSON round trip that loses nothing, strict reading
(unknown family or key refused, naming it), and shapes checked against the axes."""
from __future__ import annotations

import dataclasses
import json
import math
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from report_fixtures import REQUIRED_KEYS, make_plots  # noqa: E402

from multiphoton.errors import InputError  # noqa: E402
from multiphoton.plotdata import (  # noqa: E402
    PLOT_TYPES, PlotData, TAMapPlot, TimeSeriesPlot, TRPLPlot, plot_from_json,
)
from multiphoton.results import Results  # noqa: E402

PLOTS = {p.family: p for p in make_plots("QS-4.5")}


def test_one_class_per_family():
    assert set(PLOT_TYPES) == set(PLOTS)
    for family, cls in PLOT_TYPES.items():
        assert cls.family == family and issubclass(cls, PlotData)


@pytest.mark.parametrize("family", sorted(PLOT_TYPES))
def test_json_round_trip(family):
    plot = PLOTS[family]
    doc = json.loads(json.dumps(plot.to_json(), allow_nan=False))
    assert doc["family"] == family and doc["sample"] == "QS-4.5"
    back = plot_from_json(doc)
    assert type(back) is type(plot) and back == plot and back.to_json() == doc


@pytest.mark.parametrize("family", sorted(PLOT_TYPES))
def test_arrays_are_read_only_copies(family):
    plot = PLOTS[family]
    for f in dataclasses.fields(plot):
        value = getattr(plot, f.name)
        if isinstance(value, np.ndarray):
            assert not value.flags.writeable
            with pytest.raises(ValueError):
                value[...] = 0
    with pytest.raises(dataclasses.FrozenInstanceError):
        plot.sample = "other"


def test_input_arrays_are_not_frozen_or_shared():
    energy = np.linspace(1.8, 2.0, 5)
    p = PLOT_TYPES["pl_spectrum"](sample="A", measurement=0, energy_eV=energy, counts=np.ones(5))
    assert energy.flags.writeable
    energy[0] = 0.0
    assert p.energy_eV[0] == pytest.approx(1.8)


def test_nan_becomes_none_and_none_in_arrays_becomes_nan():
    p = TRPLPlot(sample="A", measurement=1, time_ns=[0.0, 1.0], fluence_mJ_cm2=[1.0],
                 normalized=[[1.0, None]], window_ns=[0.5, 1.0], low_fluence=[True],
                 residual_time_ns=[0.0], residual=[float("nan")], tau_xx_ns=float("nan"))
    assert p.tau_xx_ns is None and math.isnan(p.normalized[0, 1])
    doc = p.to_json()
    assert doc["normalized"] == [[1.0, None]] and doc["residual"] == [None]
    json.dumps(doc, allow_nan=False)


def test_unknown_family_and_key_are_refused():
    doc = PLOTS["trpl"].to_json()
    with pytest.raises(InputError, match="family 'trpI' is unknown; known families: pl_spectrum"):
        plot_from_json({**doc, "family": "trpI"})
    with pytest.raises(InputError, match="family 'trpl': unknown key 'tau_xx'; did you mean 'tau_xx_ns'"):
        plot_from_json({**doc, "tau_xx": 1.0})
    with pytest.raises(InputError, match="must be an object"):
        plot_from_json(["trpl"])


@pytest.mark.parametrize(("family", "key"), [(f, k) for f, keys in sorted(REQUIRED_KEYS.items())
                                             for k in keys])
def test_missing_required_key_is_named(family, key):
    doc = {k: v for k, v in PLOTS[family].to_json().items() if k != key}
    with pytest.raises(InputError, match=f"family '{family}'.*missing key '{key}'"):
        plot_from_json(doc)


def test_optional_keys_may_be_missing():
    doc = {k: v for k, v in PLOTS["trpl"].to_json().items() if k not in ("tau_xx_ns", "residual_fit")}
    assert plot_from_json(doc).tau_xx_ns is None


def test_shapes_are_checked_against_the_axes():
    plot = PLOTS["pl_fluence_series"]
    with pytest.raises(InputError, match="'integrated' has 4 entries, expected 5"):
        dataclasses.replace(plot, integrated=plot.integrated[:-1])
    with pytest.raises(InputError, match=r"'counts' has \(5, 59\) entries, expected \(5, 60\)"):
        dataclasses.replace(plot, counts=plot.counts[:, 1:])
    with pytest.raises(InputError, match="'counts' has 1 dimensions, expected 2"):
        dataclasses.replace(plot, counts=plot.counts[0])
    with pytest.raises(InputError, match="'window_ns' has 3 entries, expected 2"):
        dataclasses.replace(PLOTS["trpl"], window_ns=[1.0, 2.0, 3.0])
    with pytest.raises(InputError, match="'used' must hold true/false flags"):
        dataclasses.replace(plot, used=[1, 1, 0, 0, 0])
    with pytest.raises(InputError, match="'gain_region_eV' must be"):
        dataclasses.replace(PLOTS["ta_map"], gain_region_eV=[[1.0, 2.0, 3.0]])
    with pytest.raises(InputError, match="'measurement' must be an integer"):
        dataclasses.replace(plot, measurement="0")
    with pytest.raises(InputError, match="'bandwidth_delay_ps' is required"):
        dataclasses.replace(PLOTS["ta_map"], bandwidth_delay_ps=float("nan"))


def test_empty_arrays_are_kept():
    ts = dataclasses.replace(PLOTS["time_series"], mode_time_s=[], mode_eV=[], mode_track=[])
    assert ts.mode_eV.shape == (0,) and ts.to_json()["mode_eV"] == []
    ta = dataclasses.replace(PLOTS["ta_map"], gain_region_eV=[])
    assert plot_from_json(ta.to_json()) == ta


def test_what_the_producers_write_today_is_read():
    # the pipeline's dicts: numpy arrays, lists with None, ta_map without a ground state
    ta = TAMapPlot(sample="A", measurement=0, delay_ps=np.arange(3.0), energy_eV=np.arange(4.0),
                   bandwidth_delay_ps=1.0, gain_delays_ps=[1.0], gain_region_eV=[],
                   net_absorbance=None, dA=np.zeros((3, 4)), ground_state=None, noise_od=0.01,
                   gain_lifetime_ns=None)
    assert ta.net_absorbance is None and ta.dA.shape == (3, 4)
    ts = TimeSeriesPlot(sample="A", measurement=1, time_s=np.arange(2.0), energy_eV=np.arange(3.0),
                        counts=np.ones((2, 3)), integrated=np.ones(2), mode_time_s=np.array([0.0]),
                        mode_eV=np.array([1.9]), mode_track=np.array([0]),
                        mode_events=[{"time_s": 0.0, "kind": "appear", "track": 0, "parent": None}])
    assert ts.mode_events[0]["kind"] == "appear" and plot_from_json(ts.to_json()) == ts


def test_results_write_the_plot_list():
    r = Results(plots=list(PLOTS.values()))
    doc = json.loads(json.dumps(r.plots_to_json(), allow_nan=False))
    assert [plot_from_json(d) for d in doc] == r.plots
