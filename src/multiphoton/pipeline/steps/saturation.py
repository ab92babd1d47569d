"""Saturation cross sections (σ₁ or σ₂ with no reference dye) for the TRPL and PL steps.

Not a step of its own: ``saturation = true`` on a ``trpl_series`` or ``pl_fluence_series``
adds ``sigma1_saturation_cm2`` (one-photon) or ``sigma2_saturation_GM`` (two-photon) to
what that step gives (data contract section 5).
"""
from __future__ import annotations

import math

import numpy as np

from ...analysis import saturation
from ...errors import InputError
from ...io.options import nominal
from ...plotdata import SaturationPlot
from ...results import Estimate
from ._step import StepResult

__all__ = ["saturation_from_traces", "saturation_from_spectra", "excitation_order", "order_from_slope"]


def excitation_order(o, inputs) -> tuple[int | None, str]:
    """1 or 2: two-photon when the pump photon is below the PL peak, with why (None: unknown)."""
    if o.excitation_eV is None:
        return None, f"{o.where}: saturation needs excitation_eV"
    peak = inputs.get("pl_peak_eV")
    if peak is None or not peak.success:
        return None, (f"{o.where}: the excitation order is unknown (no pl_peak_eV of the sample to compare "
                      "excitation_eV with); add a pl_spectrum or pl_fluence_series of the sample")
    return (2 if o.excitation_eV < peak.value else 1), ""


def order_from_slope(fluence, amplitude) -> tuple[int | None, str]:
    """1 or 2 from the log–log slope of the three lowest-fluence amplitudes (> 1.5: two-photon)."""
    k = np.argsort(fluence)[:3]
    if np.any(amplitude[k] <= 0):
        return None, "the lowest-fluence amplitudes are not positive: the excitation order cannot be read"
    slope = float(np.polyfit(np.log(fluence[k]), np.log(amplitude[k]), 1)[0])
    if not 0.6 < slope < 2.4:
        return None, f"the low-fluence slope of the amplitudes is {slope:.2f}, neither one- nor two-photon"
    return (2 if slope > 1.5 else 1), ""


def _profile(o) -> str:
    return o.beam_profile


def _fit(o, order, fluence, amp, amp_err, weights) -> Estimate:
    return saturation.fit_saturation(
        fluence, amp, amp_err, order=order, excitation_eV=o.excitation_eV,
        pulse_fwhm_fs=nominal(o.pulse_fwhm_fs), pulse_shape=o.pulse_shape, beam_profile=_profile(o),
        weights=weights, fluence_rel_uncertainty=o.fluence_rel_uncertainty)


def _lifetime_variance(o, order, fluence, amp, amp_err, weights_of, lifetimes, value) -> float:
    """Variance of σ from the lifetimes of the state weights: central differences (±1σ).

    The weights depend strongly and nonlinearly on τ_XX as τ_XX → τ_X/2, where a one-sided
    difference under- or overstates the slope; the central one is exact to second order.
    """
    var = 0.0
    for key, (v, err) in lifetimes.items():
        if not (math.isfinite(err) and err > 0):
            continue
        ends = []
        for sign in (1.0, -1.0):
            shifted = {k: (vv + sign * err if k == key else vv) for k, (vv, _) in lifetimes.items()}
            try:
                alt = _fit(o, order, fluence, amp, amp_err, weights_of(**shifted))
            except InputError:
                alt = None
            ends.append(alt.value if alt is not None and alt.success else None)
        if ends[0] is not None and ends[1] is not None:
            var += (0.5 * (ends[0] - ends[1])) ** 2
        elif ends[0] is not None or ends[1] is not None:  # one side outside the model (τ_XX > τ_X/2)
            var += (next(e for e in ends if e is not None) - value) ** 2
    return var


def _plot(o, order, fluence, amp, amp_err, k, a_sat, weights) -> SaturationPlot:
    mu = k * fluence**order
    grid = np.geomspace(max(mu.min() / 2, 1e-4), mu.max() * 2, 120)
    curve = a_sat * saturation.saturation_curve(grid, order=order, beam_profile=_profile(o), weights=weights)
    return SaturationPlot(sample=o.sample, measurement=o.index, fluence_mJ_cm2=fluence, mean_n=mu,
                          amplitude=amp, amplitude_stderr=amp_err, curve_mean_n=grid, curve=curve,
                          a_sat=a_sat, order=order)


def _finish(o, order, fluence, amp, amp_err, weights_of, lifetimes, out: StepResult, observable: str) -> None:
    """Fit, propagate the lifetimes (central differences), record the quantity and its figure."""
    name = "sigma1_saturation_cm2" if order == 1 else "sigma2_saturation_GM"
    if order == 2 and o.pulse_fwhm_fs is None:
        out.warn(name, f"{o.where}: two-photon saturation needs pulse_fwhm_fs")
        return
    weights = weights_of(**{k: v for k, (v, _) in lifetimes.items()})
    est = _fit(o, order, fluence, amp, amp_err, weights)
    if not est.success:
        out.warn(name, f"{o.where}: {est.message}")
        return
    var_tau = _lifetime_variance(o, order, fluence, amp, amp_err, weights_of, lifetimes, est.value)
    stderr = math.hypot(est.stderr, math.sqrt(var_tau))
    details = {**est.details, "observable": observable, "beam_profile": o.beam_profile,
               "order": order, "lifetimes_ns": {k: v for k, (v, _) in lifetimes.items()},
               "stderr_contains": est.details["stderr_contains"].replace(
                   "; the lifetimes in the state weights are taken as exact",
                   ", and the lifetimes of the state weights (central differences)")}
    out.add(name, Estimate(value=est.value, stderr=stderr, method=est.method, unit=est.unit,
                           reduced_chi2=est.reduced_chi2, residuals=est.residuals, params=est.params,
                           details=details))
    out.plots.append(_plot(o, order, fluence, amp, amp_err, est.params["mean_n_per_unit"][0],
                           est.params["a_sat"][0], weights))


def saturation_from_traces(s, o, inputs, own_tau_xx, out: StepResult) -> None:
    """σ from a ``trpl_series`` (``saturation = true``): one global cascade fit of its traces.

    The sample's τ_XX (``tau_xx_global_ns``, else ``tau_xx_ns``, else the series' own
    Klimov estimate) only places the late window, whose single-exciton amplitudes give the
    excitation order (:func:`order_from_slope`), the starting values and the figure's
    points. σ, τ_X and τ_XX are then fitted together on every trace
    (:func:`multiphoton.analysis.saturation.fit_saturation_traces`): the state weights'
    strong dependence on τ_XX (as τ_XX → τ_X/2) no longer imports another measurement's
    τ_XX error, and σ's stderr holds τ_XX's through the fit covariance.
    """
    name = "sigma2_saturation_GM"
    tau_xx = (inputs.get("tau_xx_global_ns") or inputs.get("tau_xx_ns")
              or (own_tau_xx if own_tau_xx is not None and own_tau_xx.success else None))
    if tau_xx is None:
        out.warn(name, f"{o.where}: no biexciton lifetime to place the late window and start the fit")
        return
    start = o.late_start_ns if o.late_start_ns is not None else 8.0 * tau_xx.value
    try:
        amp, amp_err, tau_x, _ = saturation.late_amplitudes(s.time_ns, s.counts, start_ns=start)
    except InputError as exc:
        out.warn(name, f"{o.where}: {exc}")
        return
    order, why = order_from_slope(s.fluence_mJ_cm2, amp)
    if order is None:
        out.warn(name, f"{o.where}: {why}")
        return
    name = "sigma1_saturation_cm2" if order == 1 else "sigma2_saturation_GM"
    if order == 2 and o.pulse_fwhm_fs is None:
        out.warn(name, f"{o.where}: two-photon saturation needs pulse_fwhm_fs")
        return
    tau_xx0 = min(tau_xx.value, 0.45 * tau_x)
    start_fit = _fit(o, order, s.fluence_mJ_cm2, amp, amp_err,
                     saturation.state_weights("trpl-late", tau_x_ns=tau_x, tau_xx_ns=tau_xx0))
    if not start_fit.success:
        out.warn(name, f"{o.where}: {start_fit.message}")
        return
    try:
        est = saturation.fit_saturation_traces(
            s.time_ns, s.fluence_mJ_cm2, s.counts, order=order, excitation_eV=o.excitation_eV,
            tau_x_ns=tau_x, tau_xx_ns=tau_xx0, mean_n_per_unit=start_fit.params["mean_n_per_unit"][0],
            pulse_fwhm_fs=nominal(o.pulse_fwhm_fs), pulse_shape=o.pulse_shape, beam_profile=_profile(o),
            fluence_rel_uncertainty=o.fluence_rel_uncertainty)
    except InputError as exc:
        out.warn(name, f"{o.where}: {exc}")
        return
    if not est.success:
        out.warn(name, f"{o.where}: {est.message}")
        return
    details = {**est.details, "observable": "every trace from the fit start (global cascade fit, spot-averaged)",
               "late_window_ns": float(start), "beam_profile": o.beam_profile, "order": order,
               "lifetimes_ns": {"tau_x_ns": est.params["tau_x_ns"][0], "tau_xx_ns": est.params["tau_xx_ns"][0]},
               "start_tau_xx_ns": {"value": float(tau_xx.value), "method": tau_xx.method}}
    out.add(name, Estimate(value=est.value, stderr=est.stderr, method=est.method, unit=est.unit,
                           reduced_chi2=est.reduced_chi2, params=est.params, details=details,
                           message=est.message))
    if est.message:
        out.warn(name, f"{o.where}: {est.message}")
    tx, txx = est.params["tau_x_ns"][0], est.params["tau_xx_ns"][0]
    weights = saturation.state_weights("trpl-late", tau_x_ns=tx, tau_xx_ns=min(txx, 0.5 * tx * (1 - 1e-9)))
    out.plots.append(_plot(o, order, s.fluence_mJ_cm2, amp, amp_err, est.params["mean_n_per_unit"][0],
                           est.params["a_sat"][0], weights))


def saturation_from_spectra(s, o, inputs, out: StepResult) -> None:
    """σ from the integrated PL of a ``pl_fluence_series`` (``saturation = true``)."""
    order, why = excitation_order(o, inputs)
    if order is None:
        out.warn("sigma2_saturation_GM", why)
        return
    name = "sigma1_saturation_cm2" if order == 1 else "sigma2_saturation_GM"
    tau_x = inputs.get("tau_x_global_ns") or inputs.get("tau_x_ns")
    tau_xx = inputs.get("tau_xx_global_ns") or inputs.get("tau_xx_ns")
    if tau_x is None or tau_xx is None:
        out.warn(name, f"{o.where}: the integrated PL counts biexciton photons too; it needs the sample's "
                       "tau_x_ns and tau_xx_ns (a trpl_series) to weight the states")
        return
    integ = np.trapezoid(s.counts, s.energy_eV, axis=-1)
    de = float(np.mean(np.diff(s.energy_eV)))
    # Poisson noise of a sum of counts per bin: var(∫) = Σ counts · ΔE²
    err = np.sqrt(np.maximum(s.counts, 1.0).sum(axis=1)) * de

    def weights_of(tau_x_ns, tau_xx_ns):
        return saturation.state_weights("pl-integrated", tau_x_ns=tau_x_ns, tau_xx_ns=tau_xx_ns)

    lifetimes = {"tau_x_ns": (tau_x.value, tau_x.stderr), "tau_xx_ns": (tau_xx.value, tau_xx.stderr)}
    _finish(o, order, s.fluence_mJ_cm2, integ, err, weights_of, lifetimes, out, "integrated PL")
