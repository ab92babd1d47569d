"""The Z-scan step: β (cm/GW) from an open-aperture scan, and σ₂ (GM) without a reference dye."""
from __future__ import annotations

from uncertainties import ufloat

from ...analysis import zscan
from ...io.options import ZScanOptions
from ...plotdata import ZScanPlot
from ...results import Estimate
from ._step import Step, StepResult

__all__ = ["ZSCAN", "run_zscan"]


def run_zscan(data, o: ZScanOptions, inputs) -> StepResult:
    """``beta_cm_per_GW`` and ``sigma2_zscan_GM`` (data contract section 5).

    q₀ is fitted (with the focus and Rayleigh range unless ``focus_mm`` /
    ``rayleigh_range_mm`` are given); β = q₀ / (I₀ L_eff) with I₀ from the pulse energy,
    waist, duration and shape; σ₂ = β hν / N. The stderr propagates the fit noise
    (q₀) and the manifest's pulse energy, waist, pulse duration, path, absorbance and
    concentration uncertainties (linear propagation, ``uncertainties``).
    """
    scan = data["file"]
    out = StepResult()
    fit = zscan.fit_open_aperture(scan.z_mm, scan.transmittance, pulse_shape=o.pulse_shape,
                                  focus_mm=o.focus_mm, rayleigh_mm=o.rayleigh_range_mm)
    plot = dict(sample=o.sample, measurement=o.index, z_mm=scan.z_mm, transmittance=scan.transmittance)
    if not fit.success:
        out.warn("beta_cm_per_GW", f"{o.where}: {fit.message}")
        out.warn("sigma2_zscan_GM", f"{o.where}: no β ({fit.message})")
        out.plots.append(ZScanPlot(**plot))
        return out
    q0 = ufloat(fit.value, fit.stderr, "zscan q0 (noise)")
    i0 = zscan.peak_intensity_W_cm2(o.pulse_energy_nJ, o.beam_waist_um, o.pulse_fwhm_fs, o.pulse_shape)
    l_eff = zscan.effective_length_cm(o.path_cm, o.linear_absorbance)
    beta = q0 / (i0 * l_eff) * 1e9  # cm/W → cm/GW
    contains = ("fit noise of q0 (residual scatter), and the manifest uncertainties of pulse energy, "
                "beam waist, pulse duration, path and linear absorbance")
    details = {"q0": fit.value, "q0_stderr": fit.stderr, "focus_mm": fit.params["focus_mm"][0],
               "rayleigh_mm": fit.params["rayleigh_mm"][0], "fixed": fit.details["fixed"],
               "peak_intensity_GW_cm2": float(getattr(i0, "nominal_value", i0)) * 1e-9,
               "effective_length_cm": float(getattr(l_eff, "nominal_value", l_eff)),
               "pulse_shape": o.pulse_shape,
               "model": "exact Gaussian-beam open-aperture transmittance, time integral by quadrature",
               "stderr_contains": contains}
    out.add("beta_cm_per_GW", Estimate.from_ufloat(beta, method="zscan-open-aperture", unit="cm/GW",
                                                   residuals=fit.residuals, params=fit.params,
                                                   details=details))
    sigma2 = zscan.sigma2_from_beta_GM(beta, excitation_eV=o.excitation_eV,
                                       particle_concentration_M=o.particle_concentration_M)
    out.add("sigma2_zscan_GM", Estimate.from_ufloat(
        sigma2, method="zscan-open-aperture", unit="GM",
        details={**details, "stderr_contains": contains + ", particle concentration",
                 "particle_concentration_M": float(getattr(o.particle_concentration_M, "nominal_value",
                                                           o.particle_concentration_M))}))
    model = zscan.open_aperture_transmittance(scan.z_mm, fit.value, focus_mm=fit.params["focus_mm"][0],
                                              rayleigh_mm=fit.params["rayleigh_mm"][0],
                                              pulse_shape=o.pulse_shape)
    out.plots.append(ZScanPlot(**plot, fit=model, q0=fit.value, focus_mm=fit.params["focus_mm"][0],
                               rayleigh_mm=fit.params["rayleigh_mm"][0],
                               beta_cm_per_GW=float(beta.nominal_value)))
    return out


ZSCAN = Step(kind="zscan", run=run_zscan, provides=("beta_cm_per_GW", "sigma2_zscan_GM"))
