"""Closed-form checks of the excitation statistics and the multiexciton cascade."""
import numpy as np
import pytest
from scipy import integrate, special, stats

from multiphoton.errors import InputError
from multiphoton.models.cascade import (
    cascade_integrated_populations,
    cascade_pl,
    cascade_populations,
    cascade_rates_per_ns,
    radiative_rates_per_ns,
)
from multiphoton.models.excitation import (
    beam_average,
    emitting_fraction_one_photon,
    gaussian_beam_quadrature,
    mean_excitons_one_photon,
    mean_excitons_two_photon,
    poisson_populations,
)
from multiphoton.units import photon_fluence_per_cm2, pulse_shape_factor


def _ode_reference(t, mean_n, gamma):
    n = gamma.size
    m = np.diag(-gamma) + np.diag(gamma[1:], k=1)
    p0 = poisson_populations(mean_n, n_max=n - 1)
    sol = integrate.solve_ivp(lambda _t, y: m @ y, (0, t.max()), p0, t_eval=t, method="Radau",
                              jac=m, rtol=1e-12, atol=1e-14)
    return sol.y.T


# ------------------------------------------------------------------ Poisson

def test_poisson_matches_pmf_and_tail_is_absorbed():
    mu = np.array([0.0, 0.3, 2.0, 40.0])
    p = poisson_populations(mu, n_max=10)
    assert p.shape == (4, 11)
    np.testing.assert_allclose(p.sum(axis=1), 1.0, rtol=0, atol=1e-14)
    np.testing.assert_allclose(p[:, :10], stats.poisson.pmf(np.arange(10), mu[:, None]), rtol=1e-13)
    assert p[0, 0] == 1.0
    assert p[3, 10] > 0.999  # ⟨N⟩ = 40 piles up in the absorbing top state


def test_mean_excitons_closed_forms():
    j = photon_fluence_per_cm2(2.0, 1.55)
    expected = pulse_shape_factor("sech2") * 3e6 * 1e-50 * j**2 / 80e-15
    got = mean_excitons_two_photon(2.0, sigma2_GM=3e6, excitation_eV=1.55, pulse_fwhm_fs=80.0,
                                   pulse_shape="sech2")
    assert got == pytest.approx(expected, rel=1e-14)
    assert mean_excitons_one_photon(0.01, sigma1_cm2=2e-14, excitation_eV=3.1) == pytest.approx(
        2e-14 * photon_fluence_per_cm2(0.01, 3.1), rel=1e-14)


def test_bad_excitation_inputs():
    with pytest.raises(InputError, match="mean_n"):
        poisson_populations([-1.0])
    with pytest.raises(InputError, match="n_max"):
        poisson_populations(1.0, n_max=0)
    with pytest.raises(InputError, match="pulse_fwhm_fs"):
        mean_excitons_two_photon(1.0, sigma2_GM=1.0, excitation_eV=1.55, pulse_fwhm_fs=0.0)
    with pytest.raises(InputError, match="profile"):
        emitting_fraction_one_photon(1.0, profile="tophat")


# ------------------------------------------------------------------ beam averaging

def test_one_photon_saturation_flat_and_gaussian():
    mu = np.geomspace(1e-3, 30, 25)
    # Flat spot: emitting fraction 1 − p0 = 1 − exp(−⟨N⟩) exactly.
    flat = beam_average(lambda f: 1.0 - poisson_populations(f, n_max=60)[..., 0], mu, profile="flat")
    np.testing.assert_allclose(flat, -np.expm1(-mu), rtol=1e-12)
    # Gaussian spot: quadrature against the closed form Ein(⟨N⟩) = E1 + ln + γ.
    gauss = beam_average(lambda f: -np.expm1(-f), mu, order=64)
    closed = special.exp1(mu) + np.log(mu) + np.euler_gamma
    np.testing.assert_allclose(gauss, closed, rtol=1e-9)
    np.testing.assert_allclose(emitting_fraction_one_photon(mu), closed, rtol=1e-12)


def test_quadrature_integrates_powers_exactly():
    u, w = gaussian_beam_quadrature(order=16)
    for k in (1, 2, 3, 5):
        assert np.sum(w * u**k) == pytest.approx(1.0 / k, rel=1e-13)


def test_two_photon_slope_two_at_low_fluence_and_rollover():
    from multiphoton.simulate.spectra import BandEdge, pl_spectra

    band = BandEdge(exciton_eV=1.9, biexciton_binding_meV=-50.0, level_offsets_eV=(0.0, 0.1),
                    level_capacities=(2, 6), level_fwhm_eV=(0.08, 0.1))
    e = np.linspace(1.5, 2.3, 801)
    f = np.array([1e-3, 1.001e-3, 1.0, 1.001, 3.0, 3.003])
    integ = np.trapezoid(pl_spectra(e, f**2, band, tau_x_ns=20.0, tau_xx_ns=4.0, n_max=20), e, axis=1)
    slope = np.log(integ[1::2] / integ[::2]) / np.log(1.001)
    assert slope[0] == pytest.approx(2.0, abs=2e-3)  # ⟨N⟩ = 1e-6: biexcitons negligible
    assert slope[1] < 1.9 and slope[2] < slope[1]  # Auger-limited roll-over


# ------------------------------------------------------------------ cascade

def test_rates_and_radiative_limit():
    g = cascade_rates_per_ns(tau_x_ns=20.0, tau_xx_ns=4.0, n_max=4)
    assert g[1] == pytest.approx(1 / 20) and g[2] == pytest.approx(1 / 4)
    k_a = 1 / 4 - 2 / 20
    assert g[4] == pytest.approx(4 / 20 + 16 * 3 / 4 * k_a)
    g2 = cascade_rates_per_ns(tau_x_ns=20.0, tau_xx_ns=4.0, n_max=3, radiative_scaling="n2",
                              auger_scaling="n(n-1)/2")
    assert g2[3] == pytest.approx(9 / 20 + 3 * (1 / 4 - 4 / 20))
    with pytest.raises(InputError, match="radiative limit"):
        cascade_rates_per_ns(tau_x_ns=20.0, tau_xx_ns=11.0)
    with pytest.raises(InputError, match="auger_scaling"):
        cascade_rates_per_ns(tau_x_ns=20.0, tau_xx_ns=4.0, auger_scaling="n3")


def test_two_level_difference_is_single_exponential():
    # n_max = 2: I(t) = a1 e^{−t/τX} + a2 e^{−t/τXX}; dividing by the analytic
    # long-delay amplitude and subtracting the low-fluence trace leaves e^{−t/τXX}.
    tx, txx = 25.0, 6.7
    g1, g2 = 1 / tx, 1 / txx
    t = np.linspace(0, 150, 1501)
    mu = np.array([1e-4, 1.5])
    pl = cascade_pl(t, mu, tau_x_ns=tx, tau_xx_ns=txx, n_max=2)
    p0 = poisson_populations(mu, n_max=2)
    slow = g1 * (p0[:, 1] + p0[:, 2] * g2 / (g2 - g1))  # amplitude of e^{−γ1 t}
    norm = pl / slow[:, None]
    resid = norm[1] - norm[0]
    np.testing.assert_allclose(resid / resid[0], np.exp(-t / txx), rtol=0, atol=1e-8)


def test_matches_solve_ivp():
    t = np.linspace(0, 40, 81)
    gamma = cascade_rates_per_ns(tau_x_ns=18.0, tau_xx_ns=5.0, n_max=6)
    p = cascade_populations(t, [0.7, 3.0], tau_x_ns=18.0, tau_xx_ns=5.0, n_max=6)
    for i, mu in enumerate([0.7, 3.0]):
        np.testing.assert_allclose(p[i], _ode_reference(t, mu, gamma), rtol=0, atol=1e-9)


def test_degenerate_rates_fall_back_to_expm():
    t = np.linspace(0, 10, 41)
    rates = np.array([0.0, 0.5, 0.5, 0.5, 2.0])
    p = cascade_populations(t, [1.2], tau_x_ns=2.0, tau_xx_ns=None, n_max=4, rates_per_ns=rates)
    np.testing.assert_allclose(p[0], _ode_reference(t, 1.2, rates), rtol=0, atol=1e-9)
    # the exact Erlang form for the first step of a degenerate chain: p_3 from p_3(0), p_4(0)
    assert np.all(np.isfinite(p))


def test_large_mean_n_stays_normalised_and_nonnegative():
    t = np.array([0.0, 0.001, 0.01, 0.1, 1.0, 10.0, 50.0])
    p = cascade_populations(t, [0.1, 20.0, 50.0], tau_x_ns=30.0, tau_xx_ns=11.9, n_max=60)
    np.testing.assert_allclose(p.sum(axis=2), 1.0, atol=1e-10)
    assert p.min() > -1e-10
    gamma = cascade_rates_per_ns(tau_x_ns=30.0, tau_xx_ns=11.9, n_max=60)
    np.testing.assert_allclose(p[1], _ode_reference(t, 20.0, gamma), atol=1e-8)


def test_pl_is_populations_times_radiative_rates():
    t = np.linspace(0, 100, 201)
    mu = np.geomspace(0.01, 10, 7)
    kw = dict(tau_x_ns=25.0, tau_xx_ns=6.7, n_max=30)
    direct = cascade_populations(t, mu, **kw) @ radiative_rates_per_ns(tau_x_ns=25.0, n_max=30)
    np.testing.assert_allclose(cascade_pl(t, mu, **kw), direct, rtol=1e-10, atol=1e-14)


def test_integrated_populations_match_quadrature():
    t = np.linspace(0, 400, 40001)
    kw = dict(tau_x_ns=20.0, tau_xx_ns=4.0, n_max=8)
    p = cascade_populations(t, [2.0], **kw)[0]
    x = cascade_integrated_populations([2.0], **kw)[0]
    # trapezoid error O(dt² γ²) matters only for the fast, tiny high states
    np.testing.assert_allclose(x[1:], np.trapezoid(p[:, 1:], t, axis=0), rtol=1e-4, atol=1e-6)


def test_contract_readonly_order_and_bad_input():
    t = np.linspace(0, 50, 11)
    mu = np.array([0.5, 2.0])
    t.setflags(write=False)
    mu.setflags(write=False)
    kw = dict(tau_x_ns=20.0, tau_xx_ns=5.0, n_max=10)
    a = cascade_pl(t, mu, **kw)
    b = cascade_pl(t[::-1], mu[::-1], **kw)
    np.testing.assert_allclose(a, b[::-1, ::-1], rtol=1e-13)
    with pytest.raises(InputError, match="time_ns"):
        cascade_pl([-1.0, 0.0], mu, **kw)
    with pytest.raises(InputError, match="rates_per_ns"):
        cascade_pl(t, mu, tau_x_ns=20.0, tau_xx_ns=None, n_max=3, rates_per_ns=[0, 1, 2])
    with pytest.raises(InputError, match="tau_xx_ns is required"):
        cascade_pl(t, mu, tau_x_ns=20.0, tau_xx_ns=None)


