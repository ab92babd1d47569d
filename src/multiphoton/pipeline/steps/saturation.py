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


def _finish(o, order, fluence, amp, amp_err, weights_of, lifetimes, out: StepResult, observable: str) -> None:
    """Fit, propagate the lifetimes (finite differences), record the quantity and its figure."""
    name = "sigma1_saturation_cm2" if order == 1 else "sigma2_saturation_GM"
    if order == 2 and o.pulse_fwhm_fs is None:
        out.warn(name, f"{o.where}: two-photon saturation needs pulse_fwhm_fs")
        return
    est = _fit(o, order, fluence, amp, amp_err, weights_of(**{k: v for k, (v, _) in lifetimes.items()}))
    if not est.success:
        out.warn(name, f"{o.where}: {est.message}")
        return
    var_tau = 0.0
    for key, (v, err) in lifetimes.items():
        if not (math.isfinite(err) and err > 0):
            continue
        shifted = {k: (vv + err if k == key else vv) for k, (vv, _) in lifetimes.items()}
        try:
            alt = _fit(o, order, fluence, amp, amp_err, weights_of(**shifted))
        except InputError:
            continue
        if alt.success:
            var_tau += (alt.value - est.value) ** 2
    stderr = math.hypot(est.stderr, math.sqrt(var_tau))
    details = {**est.details, "observable": observable, "beam_profile": o.beam_profile,
               "order": order, "lifetimes_ns": {k: v for k, (v, _) in lifetimes.items()},
               "stderr_contains": est.details["stderr_contains"].replace(
                   "; the lifetimes in the state weights are taken as exact",
                   ", and the lifetimes of the state weights (finite differences)")}
    out.add(name, Estimate(value=est.value, stderr=stderr, method=est.method, unit=est.unit,
                           reduced_chi2=est.reduced_chi2, residuals=est.residuals, params=est.params,
                           details=details))
    k = est.params["mean_n_per_unit"][0]
    mu = k * fluence**order
    grid = np.geomspace(max(mu.min() / 2, 1e-4), mu.max() * 2, 120)
    a_sat = est.params["a_sat"][0]
    curve = a_sat * saturation.saturation_curve(grid, order=order, beam_profile=_profile(o),
                                                weights=weights_of(**{k2: v for k2, (v, _) in lifetimes.items()}))
    out.plots.append(SaturationPlot(sample=o.sample, measurement=o.index, fluence_mJ_cm2=fluence, mean_n=mu,
                                    amplitude=amp, amplitude_stderr=amp_err, curve_mean_n=grid, curve=curve,
                                    a_sat=a_sat, order=order))


def saturation_from_traces(s, o, inputs, own_tau_xx, out: StepResult) -> None:
    """σ from the late single-exciton amplitudes of a ``trpl_series`` (``saturation = true``).

    The excitation order is read from the low-fluence slope of the amplitudes
    (:func:`order_from_slope`).
    """
    tau_xx = (inputs.get("tau_xx_global_ns") or inputs.get("tau_xx_ns")
              or (own_tau_xx if own_tau_xx is not None and own_tau_xx.success else None))
    if tau_xx is None:
        out.warn("sigma2_saturation_GM", f"{o.where}: no biexciton lifetime to place the late window "
                                         "and weight the states")
        return
    start = o.late_start_ns if o.late_start_ns is not None else 8.0 * tau_xx.value
    try:
        amp, amp_err, tau_x, tau_x_err = saturation.late_amplitudes(s.time_ns, s.counts, start_ns=start)
    except InputError as exc:
        out.warn("sigma2_saturation_GM", f"{o.where}: {exc}")
        return
    order, why = order_from_slope(s.fluence_mJ_cm2, amp)
    if order is None:
        out.warn("sigma2_saturation_GM", f"{o.where}: {why}")
        return

    def weights_of(tau_x_ns, tau_xx_ns):
        return saturation.state_weights("trpl-late", tau_x_ns=tau_x_ns, tau_xx_ns=tau_xx_ns)

    lifetimes = {"tau_x_ns": (tau_x, tau_x_err), "tau_xx_ns": (tau_xx.value, tau_xx.stderr)}
    _finish(o, order, s.fluence_mJ_cm2, amp, amp_err, weights_of, lifetimes, out,
            f"late single-exciton amplitude (t >= {start:.3g} ns, extrapolated to t = 0)")


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
