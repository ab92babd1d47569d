"""The TPEF step: σ₂ (GM) by the relative method against a reference dye, and σ₂/V."""
from __future__ import annotations

from dataclasses import replace

import numpy as np
from uncertainties import ufloat

from ... import standards
from ...analysis import cross_section, powerlaw, quantum_yield
from ...analysis.emission_compare import compare_emission
from ...analysis.lifetime import compare_lifetimes
from ...errors import InputError
from ...io.options import TPEFOptions
from ...results import Estimate
from ...units import gm_to_cm4_s, nm3_to_cm3
from ...plotdata import TPEFPlot, TPEFSpectraPlot
from ._step import Step, StepResult
from .pl import integrated, prepared
from .quantum_yield import reference_terms

__all__ = ["TPEF", "run_tpef"]

ENERGY_MATCH_EV = 0.03
"""σ₁ from ICP is used for TPEF as it is only within this of the ICP energy (eV)."""

def _sample_sigma1(o: TPEFOptions, inputs, energy_eV: float):
    """σ₁ of the sample at the one-photon TPEF energy, with where it came from."""
    if o.sample_sigma1_cm2 is not None:
        return o.sample_sigma1_cm2, "manifest sample_sigma1_cm2"
    est = inputs.get("sigma1_cm2")
    if est is None:
        return None, "no σ₁: the sample has no [sample.icp] (or sample_sigma1_cm2 in the tpef measurement)"
    sigma1 = est.to_ufloat()
    icp_eV = float(est.details["energy_eV"])
    if abs(icp_eV - energy_eV) <= ENERGY_MATCH_EV:
        return sigma1, f"ICP-OES at {icp_eV} eV"
    spectra = inputs.get("absorption_spectrum", ())
    if o.absorption is not None:
        spectra = tuple((n, a) for n, a in spectra if n == o.absorption)
        if not spectra:
            return None, f"{o.where}: no absorption measurement of this sample is named {o.absorption!r}"
    if not spectra:
        return None, (f"σ₁ is known at {icp_eV} eV but the one-photon excitation is at "
                      f"{energy_eV} eV; add an absorption measurement of the sample to scale it")
    if len(spectra) > 1:
        return None, (f"σ₁ is known at {icp_eV} eV but the one-photon excitation is at {energy_eV} eV, and "
                      f"the sample has {len(spectra)} absorption spectra; name the solution spectrum to scale "
                      "it with: `absorption = \"NAME\"` in the tpef measurement and `name = \"NAME\"` in that "
                      "absorption measurement")
    ab = spectra[0][1]
    for e in (energy_eV, icp_eV):
        if not ab.energy_eV[0] <= e <= ab.energy_eV[-1]:
            return None, f"the absorption spectrum does not cover {e} eV"
    ratio = np.interp(energy_eV, ab.energy_eV, ab.absorbance) / np.interp(icp_eV, ab.energy_eV, ab.absorbance)
    return sigma1 * float(ratio), f"ICP-OES at {icp_eV} eV scaled by the absorption spectrum"


def _reference(o: TPEFOptions):
    """Reference σ₂ and σ₁ (uncertain numbers), their sources and the library lookups."""
    lookups = {}
    if o.reference_sigma2_GM is not None:
        ref2, src2 = o.reference_sigma2_GM, "manifest reference_sigma2_GM"
    else:
        rv = standards.sigma2_GM(o.reference, o.excitation_eV, o.standards)
        ref2, src2, lookups["reference_sigma2"] = ufloat(rv.value, rv.std), rv.source, rv.details
    if o.reference_sigma1_cm2 is not None:
        ref1, src1 = o.reference_sigma1_cm2, "manifest reference_sigma1_cm2"
    else:
        rv = standards.sigma1_cm2(o.reference, o.excitation_1p_eV, o.standards)
        ref1, src1, lookups["reference_sigma1"] = ufloat(rv.value, rv.std), rv.source, rv.details
    return ref2, src2, ref1, src1, lookups


def _lifetime_check(data, o: TPEFOptions):
    """τ₂ₚ − τ₁ₚ from the optional ``decay_1p``/``decay_2p`` files (None when neither is given)."""
    d1, d2 = data.get("decay_1p"), data.get("decay_2p")
    if d1 is None and d2 is None:
        return None, {}
    if d1 is None or d2 is None:
        given, missing = ("decay_1p", "decay_2p") if d2 is None else ("decay_2p", "decay_1p")
        return None, {"checked": False, "why": f"{given} is given without {missing}: no lifetime comparison"}
    try:
        est = compare_lifetimes(d1.time_ns, d1.counts, d2.time_ns, d2.counts)
    except InputError as exc:
        return None, {"checked": False, "why": f"{o.where}, decay_1p/decay_2p: {exc}"}
    info = {"checked": bool(est.success), "lifetime_difference_ns": est.value,
            "lifetime_difference_stderr_ns": est.stderr, **est.details, "message": est.message}
    return est, info


def _eta_check(s1, s2, mask_s, o: TPEFOptions, out: StepResult, data=None) -> dict:
    """Compare the sample's one- and two-photon emission (η₂ = η₁): spectra and, where the
    decays are given, lifetimes; add the overlay figure."""
    two = np.asarray(s2.counts)[np.asarray(mask_s)].sum(axis=0)
    life, life_info = _lifetime_check(data or {}, o)
    try:
        cmp = compare_emission(s1.energy_eV, s1.counts, s2.energy_eV, two)
    except InputError as exc:
        return {"checked": False, "message": life_info.get("message", ""), "why": str(exc),
                **({"lifetimes": life_info} if life_info else {})}
    decays = {}
    if life is not None and life.success:
        d1, d2 = data["decay_1p"], data["decay_2p"]
        decays = dict(time_1p_ns=d1.time_ns, decay_1p=np.asarray(d1.counts) / np.max(d1.counts),
                      time_2p_ns=d2.time_ns, decay_2p=np.asarray(d2.counts) / np.max(d2.counts),
                      tau_1p_ns=life.details["tau_1p_ns"], tau_2p_ns=life.details["tau_2p_ns"])
    if cmp.success:
        out.plots.append(TPEFSpectraPlot(
            sample=o.sample, measurement=o.index,
            energy_1p_eV=s1.energy_eV, counts_1p=np.asarray(s1.counts) / np.max(s1.counts),
            energy_2p_eV=s2.energy_eV, counts_2p=two / np.max(two), peak_shift_meV=cmp.value, **decays))
    message = "; ".join(m for m in (cmp.message, life_info.get("message", "")) if m)
    return {"checked": bool(cmp.success), "peak_shift_meV": cmp.value, "peak_shift_stderr_meV": cmp.stderr,
            **{k: v for k, v in cmp.details.items()}, "message": message,
            **({"lifetimes": life_info} if life_info else {})}


def run_tpef(data, o: TPEFOptions, inputs) -> StepResult:
    """σ₂ by relative TPEF (data contract section 3) and σ₂ per particle volume.

    Also gives ``pl_order`` of the sample's two-photon series when no
    ``pl_fluence_series`` of the sample does (a fallback). The premise η₂ = η₁ is checked
    by comparing the sample's one- and two-photon emission
    (:func:`~multiphoton.analysis.emission_compare.compare_emission`) and, with the optional
    ``decay_1p``/``decay_2p`` files, their lifetimes
    (:func:`~multiphoton.analysis.lifetime.compare_lifetimes`, in the check's ``lifetimes``):
    the result is in ``details["eta2_eq_eta1_check"]`` of ``sigma2_GM``, a warning when they
    differ (lifetimes: beyond 3 combined σ), and a ``tpef_spectra`` figure overlays them.
    """
    out = StepResult()
    try:  # detector offsets (wing baseline) removed and the integration window applied to all four
        (s2, how), (r2, _), (s1, _), (r1, _) = (prepared(data[k], o) for k in
                                                ("sample_2p", "reference_2p", "sample_1p", "reference_1p"))
    except InputError as exc:
        raise InputError(f"{o.where}: {exc}") from None
    for label, series in (("sample_2p", s2), ("reference_2p", r2)):
        if series.fluence_mJ_cm2.size < 3:
            raise InputError(f"{o.where}, {label}: needs at least 3 fluences for the quadratic fit, "
                             f"got {series.fluence_mJ_cm2.size}.")
    is2, ir2 = integrated(s2), integrated(r2)
    mask_s = powerlaw.find_saturation(s2.fluence_mJ_cm2, is2)
    mask_r = powerlaw.find_saturation(r2.fluence_mJ_cm2, ir2)
    f2x = cross_section.quadratic_coefficient(s2.fluence_mJ_cm2, is2, mask=mask_s)
    f2r = cross_section.quadratic_coefficient(r2.fluence_mJ_cm2, ir2, mask=mask_r)
    f1x = cross_section.integrated_with_noise(s1.energy_eV, s1.counts)
    f1r = cross_section.integrated_with_noise(r1.energy_eV, r1.counts)
    for label, area in (("sample_1p", f1x), ("reference_1p", f1r)):
        value = float(getattr(area, "nominal_value", area))
        if not value > 0:  # σ₂ would be 0 (reference) or infinite (sample), with a zero stderr
            raise InputError(f"{o.where}, {label}: the one-photon PL spectrum integrates to {value:g} "
                             "counts·eV (≤ 0); σ₂ needs a measured spectrum with positive emission; "
                             "check the file and its background subtraction.")
    ref2, src2, ref1, src1, lookups = _reference(o)
    out.add("pl_order", powerlaw.power_law_order(s2.fluence_mJ_cm2, is2))
    sigma1, src_s1 = _sample_sigma1(o, inputs, o.excitation_1p_eV)
    out.plots.append(TPEFPlot(
        sample=o.sample, measurement=o.index,
        sample_fluence_mJ_cm2=s2.fluence_mJ_cm2, sample_integrated=is2,
        reference_fluence_mJ_cm2=r2.fluence_mJ_cm2, reference_integrated=ir2,
        sample_coef=float(getattr(f2x, "nominal_value", f2x)),
        reference_coef=float(getattr(f2r, "nominal_value", f2r)),
    ))
    _qy_cross_check(out, o, f1x, f1r)
    eta = _eta_check(s1, s2, mask_s, o, out, data)
    if sigma1 is None:
        out.warn("sigma2_GM", src_s1)
        return out
    sigma2 = cross_section.sigma2_relative_GM(
        reference_sigma2_GM=ref2, sample_sigma1_cm2=sigma1, reference_sigma1_cm2=ref1,
        sample_f2=f2x, reference_f2=f2r, sample_f1=f1x, reference_f1=f1r)
    details = {
        "reference": o.reference, "reference_sigma2_source": src2, "reference_sigma1_source": src1,
        "sample_sigma1_source": src_s1, "excitation_eV": o.excitation_eV, "excitation_1p_eV": o.excitation_1p_eV,
        "saturated_points_excluded": int((~mask_s).sum() + (~mask_r).sum()),
        "assumption": "equal quantum yields under one- and two-photon excitation",
        "library_lookups": lookups,
        "eta2_eq_eta1_check": eta, "spectrum_baseline": o.baseline,
        "integration_eV": how["integration_eV"],
    }
    out.add("sigma2_GM", Estimate.from_ufloat(sigma2, method="tpef-relative", unit="GM", details=details))
    if eta.get("message"):
        out.warn("sigma2_GM", f"{o.where}: {eta['message']}")
    volume = inputs.get("total_volume_nm3")
    if volume is None:
        out.warn("sigma2_per_volume_cm_s", "particle volume unknown (no TEM sizes)")
        return out
    per_volume = gm_to_cm4_s(sigma2) / nm3_to_cm3(volume.to_ufloat())
    out.add("sigma2_per_volume_cm_s",
            Estimate.from_ufloat(per_volume, method="tpef-relative/tem-volume", unit="cm s"))
    return out


def _qy_cross_check(out: StepResult, o: TPEFOptions, f1x, f1r) -> None:
    """``quantum_yield_tpef``: the relative QY from the one-photon files, where their
    absorbances are given (a cross-check of a ``quantum_yield`` measurement)."""
    if o.sample_absorbance_1p is None or o.reference_absorbance_1p is None:
        return
    same = o.sample_n is None and o.sample_solvent is None
    if same:  # one solvent for both: the index correction is exactly 1
        ref_qy, _, _, src = reference_terms(replace(o, sample_n=1.0, reference_n=1.0))
        n_x = n_r = 1.0
        src = {**src, "sample_n": "same solvent as the reference (no index correction)", "reference_n": "-"}
    else:
        ref_qy, n_x, n_r, src = reference_terms(o)
    est = quantum_yield.relative_quantum_yield(
        sample_integrated=f1x, reference_integrated=f1r, sample_absorbance=o.sample_absorbance_1p,
        reference_absorbance=o.reference_absorbance_1p, reference_qy=ref_qy, sample_n=n_x, reference_n=n_r)
    if not est.success:
        out.warn("quantum_yield_tpef", f"{o.where}: {est.message}")
        return
    out.add("quantum_yield_tpef", Estimate.from_ufloat(
        est.to_ufloat(), method="relative-single-point/tpef-1p-files", unit="",
        details={**est.details, "sources": src, "excitation_eV": o.excitation_1p_eV,
                 "compare_with": "quantum_yield (its own measurement)"}))


TPEF = Step(kind="tpef", run=run_tpef, needs=("sigma1_cm2", "total_volume_nm3", "absorption_spectrum"),
            provides=("sigma2_GM", "sigma2_per_volume_cm_s", "quantum_yield_tpef"), fallback=("pl_order",))
