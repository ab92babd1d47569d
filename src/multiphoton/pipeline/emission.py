"""Glue for the emission quantities of Table 2: τ_X, τ_XX (TRPL series), ASE threshold,
biexciton binding energy and excitons per particle at threshold (ASE series)."""
from __future__ import annotations

from dataclasses import replace

import numpy as np
from uncertainties import ufloat

from ..analysis import spectra, threshold, trpl
from ..errors import InputError
from ..io.manifest import Measurement
from ..results import Estimate
from .core import Context, estimate_from_ufloat

__all__ = ["run_trpl_series", "run_ase_series"]


def _u(est: Estimate):
    """An uncertainties number from an Estimate (plain float when stderr is 0 or NaN)."""
    if est.stderr > 0:
        return ufloat(est.value, est.stderr)
    return float(est.value)


def _uq(ctx: Context, sample: str, name: str):
    """The correlated uncertainties number of an earlier quantity, or one from its Estimate."""
    u = ctx.uvalue(sample, name)
    if u is not None:
        return u
    est = ctx.quantity(sample, name)
    return None if est is None else _u(est)


def _opt_window(m: Measurement):
    w = m.options.get("window_ns")
    if w is None:
        return None
    if (not isinstance(w, (list, tuple)) or len(w) != 2
            or not all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in w)):
        raise InputError(f"{m.where}, key 'window_ns': expected [start, stop] in ns, got {w!r}.")
    return (float(w[0]), float(w[1]))


def _opt_int(m: Measurement, name: str):
    v = m.options.get(name)
    if v is None:
        return None
    if not isinstance(v, int) or isinstance(v, bool):
        raise InputError(f"{m.where}, key {name!r}: expected an integer, got {v!r}.")
    return v


def run_trpl_series(m: Measurement, ctx: Context) -> None:
    """τ_XX by Klimov's difference method (and the global cascade fit), τ_X; plot ``trpl``.

    Manifest options: ``window_ns = [start, stop]`` (normalisation window), ``n_low``
    (number of low-fluence traces), ``high_index`` (trace fitted, in ascending fluence
    order), ``irf`` (file). τ_X (``tau_x_ns``) is always the low-fluence tail after the
    normalisation window (single excitons only); with an IRF, a reconvolution fit of the
    whole summed low-fluence trace is added as ``tau_x_irf_ns`` (a cross-check, with a
    message when one exponential misfits it).
    """
    s = ctx.load(m)
    irf = ctx.load(m, "irf", kind="irf")
    if s.fluence_mJ_cm2.size < 2:
        ctx.results.warn(m.sample, "tau_xx_ns", f"{m.where}: only one fluence; the difference "
                         "method needs low- and high-fluence traces")
        return
    try:
        res = trpl.biexciton_lifetime(s.time_ns, s.fluence_mJ_cm2, s.counts,
                                      window_ns=_opt_window(m), n_low=_opt_int(m, "n_low"),
                                      high_index=_opt_int(m, "high_index"))
    except InputError as exc:
        raise InputError(f"{m.where}: {exc}") from None
    ctx.set(m.sample, "tau_xx_ns", res.tau_xx_ns, _u(res.tau_xx_ns) if res.tau_xx_ns.success else None)
    tau_x = res.tau_x_ns
    ctx.set(m.sample, "tau_x_ns", tau_x, _u(tau_x) if tau_x.success else None)
    if irf is not None:
        # cross-check: reconvolution of the summed low-fluence traces with the measured IRF
        low = np.asarray(res.low_fluence)
        try:
            fit = trpl.fit_decay(s.time_ns, s.counts[low].sum(axis=0),
                                 irf=(irf.time_ns, irf.counts), weighting="poisson-mle")
        except InputError as exc:
            raise InputError(f"{m.where}, key 'irf': {exc}") from None
        msg = fit.tau_ns.message
        if fit.reduced_chi2 > 2.0:
            msg = (f"one exponential misfits the whole low-fluence trace (reduced chi2 "
                   f"{fit.reduced_chi2:.1f}, e.g. a multiexciton admixture); prefer tau_x_ns "
                   "(low-fluence-tail)")
        ctx.set(m.sample, "tau_x_irf_ns", replace(fit.tau_ns, message=msg, details={
            "low_fluence_mJ_cm2": [float(f) for f in s.fluence_mJ_cm2[low]],
            "irf_shift_ns": fit.irf_shift_ns.value}))
    ctx.set(m.sample, "tau_xx_global_ns", res.tau_xx_global_ns)
    ctx.set(m.sample, "tau_x_global_ns", res.tau_x_global_ns)
    ok_xx = res.tau_xx_ns.success
    ctx.results.plots.append({
        "family": "trpl", "sample": m.sample, "measurement": m.index,
        "time_ns": res.time_ns, "fluence_mJ_cm2": s.fluence_mJ_cm2, "normalized": res.normalized,
        "window_ns": list(res.window_ns), "low_fluence": np.asarray(res.low_fluence),
        "residual_time_ns": res.residual_time_ns, "residual": res.residual,
        "residual_fit": res.residual_fit if ok_xx else None,
        "tau_xx_ns": res.tau_xx_ns.value if ok_xx else None,
        "tau_x_ns": tau_x.value if tau_x.success else None,
    })


def _ase_peak(series, th: Estimate):
    """Peak of the ASE feature at the lowest fluence above threshold (spontaneous part removed).

    The spectrum just below threshold, scaled by the sub-threshold linear trend to the
    fluence above, is subtracted; the peak of the difference is located by the
    second-derivative method.
    """
    f = series.fluence_mJ_cm2
    above = np.nonzero(f > th.value)[0]
    below = np.nonzero(f < th.value)[0]
    k, j = int(above[0]), int(below[-1])
    a = th.params["intercept"][0]
    b = th.params["slope_below"][0]
    trend_k, trend_j = a + b * f[k], a + b * f[j]
    # linear sub-threshold trend; if it is not positive there, scale with fluence
    scale = trend_k / trend_j if trend_j > 0 and trend_k > 0 else f[k] / f[j]
    diff = series.counts[k] - scale * series.counts[j]
    peak = spectra.peak_energy(series.energy_eV, diff, method="second-derivative")
    return peak, k, j, float(scale)


def run_ase_series(m: Measurement, ctx: Context) -> None:
    """ASE threshold, biexciton binding energy, ⟨N⟩ at threshold; plot ``ase_series``.

    Quantities: ``ase_threshold_mJ_cm2`` (hinge fit of integrated emission),
    ``ase_threshold_linewidth_mJ_cm2`` (linewidth-narrowing onset, a cross-check),
    ``ase_peak_eV``, ``biexciton_binding_meV`` = E_PL − E_ASE (needs ``pl_peak_eV``),
    ``excitons_at_threshold`` (needs ``sigma2_GM`` and the measurement's
    ``excitation_eV``, ``pulse_fwhm_fs``, ``pulse_shape`` = "gaussian" by default).
    """
    s = ctx.load(m)
    e, f, counts = s.energy_eV, s.fluence_mJ_cm2, s.counts
    integ = np.asarray(spectra.integrated_intensity(e, counts))
    widths = [spectra.fwhm_meV(e, c) for c in counts]
    th = threshold.ase_threshold(f, integ)
    th = replace(th, message=f"{m.where}: {th.message}" if th.message else "")
    ctx.set(m.sample, "ase_threshold_mJ_cm2", th, _u(th) if th.success else None)
    if all(w.success for w in widths):
        lw = threshold.linewidth_threshold(f, [w.value for w in widths],
                                           fwhm_stderr_meV=[max(w.stderr, 1e-3) for w in widths])
        ctx.set(m.sample, "ase_threshold_linewidth_mJ_cm2", lw)
    else:
        ctx.results.warn(m.sample, "ase_threshold_linewidth_mJ_cm2",
                         f"{m.where}: a spectrum has no measurable FWHM")
    ase_peak = None
    pl_peak = ctx.quantity(m.sample, "pl_peak_eV")
    if th.success:
        ase_peak, k, j, scale = _ase_peak(s, th)
        ase_peak = replace(ase_peak, method="ase-difference-second-derivative",
                           details={**ase_peak.details, "fluence_mJ_cm2": float(f[k]),
                                    "subtracted_fluence_mJ_cm2": float(f[j]),
                                    "subtracted_scale": scale})
        ctx.set(m.sample, "ase_peak_eV", ase_peak, _u(ase_peak) if ase_peak.success else None)
        e_pl = _uq(ctx, m.sample, "pl_peak_eV")
        if e_pl is None:
            ctx.results.warn(m.sample, "biexciton_binding_meV", f"{m.where}: no pl_peak_eV for this "
                             "sample (add a pl_spectrum or pl_fluence_series measurement)")
        elif ase_peak.success:
            binding = (e_pl - _u(ase_peak)) * 1e3
            ctx.set(m.sample, "biexciton_binding_meV",
                    estimate_from_ufloat(binding, method="pl-peak-minus-ase-peak", unit="meV",
                                         details={"ase_peak_eV": ase_peak.value}), binding)
        sigma2 = _uq(ctx, m.sample, "sigma2_GM")
        if sigma2 is None:
            ctx.results.warn(m.sample, "excitons_at_threshold", f"{m.where}: no sigma2_GM for this "
                             "sample (add a tpef measurement)")
        elif "pulse_fwhm_fs" not in m.options:
            ctx.results.warn(m.sample, "excitons_at_threshold", f"{m.where}: pulse_fwhm_fs is not "
                             "given; add `pulse_fwhm_fs = …` to compute excitons per particle")
        else:
            shape = m.str("pulse_shape", "gaussian")
            n_th = threshold.excitons_two_photon(_uq(ctx, m.sample, "ase_threshold_mJ_cm2"),
                                                 sigma2_GM=sigma2,
                                                 excitation_eV=m.float("excitation_eV"),
                                                 pulse_fwhm_fs=m.float("pulse_fwhm_fs"),
                                                 pulse_shape=shape)
            ctx.set(m.sample, "excitons_at_threshold",
                    estimate_from_ufloat(n_th, method="two-photon-g-sigma2-J2-over-tau", unit="",
                                         details={"pulse_shape": shape}), n_th)
    else:
        for q in ("biexciton_binding_meV", "excitons_at_threshold"):
            ctx.results.warn(m.sample, q, f"{m.where}: no ASE threshold ({th.message})")
    below_fit = above_fit = None
    if th.success:
        a, b = th.params["intercept"][0], th.params["slope_below"][0]
        b2 = th.params["slope_above"][0]
        below_fit = [b, a]
        above_fit = [b2, a + (b - b2) * th.value]
    ctx.results.plots.append({
        "family": "ase_series", "sample": m.sample, "measurement": m.index,
        "fluence_mJ_cm2": f, "energy_eV": e, "counts": counts, "integrated": integ,
        "fwhm_meV": [w.value if w.success else None for w in widths],
        "threshold_mJ_cm2": th.value if th.success else None,
        "threshold_stderr": th.stderr if th.success else None,
        "below_fit": below_fit, "above_fit": above_fit,
        "ase_peak_eV": ase_peak.value if ase_peak is not None and ase_peak.success else None,
        "pl_peak_eV": pl_peak.value if pl_peak is not None else None,
    })
