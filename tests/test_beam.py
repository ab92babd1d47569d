"""Fluence from pulse energy or power and the beam; knife-edge radius; propagation."""
from __future__ import annotations

import math

import numpy as np
import pytest
from uncertainties import ufloat

from contract import AnalysisContract, Fails, SharedAxis
from multiphoton.analysis.beam import knife_edge_model, knife_edge_radius
from multiphoton.data import SpectrumSeries
from multiphoton.errors import InputError
from multiphoton.io import tidy
from multiphoton.pipeline import fluence
from multiphoton.results import Estimate
from multiphoton.units import peak_fluence_mJ_cm2, pulse_energy_uJ_from_power
from steps_support import options


def _scan(seed, *, w=150.0, noise=0.0025, falling=True, x=None):
    x = np.arange(-400.0, 401.0, 20.0) if x is None else x
    p = knife_edge_model(x, 0.0, 0.5, 13.0, -w if falling else w)
    return x, p + np.random.default_rng([seed, 151]).normal(0.0, noise, x.size)


def test_knife_edge_recovers_radius_with_calibrated_stderr():
    # 300 seeded scans (41 points, 0.5 % noise): the RMS of z is 1 within its sampling
    # error (1/√600 ≈ 0.04) plus the small-sample t inflation (√(37/35) ≈ 1.03): ±0.12.
    z = []
    for seed in range(300):
        e = knife_edge_radius(*_scan(seed, falling=seed % 2 == 0))
        z.append((e.value - 150.0) / e.stderr)
    z = np.array(z)
    assert abs(z.mean()) < 0.15
    assert 0.9 < np.sqrt(np.mean(z**2)) < 1.15


def test_fluence_formulas():
    # 1 mW at 1 kHz = 1 µJ; Gaussian peak 2E/(πw²); flat top half of it; stripe E/(L·W)
    assert float(pulse_energy_uJ_from_power(1.0, 1000.0)) == pytest.approx(1.0)
    w_cm = 100e-4
    assert float(peak_fluence_mJ_cm2(1.0, beam_radius_um=100.0)) == pytest.approx(2e-3 / (math.pi * w_cm**2))
    assert float(peak_fluence_mJ_cm2(1.0, beam_radius_um=100.0, beam_profile="flat-top")) == pytest.approx(
        1e-3 / (math.pi * w_cm**2))
    assert float(peak_fluence_mJ_cm2(1.0, stripe_length_um=1000.0, stripe_width_um=100.0)) == pytest.approx(1.0)
    f = peak_fluence_mJ_cm2(1.0, beam_radius_um=ufloat(100.0, 2.0))
    assert f.std_dev / f.nominal_value == pytest.approx(0.04)  # F ∝ w⁻²: twice the relative error
    with pytest.raises(InputError, match="needs beam_radius_um"):
        peak_fluence_mJ_cm2(1.0)


def test_tidy_reader_accepts_power_and_energy_columns(tmp_path):
    p = tmp_path / "s.csv"
    p.write_text("power_mW,energy_eV,counts\n0.2,1.8,5\n0.2,1.9,6\n0.1,1.8,2\n0.1,1.9,3\n", encoding="utf-8")
    s = tidy.read_spectrum_series(p)
    assert np.all(np.isnan(s.fluence_mJ_cm2))  # never a power relabelled as a fluence
    assert s.meta["excitation_column"] == "power_mW" and list(s.meta["excitation_values"]) == [0.1, 0.2]
    p.write_text("power_mW,fluence_mJ_cm2,energy_eV,counts\n0.2,1,1.8,5\n", encoding="utf-8")
    with pytest.raises(InputError, match="one column, found fluence_mJ_cm2 and power_mW"):
        tidy.read_spectrum_series(p)
    q = tmp_path / "d.csv"
    q.write_text("pulse_energy_uJ,time_ns,counts\n0.5,0,1\n0.5,1,2\n", encoding="utf-8")
    assert tidy.read_decay_series(q).meta["excitation_column"] == "pulse_energy_uJ"


def _power_series():
    return SpectrumSeries(np.full(3, np.nan), np.array([1.8, 1.9]), np.ones((3, 2)),
                          meta={"excitation_column": "power_mW", "excitation_values": np.array([0.1, 0.2, 0.4])})


def test_resolve_uses_the_knife_edge_and_propagates_its_uncertainty():
    o = options("laser_series", excitation_eV=1.55, rep_rate_Hz=1000.0, beam_radius_from="ke")
    knife = Estimate(value=150.0, stderr=3.0, method="knife-edge-erf", unit="um")
    data, rec, why = fluence.resolve({"file": _power_series()}, o, (("ke", knife),))
    assert why is None
    expected = 2 * np.array([0.1, 0.2, 0.4]) * 1e-3 / (math.pi * (150e-4) ** 2)  # 2E/(πw²), E = P/f
    np.testing.assert_allclose(data["file"].fluence_mJ_cm2, expected, rtol=1e-12)
    assert rec["relative_std_of_fluence_scale"] == pytest.approx(0.04)
    th = Estimate.from_ufloat(ufloat(1.1, 0.011), method="m", unit="mJ/cm2")
    n = Estimate(value=10.0, stderr=0.0, method="m")
    out = fluence.propagate({"laser_threshold_mJ_cm2": th, "excitons_at_threshold": n,
                             "laser_linewidth_meV": Estimate(value=0.8, stderr=0.01, method="m")}, rec)
    # threshold ∝ s: 1 % noise ⊕ 4 % beam; ⟨N⟩ ∝ s²: 8 %; the linewidth does not scale
    assert out["laser_threshold_mJ_cm2"].stderr == pytest.approx(1.1 * math.hypot(0.01, 0.04), rel=1e-9)
    assert out["excitons_at_threshold"].stderr == pytest.approx(0.8, rel=1e-9)
    assert out["laser_linewidth_meV"].stderr == 0.01
    assert out["laser_linewidth_meV"].details["beam"]["fluence_exponent"] == 0


def test_resolve_refuses_a_power_file_without_beam_or_rep_rate():
    o = options("laser_series", excitation_eV=1.55, rep_rate_Hz=1000.0)
    with pytest.raises(InputError, match="no beam: add beam_radius_um"):
        fluence.resolve({"file": _power_series()}, o, ())
    o = options("laser_series", excitation_eV=1.55, beam_radius_um=[100.0, 1.0])
    with pytest.raises(InputError, match="add rep_rate_Hz"):
        fluence.resolve({"file": _power_series()}, o, ())
    o = options("laser_series", excitation_eV=1.55, rep_rate_Hz=1e3, beam_radius_from="ke")
    failed = Estimate(value=float("nan"), stderr=float("nan"), method="m", success=False, message="no edge")
    assert "no edge" in fluence.resolve({"file": _power_series()}, o, (("ke", failed),))[2]


class TestKnifeEdgeRadiusContract(AnalysisContract):
    function = staticmethod(knife_edge_radius)
    shared_axes = (SharedAxis({"position_um": 0, "power": 0}, ignore=(".residuals",)),)
    rtol = 1e-6  # the same least-squares problem, points in another order
    failure = Fails(match="does not cross the beam edge")

    def inputs(self, seed):
        x, p = _scan(seed)
        return {"position_um": x, "power": p}, {}

    def failure_inputs(self):
        x = np.linspace(-50, 50, 20)
        return {"position_um": x, "power": np.full(x.size, 0.5)}, {}


class TestKnifeEdgeModelContract(AnalysisContract):
    function = staticmethod(knife_edge_model)
    shared_axes = (SharedAxis({"position_um": 0}, outputs={"": 0}),)
    skip = {"failure": "a closed-form model defined everywhere"}

    def inputs(self, seed):
        return {"position_um": np.random.default_rng(seed).uniform(-300, 300, 12), "p_min": 0.0, "p_max": 1.0,
                "x0_um": 5.0, "w_um": 100.0}, {}


def test_too_few_positions_raise():
    with pytest.raises(InputError, match="at least 6 positions"):
        knife_edge_radius([0, 1, 2], [0, 1, 2])


def _campaign(tmp_path, *, ref="ke", knife_sample="A"):
    x, p = _scan(3)
    (tmp_path / "ke.csv").write_text("position_um,power\n" + "".join(f"{a},{b}\n" for a, b in zip(x, p)),
                                     encoding="utf-8")
    e = np.linspace(1.7, 2.1, 81)
    shape = np.exp(-0.5 * ((e - 1.9) / 0.04) ** 2)
    rows = ["power_mW,energy_eV,counts"]
    for k, pw in enumerate([0.05, 0.1, 0.2, 0.4, 0.8]):
        counts = np.random.default_rng([k, 152]).poisson(2e3 * (pw / 0.05) ** 2 * shape)
        rows += [f"{pw},{a:.4f},{c}" for a, c in zip(e, counts)]
    (tmp_path / "pl.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    m = tmp_path / "m.toml"
    m.write_text(f'[[sample]]\nid = "A"\n[[sample]]\nid = "B"\n'
                 f'[[measurement]]\nsample = "{knife_sample}"\nkind = "knife_edge"\nname = "ke"\nfile = "ke.csv"\n'
                 f'[[measurement]]\nsample = "A"\nkind = "pl_fluence_series"\nfile = "pl.csv"\nexcitation_eV = 1.55\n'
                 f'rep_rate_Hz = 1000.0\nbeam_radius_from = "{ref}"\n', encoding="utf-8")
    return m


def test_pipeline_power_series_with_knife_edge(tmp_path):
    from multiphoton.pipeline.core import analyze

    q = analyze(_campaign(tmp_path)).samples["A"]
    w = q["beam_radius_um"]
    assert abs(w.value - 150.0) < 4 * w.stderr  # the scan's truth; 4σ: one seed, t-tails
    beam = q["pl_order"].details["beam"]
    assert beam["fluence_exponent"] == 0 and "knife_edge 'ke'" in beam["fluence"]
    assert beam["relative_std_of_fluence_scale"] == pytest.approx(2 * w.stderr / w.value)
    assert abs(q["pl_order"].value - 2.0) < 0.05  # counts ∝ P²: the order does not depend on w


@pytest.mark.parametrize("kw, match", [
    ({"ref": "kx"}, "no knife_edge measurement of sample 'A' is named 'kx' \\(knife edges of this sample: ke\\)"),
    ({"knife_sample": "B"}, "no knife_edge measurement of sample 'A' is named 'ke'"),
])
def test_manifest_checks_beam_radius_from(tmp_path, kw, match):
    from multiphoton.io.manifest import read_manifest

    with pytest.raises(InputError, match=match):
        read_manifest(_campaign(tmp_path, **kw))
