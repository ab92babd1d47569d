"""The TRPL step: τ_XX by Klimov's difference method and the global cascade fit, τ_X."""
from __future__ import annotations

from dataclasses import replace

import numpy as np

from ...analysis import trpl
from ...analysis.lifetime import decay_lifetime
from .saturation import saturation_from_traces
from ...errors import InputError
from ...results import Estimate
from ...io.options import TRPLSeriesOptions
from ...model_error import with_model_error
from ...plotdata import TRPLPlot
from ._step import Step, StepResult

__all__ = ["TRPL_SERIES", "run_trpl_series"]


def _irf_cross_check(t, y, irf, o: TRPLSeriesOptions, *, low_fluence=None, n_components=1,
                     fit_stop_ns=None):
    """τ_X by reconvolution of a trace (the summed low-fluence ones) with the measured IRF.

    Returns (Estimate or None, reason): an IRF that cannot be used (no peak, wider than the
    decay window) gives None and the reason, so only this quantity is lost.
    """
    rng = None if fit_stop_ns is None else (float(t[0]), float(fit_stop_ns))
    try:
        fit = trpl.fit_decay(t, y, irf=(irf.time_ns, irf.counts), weighting="poisson-mle",
                             n_components=n_components, fit_range_ns=rng)
    except InputError as exc:
        return None, f"{o.where}, key 'irf': {exc}"
    msg = fit.tau_ns.message
    if fit.reduced_chi2 > 2.0:
        msg = (f"{n_components} exponential(s) misfit the whole trace (reduced chi2 "
               f"{fit.reduced_chi2:.1f}, e.g. a multiexciton admixture or a non-exponential decay); "
               "prefer tau_x_ns")
    details = {"irf_shift_ns": fit.irf_shift_ns.value, "n_components": n_components,
               "irf_on_grid": fit.irf_details}
    if low_fluence is not None:
        details["low_fluence_mJ_cm2"] = low_fluence
    est = fit.tau_ns
    if n_components > 1 and fit.success:
        a = np.array([e.value for e in fit.amplitudes])
        ta = np.array([e.value for e in fit.taus_ns])
        sa = np.array([e.stderr for e in fit.amplitudes])
        st = np.array([e.stderr for e in fit.taus_ns])
        mean = float(np.sum(a * ta) / np.sum(a))
        # gradient of Σaτ/Σa; correlations are not exposed by fit_decay: neglected (stated)
        g_t, g_a = a / a.sum(), (ta - mean) / a.sum()
        se = float(np.sqrt(np.sum((g_t * st) ** 2 + (g_a * sa) ** 2)))
        details.update(taus_ns=[float(v) for v in ta], amplitudes=[float(v) for v in a],
                       stderr_contains="fit, components' errors combined without their correlations")
        est = replace(est, value=mean, stderr=se)
    return replace(est, message=msg, details=details), ""


def _disagree(a: Estimate, b: Estimate, what: str) -> str:
    """A reason when two estimates of one quantity differ beyond 3 combined stderrs."""
    if not (a.success and b.success and np.isfinite(a.stderr) and np.isfinite(b.stderr)):
        return ""
    comb = float(np.hypot(a.stderr, b.stderr))
    if comb > 0 and abs(a.value - b.value) > 3.0 * comb:
        return (f"{what}: {a.method} gives {a.value:.4g} ns, {b.method} {b.value:.4g} ns "
                f"({abs(a.value - b.value) / comb:.1f} combined sigma apart): the model of one of them "
                "does not apply")
    return ""


def _single_decay(s, irf, o: TRPLSeriesOptions, out: StepResult) -> StepResult:
    """τ_X of one trace: tail with AICc model choice; with an IRF, a reconvolution cross-check."""
    out.warn("tau_xx_ns", f"{o.where}: only one fluence; the difference method needs low- and "
             "high-fluence traces")
    try:
        tau = decay_lifetime(s.time_ns, s.counts[0])
    except InputError as exc:
        raise InputError(f"{o.where}: {exc}") from None
    out.add("tau_x_ns", tau)
    if tau.success and irf is not None:
        n = {"1exp": 1, "2exp": 2, "3exp": 3}.get(tau.details["model"], 2)
        x_irf, why = _irf_cross_check(s.time_ns, s.counts[0], irf, o, n_components=n,
                                      fit_stop_ns=tau.details["noise_end_ns"])
        if x_irf is None:
            out.warn("tau_x_irf_ns", why)
        else:
            out.add("tau_x_irf_ns", x_irf)
            clash = _disagree(tau, x_irf, "tau_x")
            if clash:
                out.warn("tau_x_ns", f"{o.where}: {clash}")
    if tau.success and tau.message:
        out.warn("tau_x_ns", f"{o.where}: {tau.message}")
    return out


TAU_QUANTITIES = ("tau_xx_ns", "tau_x_ns", "tau_x_irf_ns", "tau_xx_global_ns", "tau_x_global_ns")


def run_trpl_series(data, o: TRPLSeriesOptions, inputs) -> StepResult:
    """τ_XX (``tau_xx_ns``, Klimov differencing; ``tau_xx_global_ns``, cascade fit) and τ_X.

    Options: ``window_ns = [start, stop]`` (normalisation window), ``n_low`` (number of
    low-fluence traces), ``high_index`` (trace fitted, in ascending fluence order),
    ``irf`` (file, on any time grid). τ_X (``tau_x_ns``) is the low-fluence tail after the
    normalisation window (single excitons only); with an IRF, a reconvolution fit of the
    whole summed low-fluence trace is added as ``tau_x_irf_ns`` (a cross-check, with a
    message when one exponential misfits it). An unusable IRF loses ``tau_x_irf_ns`` only
    (a warning). One trace (one fluence): ``tau_x_ns`` by
    :func:`~multiphoton.analysis.lifetime.decay_lifetime` (model chosen by AICc). A method
    whose premise fails, or two methods that disagree beyond 3 combined σ, give a warning
    on the quantity. ``saturation = true`` adds σ₁ or σ₂ from a global cascade fit of the
    series' traces with τ_X and τ_XX fitted too (:mod:`multiphoton.pipeline.steps.saturation`).
    """
    s = data["file"]
    irf = data.get("irf")
    out = StepResult()
    known_tau = inputs.get("tau_xx_global_ns") or inputs.get("tau_xx_ns")
    if o.saturation and known_tau is not None and o.provides is not None and \
            not set(o.provides) & set(TAU_QUANTITIES):
        saturation_from_traces(s, o, inputs, None, out)  # only σ asked for: no lifetime fits here
        return out
    if s.fluence_mJ_cm2.size < 2:
        return _single_decay(s, irf, o, out)
    try:
        res = trpl.biexciton_lifetime(s.time_ns, s.fluence_mJ_cm2, s.counts, window_ns=o.window_ns,
                                      n_low=o.n_low, high_index=o.high_index)
    except InputError as exc:
        raise InputError(f"{o.where}: {exc}") from None
    out.add("tau_xx_ns", with_model_error(res.tau_xx_ns, "tau_xx_ns"))  # Klimov differencing's known bias
    out.add("tau_x_ns", res.tau_x_ns)
    x_irf = None
    if irf is not None:
        low = np.asarray(res.low_fluence)
        x_irf, why = _irf_cross_check(s.time_ns, s.counts[low].sum(axis=0), irf, o,
                                      low_fluence=[float(f) for f in s.fluence_mJ_cm2[low]])
        if x_irf is None:
            out.warn("tau_x_irf_ns", why)
        else:
            out.add("tau_x_irf_ns", x_irf)
    out.add("tau_xx_global_ns", res.tau_xx_global_ns)
    out.add("tau_x_global_ns", res.tau_x_global_ns)
    for name, est in (("tau_xx_ns", res.tau_xx_ns), ("tau_x_ns", res.tau_x_ns)):
        if est.success and est.message:  # a premise of the method fails: say so on the quantity
            out.warn(name, f"{o.where}: {est.message}")
    for other in (res.tau_x_global_ns, x_irf):
        clash = _disagree(res.tau_x_ns, other, "tau_x") if other is not None else ""
        if clash:
            out.warn("tau_x_ns", f"{o.where}: {clash}")
    if o.saturation:
        saturation_from_traces(s, o, inputs, res.tau_xx_ns, out)
    ok_xx = res.tau_xx_ns.success
    out.plots.append(TRPLPlot(
        sample=o.sample, measurement=o.index,
        time_ns=res.time_ns, fluence_mJ_cm2=s.fluence_mJ_cm2, normalized=res.normalized,
        window_ns=list(res.window_ns), low_fluence=np.asarray(res.low_fluence),
        residual_time_ns=res.residual_time_ns, residual=res.residual,
        residual_fit=res.residual_fit if ok_xx else None,
        tau_xx_ns=res.tau_xx_ns.value if ok_xx else None,
        tau_x_ns=res.tau_x_ns.value if res.tau_x_ns.success else None,
        tau_xx_stderr=res.tau_xx_ns.stderr if ok_xx else None,
        tau_x_stderr=res.tau_x_ns.stderr if res.tau_x_ns.success else None,
    ))
    return out


TRPL_SERIES = Step(kind="trpl_series", run=run_trpl_series, needs=("tau_xx_global_ns", "tau_xx_ns"),
                   provides=TAU_QUANTITIES,
                   fallback=("sigma1_saturation_cm2", "sigma2_saturation_GM"))
