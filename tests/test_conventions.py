"""The two-photon counting convention of ⟨N⟩: stated in details and switchable."""
from __future__ import annotations

import pytest
from uncertainties import ufloat

from multiphoton.models.excitation import mean_excitons_two_photon
from multiphoton.pipeline.steps._step import StepResult
from multiphoton.pipeline.steps.ase import _excitons
from multiphoton.results import Estimate
from steps_support import options


def _n(counting):
    o = options("ase_series", excitation_eV=1.55, pulse_fwhm_fs=60.0, two_photon_counting=counting)
    out = StepResult()
    th = Estimate.from_ufloat(ufloat(1.5, 0.05), method="hinge", unit="mJ/cm2")
    _excitons(out, o, th, {"sigma2_GM": Estimate.from_ufloat(ufloat(1.7e6, 0.5e6), method="tpef", unit="GM")})
    return out.quantities["excitons_at_threshold"]


def test_events_is_the_contract_default_and_photons_halves():
    events, photons = _n("events"), _n("photons")
    # the paper's 4.5 nm core: σ₂ = 1.7e6 GM at 1.5 mJ/cm², 60 fs Gaussian → 6.87 (docs/quantities.md)
    assert events.value == pytest.approx(float(mean_excitons_two_photon(
        1.5, sigma2_GM=1.7e6, excitation_eV=1.55, pulse_fwhm_fs=60.0)), rel=1e-12)
    assert round(events.value, 2) == 6.87
    assert photons.value == pytest.approx(events.value / 2, rel=1e-12)
    assert photons.stderr == pytest.approx(events.stderr / 2, rel=1e-12)
    d = events.details
    assert (d["two_photon_counting"], d["excitons_per_sigma2_event"]) == ("events", 1.0)
    assert d["pulse_factor_g"] == pytest.approx(0.6643, abs=1e-4)  # √(2 ln2/π)
    assert photons.details["two_photon_counting"] == "photons" and "spot" in d
    assert options("ase_series").two_photon_counting == "events"
