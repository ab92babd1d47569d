"""Relative quantum yield: recovery of known truth, calibrated stderr, contract, step, manifest."""
from __future__ import annotations

import numpy as np
import pytest
from uncertainties import ufloat

from contract import AnalysisContract, Fails, Raises, SharedAxis
from multiphoton.analysis.quantum_yield import (absorbed_fraction, gradient_quantum_yield, gradient_slope,
                                                relative_quantum_yield)
from multiphoton.data import Spectrum
from multiphoton.errors import InputError
from multiphoton.io.manifest import read_manifest
from multiphoton.pipeline.steps.quantum_yield import QUANTUM_YIELD
from multiphoton.results import Estimate
from steps_support import run

_SCALARS = "scalar inputs only"
N_TOL, N_ETH = 1.4961, 1.3611  # toluene, ethanol (CRC Handbook n_D, the library's values)


def _dilutions(rng, qy, n, a_true, *, k=1e5, noise=0.01, a_std=0.001):
    """Integrated PL of dilutions: k Φ f / n² with relative noise, and the measured absorbances."""
    f = 1 - 10.0 ** -a_true
    F = k * qy * f / n**2
    F_meas = F * (1 + noise * rng.standard_normal(a_true.size))
    a_meas = a_true + a_std * rng.standard_normal(a_true.size)
    return a_meas, np.full(a_true.size, a_std), F_meas, noise * F


def test_gradient_recovers_qy_with_calibrated_stderr():
    # 400 seeded repetitions of a 4-dilution gradient measurement; the RMS of z must be 1
    # within its sampling error (≈ 1/√(2·200) ≈ 0.05; ±0.15 allows 3 of those).
    a = np.array([0.02, 0.04, 0.06, 0.08])
    z = []
    for seed in range(200):
        rng = np.random.default_rng([seed, 15])
        ms = gradient_slope(*_dilutions(rng, 0.35, N_TOL, a))
        mr = gradient_slope(*_dilutions(rng, 0.95, N_ETH, a * 0.8))
        est = gradient_quantum_yield(sample_slope=ms, reference_slope=mr, reference_qy=0.95,
                                     sample_n=N_TOL, reference_n=N_ETH)
        z.append((est.value - 0.35) / est.stderr)
    z = np.array(z)
    assert abs(np.mean(z)) < 0.15  # bias below 0.15 σ (sampling error of the mean 0.07)
    assert 0.85 < np.sqrt(np.mean(z**2)) < 1.15


def test_single_point_recovers_qy_with_calibrated_stderr():
    z = []
    for seed in range(200):
        rng = np.random.default_rng([seed, 16])
        a_s, sa, F_s, sF = _dilutions(rng, 0.25, N_TOL, np.array([0.06]))
        a_r, _, F_r, sFr = _dilutions(rng, 0.95, N_ETH, np.array([0.045]))
        est = relative_quantum_yield(
            sample_integrated=ufloat(F_s[0], sF[0]), reference_integrated=ufloat(F_r[0], sFr[0]),
            sample_absorbance=ufloat(a_s[0], sa[0]), reference_absorbance=ufloat(a_r[0], sa[0]),
            reference_qy=0.95, sample_n=N_TOL, reference_n=N_ETH)
        z.append((est.value - 0.25) / est.stderr)
    z = np.array(z)
    assert abs(np.mean(z)) < 0.15  # as above
    assert 0.85 < np.sqrt(np.mean(z**2)) < 1.15


def test_index_correction_and_absorbed_fraction():
    # same PL, same absorbance: Φ_x = Φ_ref n_x²/n_ref²
    e = relative_quantum_yield(sample_integrated=1.0, reference_integrated=1.0, sample_absorbance=0.05,
                               reference_absorbance=0.05, reference_qy=0.5, sample_n=1.5, reference_n=1.0)
    assert e.value == pytest.approx(1.125)
    # f = 1 − 10^−A, not A: at A = 0.3 the two differ by 32 %
    assert float(absorbed_fraction(0.3)) == pytest.approx(0.49881, rel=1e-4)
    e = relative_quantum_yield(sample_integrated=1.0, reference_integrated=1.0, sample_absorbance=0.3,
                               reference_absorbance=0.05, reference_qy=1.0, sample_n=1.0, reference_n=1.0)
    assert e.value == pytest.approx((1 - 10**-0.05) / (1 - 10**-0.3))


class TestAbsorbedFractionContract(AnalysisContract):
    function = staticmethod(absorbed_fraction)
    shared_axes = (SharedAxis({"absorbance": 0}, outputs={"": 0}),)
    skip = {"failure": "a pure formula defined for every absorbance"}

    def inputs(self, seed):
        return {"absorbance": np.random.default_rng(seed).uniform(0.01, 0.5, 6)}, {}


class TestRelativeQuantumYieldContract(AnalysisContract):
    function = staticmethod(relative_quantum_yield)
    skip = {"read_only_inputs": _SCALARS, "reversed_axes": _SCALARS, "shuffled_axes": _SCALARS,
            "lists": _SCALARS}
    failure = Fails(match="must be positive")

    def inputs(self, seed):
        rng = np.random.default_rng(seed)
        return {}, dict(sample_integrated=ufloat(1 + rng.random(), 0.01), reference_integrated=2.0,
                        sample_absorbance=ufloat(0.05, 0.001), reference_absorbance=0.04, reference_qy=0.95,
                        sample_n=N_TOL, reference_n=N_ETH)

    def failure_inputs(self):
        return {}, dict(sample_integrated=0.0, reference_integrated=2.0, sample_absorbance=0.05,
                        reference_absorbance=0.04, reference_qy=0.95, sample_n=1.4, reference_n=1.3)


class TestGradientSlopeContract(AnalysisContract):
    function = staticmethod(gradient_slope)
    shared_axes = (SharedAxis({"absorbance": 0, "absorbance_std": 0, "integrated": 0, "integrated_std": 0}),)
    rtol = 1e-9  # the same weighted sums in another order
    failure = Raises(InputError, match="at least 3 dilutions")

    def inputs(self, seed):
        rng = np.random.default_rng(seed)
        a = np.array([0.02, 0.04, 0.06, 0.08])
        return dict(zip(("absorbance", "absorbance_std", "integrated", "integrated_std"),
                        _dilutions(rng, 0.3, 1.4, a))), {}

    def failure_inputs(self):
        return {"absorbance": [0.02, 0.04], "absorbance_std": [0.001] * 2, "integrated": [1.0, 2.0],
                "integrated_std": [0.1, 0.1]}, {}


class TestGradientQuantumYieldContract(AnalysisContract):
    function = staticmethod(gradient_quantum_yield)
    skip = {"read_only_inputs": _SCALARS, "reversed_axes": _SCALARS, "shuffled_axes": _SCALARS,
            "lists": _SCALARS}
    failure = Fails(match="sample slope is not a positive estimate")

    def inputs(self, seed):
        rng = np.random.default_rng(seed)
        return {}, dict(sample_slope=Estimate(value=50 + rng.random(), stderr=1.0, method="m"),
                        reference_slope=Estimate(value=100.0, stderr=2.0, method="m"),
                        reference_qy=ufloat(0.95, 0.015), sample_n=N_TOL, reference_n=N_ETH)

    def failure_inputs(self):
        return {}, dict(sample_slope=Estimate(value=-1.0, stderr=1.0, method="m"),
                        reference_slope=Estimate(value=100.0, stderr=2.0, method="m"),
                        reference_qy=0.95, sample_n=1.4, reference_n=1.3)


def _spectrum(area, seed):
    e = np.linspace(1.6, 2.6, 301)
    shape = np.exp(-0.5 * ((e - 2.0) / 0.05) ** 2)
    shape = shape / np.trapezoid(shape, e)
    c = np.random.default_rng(seed).poisson(area * shape).astype(float)
    return Spectrum(energy_eV=e, counts=c)


def test_step_single_point_uses_the_library(tmp_path):
    data = {"sample_file": _spectrum(2e5 * 0.3 / N_TOL**2, 1), "reference_file": _spectrum(2e5 * 0.95 / N_ETH**2, 2)}
    res = run(QUANTUM_YIELD, data, sample_absorbance=[0.05, 1e-4], reference_absorbance=[0.05, 1e-4],
              reference="rhodamine-6g", sample_solvent="toluene", reference_solvent="ethanol", excitation_eV=3.1)
    q = res.samples["QS"]["quantum_yield"]
    # truth 0.3; stderr ≈ 1.6 % from the library's QY (0.95 ± 0.015) plus counting noise
    assert abs(q.value - 0.3) < 3 * q.stderr and 0.004 < q.stderr < 0.01
    assert "Magde" in q.details["sources"]["reference_qy"]["source"]
    assert q.details["sources"]["sample_n"]["solvent"] == "toluene"


def _manifest(tmp_path, body):
    for k in range(3):
        (tmp_path / f"s{k}.csv").write_text("energy_eV,counts\n2.0,1\n2.1,2\n", encoding="utf-8")
    p = tmp_path / "m.toml"
    p.write_text('[[sample]]\nid = "A"\n[[measurement]]\nsample = "A"\nkind = "quantum_yield"\n'
                 'excitation_eV = 3.1\n' + body, encoding="utf-8")
    return p


@pytest.mark.parametrize("body, match", [
    ('sample_file = "s0.csv"\nreference_file = "s1.csv"\nreference = "r6g"\nsample_solvent = "toluene"',
     "needs sample_absorbance, reference_absorbance"),
    ('sample_files = [{ file = "s0.csv", absorbance = 0.02 }, { file = "s1.csv", absorbance = 0.04 }]\n'
     'reference_files = [{ file = "s0.csv", absorbance = 0.02 }]\nreference = "r6g"\nsample_n = 1.4',
     "at least 3 dilutions, got 2"),
    ('sample_files = [{ file = "s0.csv", absorbance = 0.02, abs = 1 }]\nreference_files = []\nreference = "r6g"\n'
     'sample_n = 1.4',
     "unknown key 'abs'"),
    ('sample_file = "s0.csv"\nreference_file = "s1.csv"\nsample_absorbance = 0.05\nreference_absorbance = 0.05\n'
     'sample_n = 1.4', "name the reference's quantum yield"),
    ('sample_file = "s0.csv"\nreference_file = "s1.csv"\nsample_absorbance = 0.05\nreference_absorbance = 0.05\n'
     'reference = "r6g"', "give `sample_solvent`"),
])
def test_manifest_refuses_incomplete_quantum_yield(tmp_path, body, match):
    with pytest.raises(InputError, match=match):
        read_manifest(_manifest(tmp_path, body))


def test_manifest_gradient_form_and_lab_standards(tmp_path):
    (tmp_path / "lab.toml").write_text('[solvents.octane]\nrefractive_index = 1.397\nstd = 0.002\n'
                                       'source = "lab"\nwhere = "refractometer"\n', encoding="utf-8")
    body = ('sample_files = [' + ", ".join(f'{{ file = "s{k}.csv", absorbance = [0.0{k + 1}, 0.001] }}'
                                           for k in range(3)) + ']\n'
            'reference_files = [' + ", ".join(f'{{ file = "s{k}.csv", absorbance = 0.0{k + 2} }}' for k in range(3))
            + ']\nreference = "r6g"\nreference_solvent = "ethanol"\nsample_solvent = "octane"\n')
    p = _manifest(tmp_path, body)
    p.write_text('standards = "lab.toml"\n' + p.read_text(encoding="utf-8"), encoding="utf-8")
    m = read_manifest(p).measurements[0]
    assert len(m.sample_dilutions) == 3 and m.sample_dilutions[0].absorbance.std_dev == 0.001
    assert m.reference_dilutions[2].absorbance == 0.04
    assert m.standards == tmp_path / "lab.toml"
    assert set(m.extra_files) == {f"{w}_files[{k}]" for w in ("sample", "reference") for k in range(3)}
    (tmp_path / "lab.toml").write_text('[solvents.octane]\nrefractive_idx = 1.397\n', encoding="utf-8")
    with pytest.raises(InputError, match="did you mean 'refractive_index'"):
        read_manifest(p)


def _simulated_qy(tmp_path, seed, gradient):
    """One simulated quantum_yield measurement (the paper-2023 writer), reference QY and indices exact."""
    from multiphoton.simulate._writing import _meas, _write_csv
    from multiphoton.simulate.quantum_yield import write_quantum_yield

    e = np.round(np.arange(1.5, 2.4 + 1e-9, 0.003), 6)
    er = np.round(np.arange(1.8, 2.7 + 1e-9, 0.004), 6)
    shape = lambda x, c, w: np.exp(-0.5 * ((x - c) / w) ** 2) / (w * np.sqrt(2 * np.pi))  # noqa: E731
    out = tmp_path / f"s{seed}{gradient}"
    (out / "q").mkdir(parents=True)
    lines, truth = write_quantum_yield(out, "q", "A", seed, sample_energy_eV=e, sample_shape=shape(e, 1.95, 0.04),
                                       sample_qy=0.3, reference_energy_eV=er, reference_shape=shape(er, 2.23, 0.07),
                                       reference_qy=0.95, excitation_eV=3.1, gradient=gradient,
                                       write_csv=_write_csv, meas=_meas)
    text = "\n".join(lines).replace('reference = "rhodamine-6g"', "reference_qy = 0.95")
    text = text.replace('sample_solvent = "toluene"', f"sample_n = {N_TOL}")
    text = text.replace('reference_solvent = "ethanol"', f"reference_n = {N_ETH}")
    (out / "m.toml").write_text('[[sample]]\nid = "A"\n' + text + "\n", encoding="utf-8")
    return out / "m.toml", truth["quantum_yield"]


@pytest.mark.slow
@pytest.mark.parametrize("gradient", [True, False])
def test_simulated_files_coverage(tmp_path, gradient):
    # End to end on the simulator's files (Poisson spectra, noise estimated from each
    # spectrum, absorbance errors): RMS z over 80 seeds within 0.8–1.25 (sampling error
    # of the RMS ≈ 1/√160 ≈ 0.08).
    from multiphoton.pipeline.core import analyze

    z = []
    for seed in range(80):
        m, truth = _simulated_qy(tmp_path, seed, gradient)
        q = analyze(m).samples["A"]["quantum_yield"]
        z.append((q.value - truth) / q.stderr)
    z = np.array(z)
    assert abs(z.mean()) < 0.3
    assert 0.8 < np.sqrt(np.mean(z**2)) < 1.25
