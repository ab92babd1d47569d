"""ε and σ₁ from ICP-OES: recover known truth, propagate uncertainty."""
import numpy as np
import pytest
from uncertainties import ufloat

from multiphoton import structures
from multiphoton.analysis.extinction import (extinction_from_icp, molar_extinction_per_M_cm,
                                             particle_concentration_M)
from multiphoton.errors import InputError
from multiphoton.units import epsilon_to_sigma_cm2

from contract import AnalysisContract, Raises


def test_recovers_epsilon_from_synthetic_icp():
    # Make an ICP measurement of particles of known ε, with seeded 2 % noise on the Cd
    # concentration and absorbance, and recover ε; the truth must lie within 3 stderr.
    rng = np.random.default_rng(1)
    eps_true = 3.2e7
    n_cd = structures.cd_atoms_per_particle(["CdS", "CdSe", "CdS"], 4.5, [1.5, 1.7])
    c_particles = 1.0e-9
    cd = c_particles * n_cd
    a = eps_true * c_particles * 1.0
    hits = 0
    for _ in range(200):
        cd_meas = cd * (1 + 0.02 * rng.standard_normal())
        a_meas = a * (1 + 0.02 * rng.standard_normal())
        eps, sigma1 = extinction_from_icp(cd_mol_per_L=ufloat(cd_meas, 0.02 * cd), absorbance=ufloat(a_meas, 0.02 * a),
                                          path_cm=1.0, cd_atoms_per_particle=n_cd)
        hits += abs(eps.nominal_value - eps_true) < 3 * eps.std_dev
        assert sigma1.nominal_value == pytest.approx(epsilon_to_sigma_cm2(eps.nominal_value))
    # 3σ covers 99.7 % of Gaussian errors; ≥ 95 % of 200 leaves room for sampling.
    assert hits >= 190


def test_size_uncertainty_dominates_like_table1():
    # With the paper's TEM spreads the relative uncertainty of ε is ~25-30 % (Table 1: 3.2 ± 0.9).
    n_cd = structures.cd_atoms_per_particle(["CdS", "CdSe", "CdS"], ufloat(4.5, 0.3), [ufloat(1.5, 0.3), ufloat(1.7, 0.2)])
    eps, _ = extinction_from_icp(cd_mol_per_L=ufloat(1.2e-5, 1e-7), absorbance=ufloat(0.4, 0.004),
                                 path_cm=1.0, cd_atoms_per_particle=n_cd)
    assert 0.15 < eps.std_dev / eps.nominal_value < 0.4


def test_bad_icp():
    with pytest.raises(InputError, match="Cd atoms per particle must be > 0"):
        particle_concentration_M(1e-5, 0)


_SCALARS = "scalar inputs (floats or uncertainties numbers), no arrays"
_NO_ARRAYS = {"read_only_inputs": _SCALARS, "reversed_axes": _SCALARS, "shuffled_axes": _SCALARS,
              "lists": _SCALARS}


class TestParticleConcentrationContract(AnalysisContract):
    function = staticmethod(particle_concentration_M)
    skip = _NO_ARRAYS
    failure = Raises(InputError, match="cd_mol_per_L must be > 0")

    def inputs(self, seed):
        return {"cd_mol_per_L": ufloat(1.2e-5 * (1 + np.random.default_rng(seed).random()), 1e-7),
                "cd_atoms_per_particle": ufloat(12000, 800)}, {}

    def failure_inputs(self):
        return {"cd_mol_per_L": 0.0, "cd_atoms_per_particle": 1000}, {}


class TestMolarExtinctionContract(AnalysisContract):
    function = staticmethod(molar_extinction_per_M_cm)
    skip = _NO_ARRAYS
    failure = Raises(InputError, match="path_cm must be > 0")

    def inputs(self, seed):
        return {"absorbance": ufloat(0.03 + 0.01 * np.random.default_rng(seed).random(), 3e-4)}, {
            "particle_concentration_M": ufloat(1e-9, 1e-10), "path_cm": 1.0}

    def failure_inputs(self):
        return {"absorbance": 0.1}, {"particle_concentration_M": 1e-9, "path_cm": 0.0}


class TestExtinctionFromIcpContract(AnalysisContract):
    function = staticmethod(extinction_from_icp)
    skip = _NO_ARRAYS
    failure = Raises(InputError, match="absorbance must be > 0")

    def inputs(self, seed):
        rng = np.random.default_rng(seed)
        return {}, {"cd_mol_per_L": ufloat(1.2e-5 * (1 + 0.02 * rng.standard_normal()), 1e-7),
                    "absorbance": ufloat(0.4, 0.004), "path_cm": 1.0,
                    "cd_atoms_per_particle": ufloat(12000, 800)}

    def failure_inputs(self):
        return {}, {"cd_mol_per_L": 1e-5, "absorbance": -0.1, "path_cm": 1.0, "cd_atoms_per_particle": 1e4}
