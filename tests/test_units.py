"""Units and constants: closed forms and round trips."""
import math

import numpy as np
import pytest

from multiphoton import units
from multiphoton.constants import HC_EV_NM
from multiphoton.errors import InputError


def test_wavelength_energy_round_trip():
    wl = np.array([400.0, 800.0, 1200.0])
    assert np.allclose(units.energy_eV_to_wavelength_nm(units.wavelength_nm_to_energy_eV(wl)), wl)
    assert units.wavelength_nm_to_energy_eV(800.0) == pytest.approx(1.5498, abs=1e-4)


def test_photon_fluence():
    # 1 mJ/cm² of 3.1 eV photons = 1e-3 / (3.1 × 1.602176634e-19) photons/cm²
    assert units.photon_fluence_per_cm2(1.0, 3.1) == pytest.approx(1e-3 / (3.1 * 1.602176634e-19), rel=1e-12)


def test_gm():
    assert units.gm_to_cm4_s(1.0) == 1e-50
    assert units.cm4_s_to_gm(units.gm_to_cm4_s(2.5e6)) == pytest.approx(2.5e6)


@pytest.mark.parametrize("eps, sigma_e13", [(3.2e7, 1.2), (1.3e7, 0.5), (7.6e7, 2.9)])
def test_sigma1_from_epsilon_reproduces_paper_table1(eps, sigma_e13):
    # Diroll et al. 2023 Table 1: σ₁ (×1e-13 cm²) from ε (M⁻¹cm⁻¹); the paper prints two
    # significant digits, so agreement to 2 % of the printed value is the test.
    assert units.epsilon_to_sigma_cm2(eps) / 1e-13 == pytest.approx(sigma_e13, rel=0.02)
    assert units.sigma_cm2_to_epsilon(units.epsilon_to_sigma_cm2(eps)) == pytest.approx(eps)


def test_jacobian_conserves_area_and_reorders():
    wl = np.linspace(550.0, 700.0, 3001)
    per_nm = np.exp(-0.5 * ((wl - 640.0) / 8.0) ** 2)
    e, per_eV = units.spectrum_per_nm_to_per_eV(wl, per_nm)
    assert np.all(np.diff(e) > 0)
    assert np.trapezoid(per_eV, e) == pytest.approx(np.trapezoid(per_nm, wl), rel=1e-5)
    # value at one point: S_E = S_λ λ²/hc
    k = 1500
    j = np.argmin(np.abs(e - HC_EV_NM / wl[k]))
    assert per_eV[j] == pytest.approx(per_nm[k] * wl[k] ** 2 / HC_EV_NM)


def test_jacobian_2d_axis():
    wl = np.array([600.0, 610.0, 620.0])
    counts = np.ones((2, 3))
    e, s = units.spectrum_per_nm_to_per_eV(wl, counts)
    assert s.shape == (2, 3) and np.allclose(s[0], s[1])


def test_jacobian_rejects_bad_wavelengths():
    with pytest.raises(InputError, match="wavelength_nm must be finite and > 0"):
        units.spectrum_per_nm_to_per_eV([0.0, 500.0], [1.0, 1.0])


@pytest.mark.parametrize("shape, g", [("gaussian", math.sqrt(2 * math.log(2) / math.pi)),
                                      ("sech2", 2 * math.log(1 + math.sqrt(2)) / 3), ("rect", 1.0)])
def test_pulse_shape_factor_matches_numerical_integral(shape, g):
    # g = τ ∫ f² dt for a unit-area pulse of FWHM τ, integrated numerically.
    tau = 1.0
    t = np.linspace(-20, 20, 400001)
    if shape == "gaussian":
        s = tau / (2 * math.sqrt(2 * math.log(2)))
        f = np.exp(-t**2 / (2 * s**2))
    elif shape == "sech2":
        T = tau / (2 * math.log(1 + math.sqrt(2)))
        f = 1 / np.cosh(t / T) ** 2
    else:
        f = (np.abs(t) <= tau / 2).astype(float)
    f /= np.trapezoid(f, t)
    assert units.pulse_shape_factor(shape) == pytest.approx(g)
    assert tau * np.trapezoid(f**2, t) == pytest.approx(g, rel=2e-3)


def test_unknown_pulse_shape():
    with pytest.raises(InputError, match="pulse_shape 'lorentz' is not known"):
        units.pulse_shape_factor("lorentz")


def test_conversions_carry_uncertainties():
    from uncertainties import ufloat, unumpy

    wl = ufloat(800.0, 2.0)
    e = units.wavelength_nm_to_energy_eV(wl)
    assert e.nominal_value == pytest.approx(HC_EV_NM / 800.0)
    assert e.std_dev == pytest.approx(HC_EV_NM / 800.0**2 * 2.0)  # |dE/dλ| σ_λ
    assert units.energy_eV_to_wavelength_nm(e).nominal_value == pytest.approx(800.0)
    j = units.photon_fluence_per_cm2(ufloat(1.0, 0.1), 1.55)
    assert j.std_dev / j.nominal_value == pytest.approx(0.1)
    s2 = units.gm_to_cm4_s(ufloat(2e6, 1e5)) / units.nm3_to_cm3(ufloat(400.0, 20.0))
    assert s2.nominal_value == pytest.approx(2e6 * 1e-50 / (400.0 * 1e-21))
    arr = units.cm4_s_to_gm(unumpy.uarray([1e-44, 2e-44], [1e-45, 1e-45]))
    assert unumpy.nominal_values(arr) == pytest.approx([1e6, 2e6])
    assert units.gm_to_cm4_s(np.array([1.0, 2.0])).dtype == float
