"""The global lifetime analysis inside the ``ta_map`` step (pipeline/steps/ta_global.py)."""
from __future__ import annotations

import json

import numpy as np
import pytest

from multiphoton.data import TAMap
from multiphoton.errors import InputError
from multiphoton.pipeline.steps.gain import TA_MAP
from multiphoton.simulate.ta_global import global_ta_map
from steps_support import run


def _map(seed=0, **kw):
    sim = global_ta_map(np.random.default_rng([seed, 1717]), n_delays=100, n_energies=30, **kw)
    return sim, TAMap(sim["delay_ps"], sim["energy_eV"], sim["dA"])


def test_global_components_without_ground_state():
    sim, ta = _map()
    ctx = run(TA_MAP, {"file": ta}, sample="S", global_components=2, global_artefact=False,
              bandwidth_delay_ps=10)
    q = ctx.samples["S"]
    assert set(q) == {"ta_tau1_ps", "ta_tau2_ps"}
    for name, truth in zip(("ta_tau1_ps", "ta_tau2_ps"), sim["truth"]["tau_ps"]):
        assert abs(q[name].value - truth) < 4 * q[name].stderr  # calibrated stderr (slow coverage test)
        assert q[name].details["options"]["global_components"] == 2
        assert "svd_rank" in q[name].details
    warned = {w.quantity for w in ctx.warnings}
    assert {"gain_bandwidth_meV", "gain_lifetime_ns"} <= warned  # no ground state: gain undefined
    plot = next(p for p in ctx.plots if p.family == "ta_global")
    assert plot.das.shape == (2, 30) and plot.trace_energies_eV.size >= 1
    json.dumps(ctx.plots_to_json(), allow_nan=False)


def test_auto_components_records_its_reason():
    _, ta = _map(1)
    ctx = run(TA_MAP, {"file": ta}, sample="S", global_components="auto", global_artefact=False)
    q = ctx.samples["S"]
    assert {"ta_tau1_ps", "ta_tau2_ps"} <= set(q) and "ta_tau3_ps" not in q
    assert "3 components" in q["ta_tau1_ps"].details["auto_reason"]


def test_too_few_delays_names_the_measurement():
    sim, _ = _map()
    d = sim["delay_ps"][::13]
    ta = TAMap(d, sim["energy_eV"], sim["dA"][::13])
    with pytest.raises(InputError, match=rf"global analysis: only {d.size} delays.*lower `global_components`"):
        run(TA_MAP, {"file": ta}, global_components=3, bandwidth_delay_ps=float(d[3]))


def test_bad_global_components_value_is_refused():
    _, ta = _map()
    with pytest.raises(InputError, match="whole number or \"auto\""):
        run(TA_MAP, {"file": ta}, global_components="three")
    with pytest.raises(InputError, match="≤ 6"):
        run(TA_MAP, {"file": ta}, global_components=7)
