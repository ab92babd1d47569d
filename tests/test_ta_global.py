"""Global lifetime analysis of TA maps (analysis/ta_global.py, analysis/ta_svd.py).

Truth from simulate/ta_global.py; the real map is
/work/shared/data/real/ta/demo_data_Hippius_etal_JPCC2007_111_13988_Figs5_9.ascii
(Hippius et al., J. Phys. Chem. C 111, 13988 (2007); see shared/data/real/SOURCES.md).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from contract import AnalysisContract, Raises, SharedAxis

from multiphoton.analysis.ta_global import fit_global, sequential_spectra
from multiphoton.analysis.ta_svd import choose_components, svd_map
from multiphoton.errors import InputError
from multiphoton.simulate.ta_global import global_ta_map, global_ta_model

HIPPIUS = Path("/work/shared/data/real/ta/demo_data_Hippius_etal_JPCC2007_111_13988_Figs5_9.ascii")


def _sim(seed, **kw):
    kw = {"n_delays": 120, "n_energies": 40, **kw}
    return global_ta_map(np.random.default_rng([seed, 17]), **kw)


def _fit(sim, **kw):
    # the simulated maps have no coherent artefact unless asked: an artefact term fitted to a
    # map without one leaves t0 and σ unidentified (docs/ta-global.md), so fit without
    return fit_global(sim["delay_ps"], sim["energy_eV"], sim["dA"], **{"n_components": 2, "artefact": False, **kw})


class TestFitGlobal(AnalysisContract):
    function = staticmethod(fit_global)
    shared_axes = (SharedAxis({"delay_ps": 0, "dA": 0}), SharedAxis({"energy_eV": 0, "dA": 1}))
    rtol = 1e-12  # the map is sorted first: the same arithmetic in any input order
    failure = Raises(InputError, match="needs at least")

    def inputs(self, seed):
        sim = _sim(seed, n_delays=60, n_energies=24)
        return {"delay_ps": sim["delay_ps"], "energy_eV": sim["energy_eV"], "dA": sim["dA"]}, {"n_components": 2}

    def failure_inputs(self):
        sim = _sim(0, n_delays=12, n_energies=24)
        return {"delay_ps": sim["delay_ps"], "energy_eV": sim["energy_eV"], "dA": sim["dA"]}, {"n_components": 3}


class TestSvdMap(AnalysisContract):
    function = staticmethod(svd_map)
    shared_axes = (SharedAxis({"delay_ps": 0, "dA": 0}), SharedAxis({"energy_eV": 0, "dA": 1}))
    rtol, atol = 1e-9, 1e-12  # LAPACK on the sorted map: the same matrix
    failure = Raises(InputError, match="no finite")

    def inputs(self, seed):
        sim = _sim(seed, n_delays=50, n_energies=20)
        return {"delay_ps": sim["delay_ps"], "energy_eV": sim["energy_eV"], "dA": sim["dA"]}, {}

    def failure_inputs(self):
        return {"delay_ps": np.arange(4.0), "energy_eV": np.arange(3.0) + 2, "dA": np.full((4, 3), np.nan)}, {}


class TestChooseComponents(AnalysisContract):
    function = staticmethod(choose_components)
    shared_axes = (SharedAxis({"delay_ps": 0, "dA": 0}),)
    rtol = 1e-12
    failure = Raises(InputError, match="max_components")
    skip = {"lists": "fit_global's list handling is checked by TestFitGlobal; this only loops over K"}

    def inputs(self, seed):
        sim = _sim(seed, n_delays=60, n_energies=20)
        return ({"delay_ps": sim["delay_ps"], "energy_eV": sim["energy_eV"], "dA": sim["dA"]},
                {"max_components": 3})

    def failure_inputs(self):
        args, _ = self.inputs(0)
        return args, {"max_components": 9}


class TestSequentialSpectra(AnalysisContract):
    function = staticmethod(sequential_spectra)
    shared_axes = (SharedAxis({"das": 1}, outputs={"": 1}),)
    rtol = 1e-12
    failure = Raises(InputError, match="distinct")

    def inputs(self, seed):
        rng = np.random.default_rng(seed)
        return {"tau_ps": np.array([1.0, 10.0, 100.0]), "das": rng.normal(size=(3, 7))}, {}

    def failure_inputs(self):
        return {"tau_ps": np.array([2.0, 2.0]), "das": np.ones((2, 3))}, {}


def test_sequential_spectra_rebuild_the_das():
    """EAS of A → B → C evolve into the same map as the DAS (ΔA linear in both)."""
    rng = np.random.default_rng(3)
    tau, eas = np.array([1.0, 7.0]), rng.normal(size=(3, 5))
    t = np.linspace(0, 60, 400)
    k1, k2 = 1 / tau
    ca = np.exp(-k1 * t)
    cb = k1 / (k2 - k1) * (np.exp(-k1 * t) - np.exp(-k2 * t))
    cc = 1 - ca - cb
    maps = np.outer(ca, eas[0]) + np.outer(cb, eas[1]) + np.outer(cc, eas[2])
    basis = np.column_stack([np.exp(-k1 * t), np.exp(-k2 * t), np.ones_like(t)])
    das = np.linalg.lstsq(basis, maps, rcond=None)[0]
    got = sequential_spectra(tau, das[:2], offset=das[2])
    np.testing.assert_allclose(got, eas, atol=1e-9)


def test_recovers_simulated_truth():
    """Lifetimes, IRF, chirp and DAS within 4 stderr of the truth (noise 1e-3 OD on 0.02 OD)."""
    sim = _sim(5, n_components=3, n_delays=160, n_energies=60)
    res = _fit(sim, n_components=3)
    tr = sim["truth"]
    assert res.success, res.message
    for est, t in zip(res.taus, tr["tau_ps"]):
        assert abs(est.value - t) < 4 * est.stderr, (est.value, est.stderr, t)
    assert abs(res.irf_fwhm.value - tr["irf_fwhm_ps"]) < 4 * res.irf_fwhm.stderr
    for est, c in zip(res.chirp, tr["chirp_coeffs_ps"]):
        assert abs(est.value - c) < 4 * est.stderr
    z = (res.das - tr["das"]) / res.das_stderr
    assert 0.7 < np.sqrt(np.mean(z**2)) < 1.3  # 180 spectral values: RMS z within ±30 %
    assert abs(res.noise_od - tr["noise_od"]) < 0.05 * tr["noise_od"]


def test_wavelength_axis_and_shuffle_give_the_same_fit():
    """A map on a descending energy grid (as from wavelengths), rows shuffled: same lifetimes."""
    sim = _sim(6)
    rng = np.random.default_rng(0)
    pd, pe = rng.permutation(sim["delay_ps"].size), np.arange(sim["energy_eV"].size)[::-1]
    a = _fit(sim)
    b = fit_global(sim["delay_ps"][pd], sim["energy_eV"][pe], sim["dA"][np.ix_(pd, pe)], n_components=2,
                   artefact=False)
    np.testing.assert_allclose([t.value for t in b.taus], [t.value for t in a.taus], rtol=1e-10)


def test_all_nan_rows_are_dropped_with_a_note():
    sim = _sim(7)
    dA = np.array(sim["dA"])
    dA[10] = np.nan
    dA[:, 3] = np.nan
    dA[50, 7] = np.nan  # one missing point: weight 0
    res = fit_global(sim["delay_ps"], sim["energy_eV"], dA, n_components=2, artefact=False)
    assert res.success
    assert "1 delay(s) with no finite" in res.message and "1 energy(ies)" in res.message
    assert res.delay_ps.size == sim["delay_ps"].size - 1 and res.energy_eV.size == sim["energy_eV"].size - 1
    for est, t in zip(res.taus, sim["truth"]["tau_ps"]):
        assert abs(est.value - t) < 4 * est.stderr


def test_wrong_given_chirp_is_flagged():
    sim = _sim(8)
    tr = sim["truth"]
    ok = _fit(sim, chirp_coeffs_ps=tr["chirp_coeffs_ps"], energy_ref_eV=tr["energy_ref_eV"])
    assert not any("misses the rise" in w for w in ok.warnings)
    bad = _fit(sim, chirp_coeffs_ps=[tr["chirp_coeffs_ps"][0] + 3.0, 4.0], energy_ref_eV=tr["energy_ref_eV"])
    assert any("misses the rise" in w for w in bad.warnings), bad.warnings


def test_bad_input_messages():
    sim = _sim(9)
    with pytest.raises(InputError, match="lower `global_chirp_order`"):
        fit_global(sim["delay_ps"], sim["energy_eV"][:6], sim["dA"][:, :6], n_components=1, chirp_order=3)
    with pytest.raises(InputError, match="n_components"):
        _fit(sim, n_components=0)
    with pytest.raises(InputError, match="no finite"):
        fit_global(sim["delay_ps"], sim["energy_eV"], np.full_like(sim["dA"], np.nan), n_components=1)


def test_artefact_fitted_where_there_is_none_is_flagged():
    sim = _sim(101, n_components=2)
    res = _fit(sim, artefact=True)
    assert any("artefact term is nowhere significant" in w for w in res.warnings)
    with_art = _sim(101, n_components=2, artefact_od=0.02)
    assert not any("artefact" in w for w in _fit(with_art, artefact=True).warnings)


def test_too_many_components_warn_or_are_refused_by_auto():
    sim = _sim(10, n_components=2)
    k, res, reason = choose_components(sim["delay_ps"], sim["energy_eV"], sim["dA"], max_components=4)
    assert k == 2, reason
    assert "3 components" in reason


def test_simulator_matches_the_fit_kernel():
    """The simulator's log_ndtr form and the fit's erfcx form agree (independent kernels)."""
    from multiphoton.analysis.ta_global import _kernel
    d = np.linspace(-2, 50, 300)[None, :]
    phi, _ = _kernel(d, np.array([1 / 0.3, 1 / 20.0]), 0.05, True)
    ref = global_ta_model(d[0], [2.0], tau_ps=[0.3], das=[[1.0]], offset=None, irf_fwhm_ps=0.05 * 2.3548200450309493,
                          chirp_coeffs_ps=[0.0], energy_ref_eV=2.0)[:, 0]
    np.testing.assert_allclose(phi[0, :, 0], ref, atol=1e-12)


@pytest.mark.slow
@pytest.mark.parametrize("artefact_od", [0.0, 0.02])
def test_coverage_over_random_parameters(artefact_od):
    """RMS z of τ, FWHM and chirp over 40 random maps within 0.75–1.3 (χ² with 40·7 dof).

    With a coherent artefact in the map (spanning the probe window), fitted with one."""
    zs = []
    for seed in range(40):
        sim = _sim(100 + seed, n_components=3, n_delays=150, n_energies=50, artefact_od=artefact_od)
        res = _fit(sim, n_components=3, artefact=artefact_od > 0)
        tr = sim["truth"]
        assert res.success, res.message
        ests = [*res.taus, res.irf_fwhm, *res.chirp]
        truth = [*tr["tau_ps"], tr["irf_fwhm_ps"], *tr["chirp_coeffs_ps"]]
        zs += [(e.value - t) / e.stderr for e, t in zip(ests, truth)]
    rms = float(np.sqrt(np.mean(np.square(zs))))
    assert 0.75 < rms < 1.3, rms


@pytest.mark.slow
@pytest.mark.skipif(not HIPPIUS.exists(), reason="real TA file not present")
def test_hippius_map_three_components():
    """The Hippius map: three lifetimes near 1.6, 21 and 50 ps (pyglotaran: docs/ta-global.md)."""
    from multiphoton.io.ta_ascii import read_ta_ascii
    m = read_ta_ascii(HIPPIUS)
    res = fit_global(m.delay_ps, m.energy_eV, m.dA, n_components=3)
    assert res.success, res.message
    np.testing.assert_allclose([t.value for t in res.taus], [1.605, 21.19, 50.47], rtol=0.01)


# pyglotaran 0.7.5 on the same map and model (benchmarks/pyglotaran_ta.py, run 2026-12-01 in a
# separate venv): 3 parallel exponentials + non-decaying compartment + coherent artefact
# (order 1), Gaussian IRF, centre dispersion quadratic in (λ − 550 nm)/100 nm.
PYGLOTARAN_TAU_PS = [0.14314415357800409, 16.348806259910727, 58.53153290408311]
PYGLOTARAN_TAU_STDERR_PS = [0.0021236283654229977, 0.14223100735082927, 0.19782448252907087]
PYGLOTARAN_IRF_SIGMA_PS = 0.06298411401357255


@pytest.mark.skipif(not HIPPIUS.exists(), reason="real TA file not present")
def test_hippius_map_agrees_with_pyglotaran_for_the_same_model():
    """Same model as pyglotaran (chirp in wavelength): τ within 0.1 % (a tenth of a stderr)."""
    from multiphoton.io.ta_ascii import read_ta_ascii
    m = read_ta_ascii(HIPPIUS)
    res = fit_global(m.delay_ps, m.energy_eV, m.dA, n_components=3, chirp_wavelength_ref_nm=550.0)
    assert res.success, res.message
    got = np.array([t.value for t in res.taus])
    np.testing.assert_allclose(got, PYGLOTARAN_TAU_PS, rtol=1e-3)
    # stderrs: the same linearised covariance, within 15 %
    np.testing.assert_allclose([t.stderr for t in res.taus], PYGLOTARAN_TAU_STDERR_PS, rtol=0.15)
    assert abs(res.irf_fwhm.value / 2.3548200450309493 - PYGLOTARAN_IRF_SIGMA_PS) < 1e-3


def _wavelength_sim():
    """A simulated map on a wavelength grid (ascending nm = descending energy)."""
    from multiphoton.constants import HC_EV_NM
    sim = _sim(11, n_delays=90, n_energies=30)
    lam = np.round(HC_EV_NM / sim["energy_eV"], 4)
    return sim, lam


def _write_time_explicit(path, d, lam, dA):
    lines = ["Header", "simulated", "Time explicit", f"intervalnr {d.size}",
             "\t" + "\t".join(f"{t:.6g}" for t in d)]
    lines += [f"{l:.4f}\t" + "\t".join(f"{v:.8g}" for v in dA[:, j]) for j, l in enumerate(lam)]
    path.write_text("\n".join(lines) + "\n")


def _write_wavelength_explicit(path, d, lam, dA):
    lines = ["Header", "simulated", "Wavelength explicit", f"intervalnr {lam.size}",
             "\t" + "\t".join(f"{l:.4f}" for l in lam)]
    lines += [f"{t:.6g}\t" + "\t".join(f"{v:.8g}" for v in dA[i]) for i, t in enumerate(d)]
    path.write_text("\n".join(lines) + "\n")


def _write_tidy(path, d, lam, dA, rng):
    rows = [f"{t:.6g},{l:.4f},{dA[i, j]:.8g}" for i, t in enumerate(d) for j, l in enumerate(lam)]
    rows = [rows[k] for k in rng.permutation(len(rows))]
    path.write_text("delay_ps,wavelength_nm,dA\n" + "\n".join(rows) + "\n")


def test_every_ta_reader_gives_the_same_lifetimes(tmp_path):
    """Time-explicit, wavelength-explicit ASCII and shuffled tidy CSV on a wavelength axis."""
    from multiphoton.io.ta_ascii import read_ta_ascii
    from multiphoton.io.tidy import read_ta_map
    sim, lam = _wavelength_sim()
    d, dA = sim["delay_ps"], sim["dA"]
    _write_time_explicit(tmp_path / "t.ascii", d, lam, dA)
    _write_wavelength_explicit(tmp_path / "w.ascii", d, lam, dA)
    _write_tidy(tmp_path / "m.csv", d, lam, dA, np.random.default_rng(1))
    maps = [read_ta_ascii(tmp_path / "t.ascii"), read_ta_ascii(tmp_path / "w.ascii"), read_ta_map(tmp_path / "m.csv")]
    taus = []
    for m in maps:
        res = fit_global(m.delay_ps, m.energy_eV, m.dA, n_components=2, artefact=False)
        assert res.success, res.message
        taus.append([t.value for t in res.taus])
    # the files hold 8 significant digits: the fits agree far inside their stderr (~1 %)
    np.testing.assert_allclose(taus[1], taus[0], rtol=1e-5)
    np.testing.assert_allclose(taus[2], taus[0], rtol=1e-5)
    for t, tt, est in zip(taus[0], sim["truth"]["tau_ps"], res.taus):
        assert abs(t - tt) < 4 * est.stderr


@pytest.mark.slow
@pytest.mark.skipif(not HIPPIUS.exists(), reason="real TA file not present")
def test_hippius_four_components_fail_the_sub_irf_lifetime():
    """K = 4 on the Hippius map: the extra lifetime runs below the IRF and is not reported."""
    from multiphoton.io.ta_ascii import read_ta_ascii
    m = read_ta_ascii(HIPPIUS)
    res = fit_global(m.delay_ps, m.energy_eV, m.dA, n_components=4)
    assert not res.taus[0].success and np.isnan(res.taus[0].value)
    assert "shorter than the IRF" in res.taus[0].message
    assert all(t.success for t in res.taus[1:])
