"""The ASE step: threshold, ASE peak, biexciton binding energy, ⟨N⟩ at threshold."""
from __future__ import annotations

from dataclasses import replace

import numpy as np

from ...analysis import spectra, threshold
from ...io.options import ASESeriesOptions
from ...model_error import with_model_error
from ...results import Estimate
from ...units import pulse_shape_factor, two_photon_counting_factor
from ...plotdata import ASESeriesPlot
from ._step import Step, StepResult

__all__ = ["ASE_SERIES", "run_ase_series"]


def _difference_peak(series, th: Estimate, k: int, j: int):
    """Peak of spectrum ``k`` minus spectrum ``j`` scaled by the sub-threshold trend."""
    f = series.fluence_mJ_cm2
    a = th.params["intercept"][0]
    b = th.params["slope_below"][0]
    trend_k, trend_j = a + b * f[k], a + b * f[j]
    # linear sub-threshold trend; if it is not positive there, scale with fluence
    scale = trend_k / trend_j if trend_j > 0 and trend_k > 0 else f[k] / f[j]
    diff = series.counts[k] - scale * series.counts[j]
    return spectra.peak_energy(series.energy_eV, diff, method="second-derivative"), scale


PICK_MIN_PROBABILITY = 1e-3
"""Alternative picks less likely than this (under the threshold's distribution) are left out
of the peak-pick model error; together they weigh < 1 % for any stderr."""


def _pick_probabilities(fluence_mJ_cm2, th: Estimate):
    """P(k): probability that spectrum k is the first above the threshold.

    The threshold is taken as normal with its value and stderr (noise and the hinge's
    model error): P(k) = Φ((F_k − F_th)/σ) − Φ((F_{k−1} − F_th)/σ) for k ≥ 1, the chance
    that the threshold lands between spectrum k − 1 and spectrum k. Returns an array of
    shape (F,) (P(0) = 0: the lowest spectrum has nothing below it to subtract).
    """
    from scipy.special import ndtr

    f = np.asarray(fluence_mJ_cm2, dtype=float)
    cdf = ndtr((f - th.value) / th.stderr) if th.stderr > 0 else (f >= th.value).astype(float)
    return np.r_[0.0, np.diff(cdf)]


def _pick_error(fluence_mJ_cm2, peak_eV, probability, pick_mJ_cm2):
    """Peak-pick error, scatter of the candidates' peaks, and their slope (eV per mJ/cm²).

    Ê = a + bF is the P-weighted least-squares line through the candidates' peaks E_k;
    σ_pick = |b| · √(Σ P(k)(F_k − F_pick)² / Σ P(k)) (the pick moves the peak along the
    line); σ_scatter² = Σ P(k)(E_k − Ê(F_k))² / Σ P(k) · n/(n − 2) for n ≥ 3 candidates
    (the noise of one difference peak, which the window spread of the second-derivative
    method does not hold: the difference of two spectra 2 % apart holds little ASE, and on
    the harness's wavelength-axis files neighbouring difference peaks scatter by 10–40
    meV). Measured on the ASE series of harness draws 1000–1119 (120): with both terms RMS
    z 0.83, |z| < 2 for 95 %; Σ P(k)(E_k − E_pick)² alone 0.81, its line alone 3.0 (the
    pick's own scatter left out). Fewer than two candidates give (0.0, 0.0, None).
    """
    n = fluence_mJ_cm2.size
    if n < 2:
        return 0.0, 0.0, None
    w = probability / probability.sum()
    fm = np.sum(w * fluence_mJ_cm2)
    sxx = np.sum(w * (fluence_mJ_cm2 - fm) ** 2)
    if not sxx > 0:
        return 0.0, 0.0, None
    em = np.sum(w * peak_eV)
    slope = float(np.sum(w * (fluence_mJ_cm2 - fm) * (peak_eV - em)) / sxx)
    resid = peak_eV - (em + slope * (fluence_mJ_cm2 - fm))
    scatter = float(np.sqrt(np.sum(w * resid**2) * n / (n - 2))) if n >= 3 else 0.0
    return float(abs(slope) * np.sqrt(np.sum(w * (fluence_mJ_cm2 - pick_mJ_cm2) ** 2))), scatter, slope


def _ase_peak(series, th: Estimate):
    """Peak of the ASE feature at the lowest fluence above threshold (spontaneous part removed).

    The spectrum just below threshold, scaled by the sub-threshold linear trend to the
    fluence above, is subtracted; the peak of the difference is located by the
    second-derivative method.

    The first ASE peak moves with fluence (≈ 1 meV per % near threshold on the simulated
    films) and the series is dense there (steps of 2 % of F_th), so which spectrum is "the
    first above threshold" is a discrete random choice under the threshold's own
    uncertainty (its stderr includes the hinge's model error, +1 to +7 % against
    gain = loss). The peak-pick model error is the spread of what the other picks would
    have reported: σ²_pick = Σ_k P(k) (Ê(F_k) − Ê(F_pick))² / Σ_k P(k), with P(k) of
    :func:`_pick_probabilities`, E_k the peak of spectrum k minus spectrum k − 1 (the same
    subtraction the analysis makes when the threshold lies between them) and Ê the
    P-weighted straight line through the E_k (:func:`_pick_error`); candidates with
    P(k) < :data:`PICK_MIN_PROBABILITY` or no peak are left out. It is added in
    quadrature (an independent ``uncertainties`` term tagged ``"model error"``), and so is
    the candidates' scatter about that line (tagged ``"noise"``: a difference peak's own
    noise, ``details["peak_scatter_eV"]``). A slope
    |dE/dF| · σ(F_th) from two spectra (the former rule) treated the pick as continuous
    and was sometimes tiny by chance; the pick is discrete, and the threshold's bias moves
    it by whole spectra (calibration harness, docs/calibration.md).
    """
    from uncertainties import ufloat

    f = series.fluence_mJ_cm2
    above = np.nonzero(f > th.value)[0]
    below = np.nonzero(f < th.value)[0]
    k, j = int(above[0]), int(below[-1])
    peak, scale = _difference_peak(series, th, k, j)
    details = {**peak.details, "fluence_mJ_cm2": float(f[k]), "subtracted_fluence_mJ_cm2": float(f[j]),
               "subtracted_scale": float(scale)}
    if not peak.success:
        return replace(peak, method="ase-difference-second-derivative", details=details)
    prob = _pick_probabilities(f, th)
    cands, fk, ek, pk = [], [], [], []
    for m in np.nonzero(prob >= PICK_MIN_PROBABILITY)[0]:
        alt = peak if m == k else _difference_peak(series, th, int(m), int(m) - 1)[0]
        cands.append({"fluence_mJ_cm2": float(f[m]), "probability": float(prob[m]),
                      "peak_eV": float(alt.value) if alt.success else None})
        if alt.success:
            fk.append(f[m]), ek.append(alt.value), pk.append(prob[m])
    pick, scatter, slope = _pick_error(np.array(fk), np.array(ek), np.array(pk), float(f[k]))
    if slope is not None:
        details["peak_slope_eV_per_mJ_cm2"] = slope
    # a single candidate (threshold known to a fraction of a step) has no pick error
    u = peak.to_ufloat()
    if pick > 0:
        u = u + ufloat(0.0, pick, tag="model error")
    if scatter > 0:
        u = u + ufloat(0.0, scatter, tag="noise")
    details.update(peak_pick_model_error_eV=pick, peak_scatter_eV=scatter, peak_pick_candidates=cands,
                   stderr_contains=["noise", "model error"])
    peak = Estimate.from_ufloat(u, method=peak.method, unit=peak.unit, message=peak.message,
                                reduced_chi2=peak.reduced_chi2, params=peak.params, details=details)
    return replace(peak, method="ase-difference-second-derivative", details=details)


def _excitons(out: StepResult, o: ASESeriesOptions, th: Estimate, inputs) -> None:
    """⟨N⟩ at the ASE threshold from σ₂ and the pulse (data contract section 3)."""
    sigma2 = inputs.get("sigma2_GM")
    if sigma2 is None:
        out.warn("excitons_at_threshold", f"{o.where}: no sigma2_GM for this sample (add a tpef measurement)")
        return
    for key in ("pulse_fwhm_fs", "excitation_eV"):
        if getattr(o, key) is None:
            out.warn("excitons_at_threshold", f"{o.where}: {key} is not given; add `{key} = …` to compute "
                     "excitons per particle")
            return
    per_event = two_photon_counting_factor(o.two_photon_counting)
    n_th = per_event * threshold.excitons_two_photon(th.to_ufloat(), sigma2_GM=sigma2.to_ufloat(),
                                                     excitation_eV=o.excitation_eV, pulse_fwhm_fs=o.pulse_fwhm_fs,
                                                     pulse_shape=o.pulse_shape)
    out.add("excitons_at_threshold", Estimate.from_ufloat(
        n_th, method="two-photon-g-sigma2-J2-over-tau", unit="", details={
            "pulse_shape": o.pulse_shape, "pulse_factor_g": pulse_shape_factor(o.pulse_shape),
            "two_photon_counting": o.two_photon_counting, "excitons_per_sigma2_event": per_event,
            "formula": f"<N> = {per_event:g} · g σ₂ J²/τ, J = F/hν (docs/quantities.md)",
            "spot": "the fluence is taken as uniform over the excited stripe (no spatial average)"}))


def _hinge_lines(th: Estimate):
    """(slope, intercept) of the sub- and above-threshold lines of the hinge fit."""
    if not th.success:
        return None, None
    a, b = th.params["intercept"][0], th.params["slope_below"][0]
    b2 = th.params["slope_above"][0]
    return [b, a], [b2, a + (b - b2) * th.value]


def run_ase_series(data, o: ASESeriesOptions, inputs) -> StepResult:
    """ASE threshold, biexciton binding energy, ⟨N⟩ at threshold; plot ``ase_series``.

    Quantities: ``ase_threshold_mJ_cm2`` (hinge fit of integrated emission),
    ``ase_threshold_linewidth_mJ_cm2`` (linewidth-narrowing onset, a cross-check),
    ``ase_peak_eV``, ``biexciton_binding_meV`` = E_PL − E_ASE (needs ``pl_peak_eV``),
    ``excitons_at_threshold`` (needs ``sigma2_GM``, ``excitation_eV``, ``pulse_fwhm_fs``).
    """
    s = data["file"]
    out = StepResult()
    e, f, counts = s.energy_eV, s.fluence_mJ_cm2, s.counts
    integ = np.asarray(spectra.integrated_intensity(e, counts))
    widths = [spectra.fwhm_meV(e, c) for c in counts]
    th = threshold.ase_threshold(f, integ)
    th = replace(th, message=f"{o.where}: {th.message}" if th.message else "")
    th = with_model_error(th, "ase_threshold_mJ_cm2")  # the hinge's known bias (multiphoton.model_error)
    out.add("ase_threshold_mJ_cm2", th)
    if all(w.success for w in widths):
        out.add("ase_threshold_linewidth_mJ_cm2", threshold.linewidth_threshold(
            f, [w.value for w in widths], fwhm_stderr_meV=[max(w.stderr, 1e-3) for w in widths]))
    else:
        out.warn("ase_threshold_linewidth_mJ_cm2", f"{o.where}: a spectrum has no measurable FWHM")
    ase_peak = None
    pl_peak = inputs.get("pl_peak_eV")
    if th.success:
        ase_peak = _ase_peak(s, th)
        out.add("ase_peak_eV", ase_peak)
        if pl_peak is None:
            out.warn("biexciton_binding_meV", f"{o.where}: no pl_peak_eV for this "
                     "sample (add a pl_spectrum or pl_fluence_series measurement)")
        elif ase_peak.success:
            binding = (pl_peak.to_ufloat() - ase_peak.to_ufloat()) * 1e3
            out.add("biexciton_binding_meV", Estimate.from_ufloat(
                binding, method="pl-peak-minus-ase-peak", unit="meV", details={
                    "ase_peak_eV": ase_peak.value, "ase_fluence_mJ_cm2": ase_peak.details["fluence_mJ_cm2"],
                    "peak_pick_model_error_meV": 1e3 * ase_peak.details.get("peak_pick_model_error_eV", 0.0),
                    "stderr_contains": ["noise", "model error"]}))
        _excitons(out, o, th, inputs)
    else:
        for q in ("biexciton_binding_meV", "excitons_at_threshold"):
            out.warn(q, f"{o.where}: no ASE threshold ({th.message})")
    below_fit, above_fit = _hinge_lines(th)
    out.plots.append(ASESeriesPlot(
        sample=o.sample, measurement=o.index,
        fluence_mJ_cm2=f, energy_eV=e, counts=counts, integrated=integ,
        fwhm_meV=[w.value if w.success else None for w in widths],
        threshold_mJ_cm2=th.value if th.success else None,
        threshold_stderr=th.stderr if th.success else None,
        below_fit=below_fit, above_fit=above_fit,
        ase_peak_eV=ase_peak.value if ase_peak is not None and ase_peak.success else None,
        pl_peak_eV=pl_peak.value if pl_peak is not None else None,
    ))
    return out


ASE_SERIES = Step(kind="ase_series", run=run_ase_series, needs=("pl_peak_eV", "sigma2_GM"),
                  provides=("ase_threshold_mJ_cm2", "ase_threshold_linewidth_mJ_cm2", "ase_peak_eV",
                            "biexciton_binding_meV", "excitons_at_threshold"))
