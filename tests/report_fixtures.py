"""Synthetic Results and plot objects (multiphoton.plotdata) for the report tests.

Small arrays (a few fluences, ~60 energies) so that figures render fast. The numbers
are shaped like the paper's data but nothing here is physics under test: the report
only draws and formats what it is given.
"""
from __future__ import annotations

import dataclasses

import numpy as np

from multiphoton.plotdata import (
    TAGlobalPlot,
    PLOT_TYPES, ASESeriesPlot, LaserSeriesPlot, PlotData, PLFluenceSeriesPlot, PLSpectrumPlot,
    TAMapPlot, TimeSeriesPlot, TPEFPlot, TPEFSpectraPlot, TRPLPlot,
)
from multiphoton.plotdata import PLDecompositionPlot, SaturationPlot, ZScanPlot
from multiphoton.results import Estimate, Results, Warning_

__all__ = ["make_plots", "make_results", "OPTIONAL_KEYS", "REQUIRED_KEYS", "without", "emptied"]


def _gauss(x, centre, width):
    return np.exp(-0.5 * ((x - centre) / width) ** 2)


def make_plots(sample: str = "QS-4.5", *, seed: int = 0) -> list[PlotData]:
    """One plot object of every family for ``sample``."""
    rng = np.random.default_rng(seed)
    energy = np.linspace(1.7, 2.2, 60)
    fluence = np.array([0.2, 0.4, 0.8, 1.6, 3.2])
    integrated = 1e3 * fluence**2 * np.array([1, 1, 1, 0.9, 0.7])
    pl_counts = [(f**2 * 1e3 * _gauss(energy, 1.93, 0.04) + rng.normal(0, 5, energy.size)).tolist()
                 for f in fluence]
    time_ns = np.linspace(0, 100, 80)
    normalized = [(np.exp(-time_ns / 30) / np.exp(-60 / 30) * (1 + f * np.exp(-time_ns / 6))).tolist()
                  for f in fluence]
    rt = time_ns[time_ns < 40]
    residual = 3 * np.exp(-rt / 6.7) + rng.normal(0, 0.05, rt.size)
    delay = np.array([-1.0, 0.5, 1, 10, 100, 1000, 5000])
    gs = 0.3 * _gauss(energy, 2.0, 0.1)
    net = np.array([gs - (0.5 * np.exp(-max(d, 0) / 3000) * _gauss(energy, 1.95, 0.08) if d > 0 else 0)
                    for d in delay])
    laser_f = np.array([0.5, 1.0, 1.5, 2.0, 2.5, 3.0])
    line = np.where(laser_f > 1.2, 500 * (laser_f - 1.2), 10.0)
    t_s = np.linspace(0, 1800, 12)
    mode_t = np.concatenate([t_s, t_s[3:]])
    mode_e = np.concatenate([1.95 + 1e-5 * t_s / 6, 1.97 + 1e-5 * t_s[3:] / 6])
    return [
        PLFluenceSeriesPlot(sample=sample, measurement=0,
            fluence_mJ_cm2=fluence.tolist(), energy_eV=energy.tolist(), counts=pl_counts,
            integrated=integrated.tolist(), used=[True, True, True, False, False],
            slope=2.0, slope_stderr=0.05, intercept=3.0),
        PLSpectrumPlot(sample=sample, measurement=1,
            energy_eV=energy.tolist(), counts=(1e3 * _gauss(energy, 1.925, 0.04)).tolist(),
            peak_eV=1.925, fwhm_meV=94.0),
        TPEFPlot(sample=sample, measurement=2,
            sample_fluence_mJ_cm2=fluence.tolist(), sample_integrated=(50 * fluence**2).tolist(),
            reference_fluence_mJ_cm2=fluence.tolist(),
            reference_integrated=(2 * fluence**2 * (1 + rng.normal(0, 0.02, fluence.size))).tolist(),
            sample_coef=50.0, reference_coef=2.0),
        TPEFSpectraPlot(sample=sample, measurement=2,
            energy_1p_eV=energy.tolist(), counts_1p=_gauss(energy, 1.925, 0.04).tolist(),
            energy_2p_eV=energy.tolist(), counts_2p=_gauss(energy, 1.930, 0.042).tolist(),
            peak_shift_meV=5.0),
        TRPLPlot(sample=sample, measurement=3,
            time_ns=time_ns.tolist(), fluence_mJ_cm2=fluence.tolist(), normalized=normalized,
            window_ns=[50.0, 70.0], low_fluence=[True, True, False, False, False],
            residual_time_ns=rt.tolist(), residual=residual.tolist(),
            residual_fit=(3 * np.exp(-rt / 6.7)).tolist(), tau_xx_ns=6.7, tau_x_ns=30.0),
        ASESeriesPlot(sample=sample, measurement=4,
            fluence_mJ_cm2=fluence.tolist(), energy_eV=energy.tolist(), counts=pl_counts,
            integrated=(100 * fluence + np.where(fluence > 1.5, 800 * (fluence - 1.5), 0)).tolist(),
            fwhm_meV=[95, 94, 90, 40, 30], threshold_mJ_cm2=1.5, threshold_stderr=0.1,
            below_fit=[100.0, 0.0], above_fit=[900.0, -1200.0],
            ase_peak_eV=1.975, pl_peak_eV=1.925),
        TAMapPlot(sample=sample, measurement=5,
            delay_ps=delay.tolist(), energy_eV=energy.tolist(), net_absorbance=net.tolist(),
            ground_state=gs.tolist(), gain_delays_ps=[1, 10, 1000], bandwidth_delay_ps=10.0,
            gain_region_eV=[[1.85, 2.05]], noise_od=0.005, gain_lifetime_ns=3.4),
        _ta_global(sample, delay, energy),
        LaserSeriesPlot(sample=sample, measurement=6,
            fluence_mJ_cm2=laser_f.tolist(), energy_eV=energy.tolist(),
            counts=[(l * _gauss(energy, 1.95, 0.003) + 20 * _gauss(energy, 1.93, 0.04)).tolist()
                    for l in line],
            line_intensity=line.tolist(), above=(laser_f > 1.2).tolist(),
            fit=[500.0, -600.0], threshold_mJ_cm2=1.2, mode_eV=[1.95], linewidth_meV=7.0),
        TimeSeriesPlot(sample=sample, measurement=7,
            time_s=t_s.tolist(), energy_eV=energy.tolist(),
            counts=[(100 * _gauss(energy, 1.95, 0.01)).tolist() for _ in t_s],
            integrated=np.linspace(1, 2, t_s.size).tolist(), mode_time_s=mode_t.tolist(),
            mode_eV=mode_e.tolist(), mode_track=[0] * t_s.size + [1] * (t_s.size - 3),
            drift_meV_per_min=0.33, retention=2.0),
        *_crosscheck_plots(sample, rng, energy, fluence),
    ]


def _crosscheck_plots(sample, rng, energy, fluence):
    """Z-scan, saturation and PL-decomposition plots (issue #16)."""
    z = np.linspace(-20, 20, 41)
    fit = 1 - 0.15 / (1 + (z / 2.0) ** 2)
    mu = 0.5 * fluence**2
    amp = 1e4 * (1 - np.exp(-mu))
    x_band = np.outer(1 - np.exp(-mu), 1e3 * _gauss(energy, 1.93, 0.04))
    xx_band = np.outer(1 - np.exp(-mu) * (1 + mu), 1e3 * _gauss(energy, 1.98, 0.04))
    return [
        ZScanPlot(sample=sample, measurement=8, z_mm=z.tolist(),
                  transmittance=(fit + rng.normal(0, 0.003, z.size)).tolist(), fit=fit.tolist(),
                  q0=0.35, focus_mm=0.0, rayleigh_mm=2.0, beta_cm_per_GW=0.036),
        SaturationPlot(sample=sample, measurement=9, fluence_mJ_cm2=fluence.tolist(), mean_n=mu.tolist(),
                       amplitude=amp.tolist(), amplitude_stderr=(0.01 * amp).tolist(),
                       curve_mean_n=np.geomspace(0.01, 10, 30).tolist(),
                       curve=(1e4 * -np.expm1(-np.geomspace(0.01, 10, 30))).tolist(), a_sat=1e4, order=2),
        PLDecompositionPlot(sample=sample, measurement=10, fluence_mJ_cm2=fluence.tolist(),
                            energy_eV=energy.tolist(), counts=(x_band + xx_band).tolist(),
                            exciton_band=x_band.tolist(), biexciton_band=xx_band.tolist(), mean_n=mu.tolist(),
                            exciton_eV=1.93, biexciton_eV=1.98),
    ]


def _ta_global(sample, delay, energy):
    """A two-component global fit on the fixture's TA grid (exact model, small noise)."""
    d, e = np.asarray(delay, float), np.asarray(energy, float)
    das = np.stack([_gauss(e, 1.95, 0.03), -0.5 * _gauss(e, 2.05, 0.05)]) * 0.01
    kin = np.stack([np.exp(-np.clip(d, 0, None) / t) * (d >= 0) for t in (2.0, 50.0)])
    fit = kin.T @ das
    res = 1e-4 * np.sin(np.add.outer(d, 30 * e))
    u, s, vt = np.linalg.svd(fit + res, full_matrices=False)
    return TAGlobalPlot(sample=sample, measurement=5, delay_ps=d.tolist(), energy_eV=e.tolist(),
                        dA=(fit + res).tolist(), fit=fit.tolist(), residual=res.tolist(),
                        singular_values=s.tolist(), svd_time_vectors=u[:, :3].T.tolist(),
                        svd_spectral_vectors=vt[:3].tolist(), svd_rank=2, svd_threshold_od=1e-3,
                        tau_ps=[2.0, 50.0], tau_stderr_ps=[0.1, 2.0], das=das.tolist(),
                        das_stderr=(0.05 * np.abs(das) + 1e-5).tolist(), eas=das.tolist(),
                        eas_stderr=(0.05 * np.abs(das) + 1e-5).tolist(), offset=(0.1 * das[0]).tolist(),
                        t0_ps=(0.2 * (e - e.mean())).tolist(), irf_fwhm_ps=0.15, trace_energies_eV=[1.95, 2.05])


OPTIONAL_KEYS = {
    family: [f.name for f in dataclasses.fields(cls) if f.default is None]
    for family, cls in PLOT_TYPES.items()
}
"""Fields of each family that may be None: a figure (or a clear note) must still come."""

REQUIRED_KEYS = {
    family: [f.name for f in dataclasses.fields(cls)
             if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING]
    for family, cls in PLOT_TYPES.items()
}
"""Fields of each family that plot_from_json refuses to do without."""


def make_results(*, with_plots: bool = True) -> Results:
    """Two samples, quantities in both tables, one warning, a manifest needing escapes."""
    e = Estimate
    r = Results(
        name="CdS/CdSe/CdS quantum shells <test>",
        software={"name": "multiphoton", "version": "0.1.0"},
        sample_info={
            "QS-4.5": {"layers": ["CdS", "CdSe", "CdS"], "core_diameter_nm": [4.5, 0.3],
                       "shell_thickness_nm": [[2.1, 0.3], [1.1, 0.4]],
                       "total_volume_nm3": [678.0, 162.0]},
            "QS-6.0": {"layers": ["CdS", "CdSe", "CdS"], "core_diameter_nm": None,
                       "shell_thickness_nm": [], "total_volume_nm3": [1630.0, 466.0]},
        },
        inputs=[{"path": "qs45/pl_2p.csv", "sha256": "ab" * 32, "bytes": 1234},
                {"path": "qs60/trpl.csv", "sha256": "cd" * 32, "bytes": 99}],
        manifest_text='name = "QS <b>bold</b> & co"\n[[sample]]\nid = "QS-4.5"\n',
    )
    r.samples["QS-4.5"] = {
        "pl_peak_eV": e(value=1.925, stderr=0.0012, method="peak-parabola", unit="eV"),
        "epsilon_per_M_cm": e(value=3.2e7, stderr=0.9e7, method="icp-oes", unit="M^-1 cm^-1"),
        "sigma1_cm2": e(value=1.22e-13, stderr=0.34e-13, method="from-epsilon", unit="cm^2"),
        "sigma2_GM": e(value=1.234e6, stderr=0.456e6, method="tpef-relative", unit="GM",
                       message="reference rhodamine-6g"),
        "sigma2_per_volume_cm_s": e(value=1.8e-26, stderr=0.6e-26, method="ratio", unit="cm s"),
        "pl_order": e(value=1.98, stderr=0.0123, method="power-law", unit="", reduced_chi2=1.1),
        "tau_xx_ns": e(value=6.7, stderr=0.3, method="klimov-difference", unit="ns"),
        "tau_x_ns": e(value=30.2, stderr=1.4, method="tail-exponential", unit="ns"),
        "biexciton_binding_meV": e(value=-49.0, stderr=5.0, method="peak-difference", unit="meV"),
        "ase_threshold_mJ_cm2": e(value=1.5, stderr=0.1, method="two-line", unit="mJ/cm^2"),
        "gain_bandwidth_meV": e(value=277.0, stderr=12.0, method="net-gain-width", unit="meV"),
        "shots": e(value=1.08e6, stderr=0.0, method="duration-x-rate", unit=""),
    }
    r.samples["QS-6.0"] = {
        "sigma2_GM": e(value=0.4e6, stderr=0.1e6, method="tpef-relative", unit="GM"),
        "tau_xx_ns": e(value=4.0, stderr=0.2, method="klimov-difference", unit="ns"),
    }
    r.warnings.append(Warning_("QS-6.0", "laser_threshold_mJ_cm2", "no point above threshold <2>"))
    if with_plots:
        r.plots = make_plots("QS-4.5") + [
            p for p in make_plots("QS-6.0", seed=1) if p.family in ("pl_fluence_series", "trpl")
        ]
    return r


def without(plot: PlotData, *keys: str) -> PlotData:
    """A copy of ``plot`` with the optional fields ``keys`` set to None."""
    return dataclasses.replace(plot, **{k: None for k in keys})


def emptied(plot: PlotData) -> PlotData:
    """A copy of ``plot`` with every array empty (fixed-length ones kept) and every
    optional field None."""
    changes = {}
    for f in dataclasses.fields(plot):
        fixed = all(isinstance(n, int) for n in plot._AXES.get(f.name, ("axis",)))
        if "array" in f.metadata and not fixed:
            changes[f.name] = None if f.default is None else []
        elif f.default is None:
            changes[f.name] = None
    return dataclasses.replace(plot, **changes)
