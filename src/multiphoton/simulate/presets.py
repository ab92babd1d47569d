"""Campaign presets: every number the simulator needs, with where it comes from.

``PRESETS["paper-2023"]`` reproduces the three CdS/CdSe/CdS quantum-shell samples of
Diroll et al., Nanoscale 2023 (Tables 1 and 2): the cross sections, lifetimes and
energies are inputs; shell thicknesses are chosen so the total volumes match Table 1;
ladder spacings, losses and photoinduced absorption are model choices (see
docs/simulator.md). Values that the analyses measure are recomputed from the model
by the campaign writer and stored in ``truth.json``; they are not copied from here.
"""
from __future__ import annotations

from types import MappingProxyType

__all__ = ["PRESETS", "preset_names"]

_LADDER = {
    "level_offsets_eV": (0.0, 0.10, 0.19, 0.27, 0.34, 0.40, 0.45),
    "level_capacities": (2, 6, 10, 14, 18, 22, 26),
    "level_fwhm_eV": (0.085, 0.11, 0.12, 0.13, 0.14, 0.15, 0.16),
}

_PAPER_2023 = {
    "name": "CdS/CdSe/CdS quantum shells (simulated after Diroll et al., Nanoscale 2023)",
    "pump_2p_eV": 1.55,
    "pump_1p_eV": 3.1,
    "pulse_fwhm_fs": 60.0,
    "pulse_shape": "gaussian",
    "n_max": 60,
    "ladder": _LADDER,
    # Rhodamine 6G: σ₂ = 16.2 GM at 806 nm (Sengupta et al., J. Chem. Phys. 112, 9201 (2000))
    # and ε = 1682 ± 82 M⁻¹cm⁻¹ at 3.1 eV (the PhotochemCAD spectrum in ethanol), the values of
    # the standards library, which the analysis looks up itself (tests/test_standards.py
    # checks that these equal the library's). The dye solution holds 1.43e4 molecules per
    # particle, so that its weak 400 nm absorbance (≈ 0.015) stays measurable.
    "reference": {
        "name": "rhodamine-6g",
        "sigma2_GM": 16.2,
        "epsilon_1p_per_M_cm": 1682.0,
        "epsilon_1p_std_per_M_cm": 82.0,
        "quantum_yield": 0.95,
        "emission_eV": 2.23,
        "emission_fwhm_eV": 0.17,
        "concentration_ratio": 1.427e4,
    },
    "gain_scale_per_cm": 300.0,
    "stripe_length_cm": 0.1,
    "guided_fraction": 0.3,
    "saturation_gl": 6.0,
    "film_od_per_channel": 0.02,
    "film_continuum_od": 0.3,
    "ta_noise_od": 5e-5,
    "irf_fwhm_ns": 0.3,
    "samples": (
        {
            "id": "QS-4.5",
            "core_diameter_nm": (4.5, 0.3),
            "cdse_thickness_nm": (1.6, 0.3),
            "outer_std_nm": 0.4,
            "n_particles": 200,  # TEM count (a model choice; the paper does not state it)
            "total_volume_nm3": 678.0,
            "sigma2_GM": 1.7e6,
            "epsilon_per_M_cm": 3.2e7,
            "icp_absorbance": 0.40,
            "quantum_yield": 0.35,
            "exciton_eV": 1.925,
            "biexciton_binding_meV": -49.0,
            "tau_x_ns": 25.0,
            "tau_xx_ns": 6.7,
            "pia_per_exciton": 0.03,
            "ase_threshold_target_mJ_cm2": 1.5,
            "ta_fluence_mJ_cm2": 1.54,
            "pl_wavelength_axis": True,
            "ase_wavelength_axis": False,
        },
        {
            "id": "QS-6.0",
            "core_diameter_nm": (6.0, 0.5),
            "cdse_thickness_nm": (1.4, 0.3),
            "outer_std_nm": 0.5,
            "n_particles": 200,  # TEM count (a model choice; the paper does not state it)
            "total_volume_nm3": 1630.0,
            "sigma2_GM": 0.4e6,
            "epsilon_per_M_cm": 1.3e7,
            "icp_absorbance": 0.40,
            "quantum_yield": 0.25,
            "exciton_eV": 1.954,
            "biexciton_binding_meV": -53.0,
            "tau_x_ns": 20.0,
            "tau_xx_ns": 4.0,
            "pia_per_exciton": 0.0,
            "ase_threshold_target_mJ_cm2": 1.7,
            "ta_fluence_mJ_cm2": 3.12,
            "pl_wavelength_axis": False,
            "ase_wavelength_axis": True,
        },
        {
            "id": "QS-8.2",
            "core_diameter_nm": (8.2, 0.8),
            "cdse_thickness_nm": (2.2, 0.4),
            "outer_std_nm": 0.6,
            "n_particles": 200,  # TEM count (a model choice; the paper does not state it)
            "total_volume_nm3": 3764.0,
            "sigma2_GM": 7.9e6,
            "epsilon_per_M_cm": 7.6e7,
            "icp_absorbance": 0.40,
            "quantum_yield": 0.20,
            "exciton_eV": 1.774,
            "biexciton_binding_meV": -48.0,
            "tau_x_ns": 30.0,
            "tau_xx_ns": 11.9,
            "pia_per_exciton": 0.10,
            "ase_threshold_target_mJ_cm2": 1.0,
            "ta_fluence_mJ_cm2": 2.19,
            "pl_wavelength_axis": False,
            "ase_wavelength_axis": False,
        },
    ),
    "laser": {
        "sample": "QS-8.2",
        "threshold_mJ_cm2": 1.1,
        "mode_eV": 1.800,
        "linewidth_meV": 0.77,
        "beta": 1e-3,
        "fluences_mJ_cm2": (0.6, 0.75, 0.9, 1.0, 1.05, 1.15, 1.25, 1.35, 1.5, 1.65, 1.8, 2.0),
        # the laser series is recorded as average power with a knife-edge scan of the pump
        # (Gaussian spot; the cavity mode sees the peak fluence 2E/(πw²))
        "pump_beam_radius_um": 150.0,
        "pump_rep_rate_Hz": 1000.0,
        "knife_edge_noise_mW": 0.002,
        "knife_edge_center_um": 12.0,
    },
    "time_series": {
        "fluence_mJ_cm2": 1.3,
        "duration_s": 1800.0,
        "step_s": 60.0,
        "rep_rate_Hz": 1000.0,
        "drift_meV": 10.0,
        "second_mode_offset_meV": -6.5,
        "second_mode_start_s": 120.0,
        "second_mode_ratio": 0.6,
        "line_gain_over_run": 2.0,
    },
}

PRESETS = MappingProxyType({"paper-2023": _PAPER_2023})
"""Preset name → parameter mapping (read-only)."""


def preset_names() -> tuple[str, ...]:
    """Names of the available presets, sorted."""
    return tuple(sorted(PRESETS))
