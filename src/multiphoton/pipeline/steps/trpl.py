"""The TRPL step: τ_XX by Klimov's difference method and the global cascade fit, τ_X."""
from __future__ import annotations

from dataclasses import replace

import numpy as np

from ...analysis import trpl
from .saturation import saturation_from_traces
from ...errors import InputError
from ...io.options import TRPLSeriesOptions
from ...plotdata import TRPLPlot
from ._step import Step, StepResult

__all__ = ["TRPL_SERIES", "run_trpl_series"]


def _irf_cross_check(s, irf, low, o: TRPLSeriesOptions):
    """τ_X by reconvolution of the summed low-fluence traces with the measured IRF."""
    try:
        fit = trpl.fit_decay(s.time_ns, s.counts[low].sum(axis=0),
                             irf=(irf.time_ns, irf.counts), weighting="poisson-mle")
    except InputError as exc:
        raise InputError(f"{o.where}, key 'irf': {exc}") from None
    msg = fit.tau_ns.message
    if fit.reduced_chi2 > 2.0:
        msg = (f"one exponential misfits the whole low-fluence trace (reduced chi2 "
               f"{fit.reduced_chi2:.1f}, e.g. a multiexciton admixture); prefer tau_x_ns "
               "(low-fluence-tail)")
    return replace(fit.tau_ns, message=msg, details={
        "low_fluence_mJ_cm2": [float(f) for f in s.fluence_mJ_cm2[low]],
        "irf_shift_ns": fit.irf_shift_ns.value})


TAU_QUANTITIES = ("tau_xx_ns", "tau_x_ns", "tau_x_irf_ns", "tau_xx_global_ns", "tau_x_global_ns")


def run_trpl_series(data, o: TRPLSeriesOptions, inputs) -> StepResult:
    """τ_XX (``tau_xx_ns``, Klimov differencing; ``tau_xx_global_ns``, cascade fit) and τ_X.

    Options: ``window_ns = [start, stop]`` (normalisation window), ``n_low`` (number of
    low-fluence traces), ``high_index`` (trace fitted, in ascending fluence order),
    ``irf`` (file); ``saturation = true`` adds σ₁ or σ₂ from the late amplitudes
    (:mod:`multiphoton.pipeline.steps.saturation`). τ_X (``tau_x_ns``) is the low-fluence tail after the normalisation
    window (single excitons only); with an IRF, a reconvolution fit of the whole summed
    low-fluence trace is added as ``tau_x_irf_ns`` (a cross-check, with a message when
    one exponential misfits it).
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
        out.warn("tau_xx_ns", f"{o.where}: only one fluence; the difference "
                 "method needs low- and high-fluence traces")
        return out
    try:
        res = trpl.biexciton_lifetime(s.time_ns, s.fluence_mJ_cm2, s.counts, window_ns=o.window_ns,
                                      n_low=o.n_low, high_index=o.high_index)
    except InputError as exc:
        raise InputError(f"{o.where}: {exc}") from None
    out.add("tau_xx_ns", res.tau_xx_ns)
    out.add("tau_x_ns", res.tau_x_ns)
    if irf is not None:
        out.add("tau_x_irf_ns", _irf_cross_check(s, irf, np.asarray(res.low_fluence), o))
    out.add("tau_xx_global_ns", res.tau_xx_global_ns)
    out.add("tau_x_global_ns", res.tau_x_global_ns)
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
    ))
    return out


TRPL_SERIES = Step(kind="trpl_series", run=run_trpl_series, needs=("tau_xx_global_ns", "tau_xx_ns"),
                   provides=TAU_QUANTITIES,
                   fallback=("sigma1_saturation_cm2", "sigma2_saturation_GM"))
