"""Forward observables: spectra, ASE, TA, TRPL, cavity."""
import numpy as np
import pytest

from multiphoton.constants import HC_EV_NM
from multiphoton.errors import InputError
from multiphoton.models.cascade import cascade_integrated_populations
from multiphoton.simulate.ase import ase_threshold_fluence, net_modal_gain_per_cm, stripe_amplification
from multiphoton.simulate.cavity import laser_photon_number, lorentzian_line
from multiphoton.simulate.spectra import BandEdge, level_occupations, pl_spectra, state_absorbance, state_emission
from multiphoton.simulate.ta import film_absorbance, gain_intervals, gain_lifetime_ns, ta_map
from multiphoton.simulate.trpl import trpl_traces
from multiphoton.units import spectrum_per_nm_to_per_eV

BAND = BandEdge(exciton_eV=1.9, biexciton_binding_meV=-50.0, level_offsets_eV=(0.0, 0.1, 0.19),
                level_capacities=(2, 6, 10), level_fwhm_eV=(0.085, 0.11, 0.12), pia_per_exciton=0.02)


def test_level_filling_and_biexciton_line_above_exciton():
    occ = level_occupations(20, BAND.level_capacities)
    assert occ[-1].tolist() == [2, 6, 10]  # beyond capacity: full ladder
    e = np.linspace(1.6, 2.3, 7001)
    em = state_emission(e, BAND, n_max=3)
    assert e[np.argmax(em[1])] == pytest.approx(1.9, abs=1e-4)
    assert e[np.argmax(em[2])] == pytest.approx(1.95, abs=1e-4)  # E_b < 0: repulsive, blue
    np.testing.assert_allclose(np.trapezoid(em[1:], e, axis=1), 1.0, rtol=1e-6)


def test_state_absorbance_full_inversion_and_pia():
    from multiphoton.simulate.spectra import gaussian_line

    e = 1.95
    a = state_absorbance([e], BAND, n_max=3)[:, 0]
    g2 = gaussian_line(e, 2.0, 0.11)
    g3 = gaussian_line(e, 2.09, 0.12)
    # XX: both level-1 channels emit at E_XX; levels 2, 3 still absorb; PIA 2 × 0.02
    assert a[2] == pytest.approx(-2.0 + 6 * g2 + 10 * g3 + 0.04, rel=1e-12)
    # N = 3: one exciton in level 2 → (6 − 2) channels absorb there
    assert a[3] == pytest.approx(-2.0 + 4 * g2 + 10 * g3 + 0.06, rel=1e-12)
    assert a[0] > 0


def test_wavelength_jacobian_conserves_area():
    # A spectrum written per nm with S_λ = S_E hc/λ² integrates to the same photons.
    wl = np.linspace(520.0, 820.0, 3001)
    s_e = pl_spectra(HC_EV_NM / wl, [0.5], BAND, tau_x_ns=20.0, tau_xx_ns=4.0, n_max=20)[0]
    s_nm = s_e * HC_EV_NM / wl**2
    e_back, s_back = spectrum_per_nm_to_per_eV(wl, s_nm)
    area_nm = np.trapezoid(s_nm, wl)
    area_e = np.trapezoid(s_back, e_back)
    assert area_e == pytest.approx(area_nm, rel=1e-5)
    np.testing.assert_allclose(s_back, s_e[::-1], rtol=1e-12)


def test_ase_threshold_is_zero_crossing_of_peak_gain():
    def mean_n(f):
        return 4.0 * f**2

    f_th, e_pk = ase_threshold_fluence(mean_n, BAND, gain_scale_per_cm=300.0, loss_per_cm=60.0, n_max=30)
    e = np.arange(1.6, 2.5, 1e-4)
    g = net_modal_gain_per_cm(e, [mean_n(f_th * 0.99), mean_n(f_th), mean_n(f_th * 1.01)], BAND,
                              gain_scale_per_cm=300.0, loss_per_cm=60.0, n_max=30)
    assert g[0].max() < 0 < g[2].max()
    assert abs(g[1].max()) < 1e-6
    assert e[np.argmax(g[1])] == pytest.approx(e_pk, abs=2e-4)
    assert stripe_amplification(0.0) == 1.0


def test_ta_before_time_zero_and_gain_region():
    e = np.linspace(1.6, 2.4, 801)
    m = ta_map([-1.0, 10.0, 1e5], e, 6.0, BAND, od_per_channel=0.02, tau_x_ns=20.0, tau_xx_ns=4.0, n_max=40)
    assert np.all(m[0] == 0)
    a0 = film_absorbance(e, BAND, od_per_channel=0.02, continuum_od=0.3)
    assert gain_intervals(e, a0 + m[1])  # net gain at 10 ps
    assert not gain_intervals(e, a0 + m[2])  # none after 100 ns
    t_g = gain_lifetime_ns(e, 6.0, BAND, od_per_channel=0.02, continuum_od=0.3, tau_x_ns=20.0,
                           tau_xx_ns=4.0, n_max=40)
    before, after = ta_map([t_g * 1e3 * 0.98, t_g * 1e3 * 1.02], e, 6.0, BAND, od_per_channel=0.02,
                           tau_x_ns=20.0, tau_xx_ns=4.0, n_max=40)
    assert np.min(a0 + before) < 0 <= np.min(a0 + after)
    with pytest.raises(InputError, match="ascending"):
        gain_intervals(e[::-1], a0)


def test_trpl_area_matches_integrated_photons():
    t = np.arange(-5.0, 400.0, 0.1)
    tr = trpl_traces(t, [0.3], tau_x_ns=20.0, tau_xx_ns=4.0, n_max=20, irf_fwhm_ns=0.3, beam_profile="flat")
    x = cascade_integrated_populations([0.3], tau_x_ns=20.0, tau_xx_ns=4.0, n_max=20)[0]
    photons = np.sum(np.arange(21) / 20.0 * x)
    assert np.sum(tr[0]) * 0.1 == pytest.approx(photons, rel=1e-3)  # convolution conserves area
    assert tr[0, t < -2].max() < 1e-12  # IRF 0.3 ns: nothing 2 ns before the pulse
    with pytest.raises(InputError, match="uniform"):
        trpl_traces(np.array([0.0, 1.0, 3.0]), [0.3], tau_x_ns=20.0, tau_xx_ns=4.0, irf_fwhm_ns=0.3)


def test_laser_rate_equation_solution():
    beta = 1e-3
    p = np.array([0.3, 1.0, 2.0, 4.0])
    s = laser_photon_number(p, beta=beta)
    np.testing.assert_allclose(s * (1 + s) / (s + beta), p, rtol=1e-12)  # steady state
    slope = (s[3] - s[2]) / 2.0
    assert slope == pytest.approx(1.0, abs=1e-3)  # linear above threshold
    # extrapolates to zero at p = 1, up to the β bias ≈ βp/(p − 1) ≤ 2.7e-3 here
    assert s[3] - slope * 4.0 == pytest.approx(-1.0, abs=4e-3)
    e = np.linspace(1.7, 1.9, 200001)
    assert np.trapezoid(lorentzian_line(e, 1.8, 7.7e-4), e) == pytest.approx(1.0, rel=1e-2)
    with pytest.raises(InputError, match="beta"):
        laser_photon_number(p, beta=0.0)
