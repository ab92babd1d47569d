"""⟨N⟩ under one- and two-photon pumping: the contract (values are checked in test_threshold)."""
import numpy as np
from uncertainties import ufloat

from multiphoton.models.excitation import mean_excitons_one_photon, mean_excitons_two_photon
from multiphoton.errors import InputError

from contract import AnalysisContract, Raises, SharedAxis

F = np.linspace(0.2, 3.0, 15)
_ELEMENTWISE = (SharedAxis({"fluence_mJ_cm2": 0}, outputs={"": 0}),)


def _fluence(seed):
    return F + 0.01 * np.random.default_rng(seed).random(F.size)


class TestMeanExcitonsOnePhotonContract(AnalysisContract):
    function = staticmethod(mean_excitons_one_photon)
    shared_axes = _ELEMENTWISE
    skip = {"failure": "σ₁ J, a product defined for every input: nothing it refuses"}

    def inputs(self, seed):
        return {"fluence_mJ_cm2": _fluence(seed)}, {"sigma1_cm2": 1.2e-13, "excitation_eV": 3.1}


class TestMeanExcitonsTwoPhotonContract(AnalysisContract):
    function = staticmethod(mean_excitons_two_photon)
    shared_axes = _ELEMENTWISE
    failure = Raises(InputError, match="pulse_fwhm_fs must be > 0")

    def inputs(self, seed):
        return {"fluence_mJ_cm2": _fluence(seed)}, {"sigma2_GM": ufloat(1.7e6, 0.5e6),
                                                     "excitation_eV": 1.55, "pulse_fwhm_fs": 80.0}

    def failure_inputs(self):
        return {"fluence_mJ_cm2": 1.0}, {"sigma2_GM": 1.7e6, "excitation_eV": 1.55, "pulse_fwhm_fs": 0.0}
