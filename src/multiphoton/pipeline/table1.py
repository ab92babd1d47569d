"""Glue for the Table 1 quantities: sizes, extinction, σ₁, σ₂ (TPEF), σ₂/V, PL order, PL peak."""
from __future__ import annotations

import numpy as np
from uncertainties import ufloat

from ..analysis import cross_section, extinction, powerlaw, spectra
from ..errors import InputError
from ..io.manifest import Measurement, SampleSpec
from ..results import Estimate
from .. import standards, structures
from .core import Context, estimate_from_ufloat

__all__ = ["run_sample", "run_absorption", "run_pl_spectrum", "run_tpef", "run_pl_fluence_series"]

_ENERGY_MATCH_EV = 0.03  # σ₁ from ICP is used for TPEF only within this of its energy


def _u(pair):
    return ufloat(pair[0], pair[1]) if pair[1] > 0 else float(pair[0])


def _spread_note(spec: SampleSpec) -> str:
    return ("stderr propagates the TEM size-distribution widths (ensemble spread, as in the paper's "
            "Table 1), plus the ICP and absorbance uncertainties")


def run_sample(spec: SampleSpec, ctx: Context) -> None:
    """Total volume, Cd atoms per particle, and ε, σ₁ from ICP when the sample has [sample.icp]."""
    volume = n_cd = None
    if spec.core_diameter_nm is not None:
        core = _u(spec.core_diameter_nm)
        shells = [_u(s) for s in spec.shell_thickness_nm]
        volume = structures.total_volume_nm3(core, shells)
        if spec.layers:
            n_cd = structures.cd_atoms_per_particle(spec.layers, core, shells)
    elif spec.total_volume_nm3 is not None:
        volume = _u(spec.total_volume_nm3)
    if spec.cd_atoms_per_particle is not None:
        n_cd = _u(spec.cd_atoms_per_particle)
    if spec.total_volume_nm3 is not None and spec.core_diameter_nm is not None:
        volume = _u(spec.total_volume_nm3)  # an explicit total volume wins over the layers
    ctx.results.sample_info[spec.id] = {
        "layers": list(spec.layers),
        "core_diameter_nm": list(spec.core_diameter_nm) if spec.core_diameter_nm else None,
        "shell_thickness_nm": [list(s) for s in spec.shell_thickness_nm],
        "total_volume_nm3": ([float(getattr(volume, "nominal_value", volume)), float(getattr(volume, "std_dev", 0.0))]
                             if volume is not None else None),
    }
    if volume is not None:
        ctx.set(spec.id, "total_volume_nm3",
                estimate_from_ufloat(volume, method="tem-layered-sphere", unit="nm3"), volume)
    if n_cd is not None:
        ctx.set(spec.id, "cd_atoms_per_particle",
                estimate_from_ufloat(n_cd, method="wurtzite-cd-density", unit=""), n_cd)
    if spec.icp is None:
        return
    if n_cd is None:
        ctx.results.warn(spec.id, "epsilon_per_M_cm",
                         "Cd atoms per particle unknown: give layers with core_diameter_nm and "
                         "shell_thickness_nm, or cd_atoms_per_particle")
        return
    eps, sigma1 = extinction.extinction_from_icp(
        cd_mol_per_L=_u(spec.icp["cd_mol_per_L"]), absorbance=_u(spec.icp["absorbance"]),
        path_cm=spec.icp["path_cm"], cd_atoms_per_particle=n_cd)
    details = {"energy_eV": spec.icp["energy_eV"], "note": _spread_note(spec)}
    ctx.set(spec.id, "epsilon_per_M_cm",
            estimate_from_ufloat(eps, method="icp-oes", unit="M-1 cm-1", details=details), eps)
    ctx.set(spec.id, "sigma1_cm2",
            estimate_from_ufloat(sigma1, method="icp-oes", unit="cm2", details=details), sigma1)


def run_absorption(m: Measurement, ctx: Context) -> None:
    """Keep the absorption spectrum (for σ₁ at other energies and for figures)."""
    ab = ctx.load(m)
    ctx.store[(m.sample, "absorption")] = ab


def _peak(energy_eV, counts) -> Estimate:
    # a line-shape fit is within 1 meV on simulated spectra; the smoothed second derivative
    # scatters 7-8 meV with the biexciton shoulder (docs/trpl-and-ase.md)
    fit = spectra.peak_energy(energy_eV, counts, method="peak-fit")
    if fit.success:
        return fit
    second = spectra.peak_energy(energy_eV, counts, method="second-derivative")
    if second.success:
        from dataclasses import replace

        return replace(second, message=f"peak fit failed ({fit.message}); second-derivative minimum used")
    return fit


def run_pl_spectrum(m: Measurement, ctx: Context) -> None:
    """PL peak energy and FWHM of a single spectrum; sets pl_peak_eV if no series does."""
    sp = ctx.load(m)
    peak = _peak(sp.energy_eV, sp.counts)
    width = spectra.fwhm_meV(sp.energy_eV, sp.counts)
    ctx.store[(m.sample, "pl_spectrum_peak")] = peak
    if ctx.quantity(m.sample, "pl_peak_eV") is None:
        ctx.set(m.sample, "pl_peak_eV", peak)
    ctx.set(m.sample, "pl_fwhm_meV", width)
    ctx.results.plots.append({
        "family": "pl_spectrum", "sample": m.sample, "measurement": m.index,
        "energy_eV": sp.energy_eV, "counts": sp.counts,
        "peak_eV": peak.value if peak.success else None,
        "fwhm_meV": width.value if width.success else None,
    })


def _integrated(series) -> np.ndarray:
    return np.trapezoid(series.counts, series.energy_eV, axis=-1)


def run_pl_fluence_series(m: Measurement, ctx: Context) -> None:
    """Power-law order (saturation excluded) and the PL peak of the lowest-fluence spectrum."""
    s = ctx.load(m)
    if s.fluence_mJ_cm2.size < 3:
        ctx.results.warn(m.sample, "pl_order", f"{m.where}: only {s.fluence_mJ_cm2.size} fluences; need ≥ 3")
        return
    integ = _integrated(s)
    order = powerlaw.power_law_order(s.fluence_mJ_cm2, integ)
    ctx.set(m.sample, "pl_order", order)
    peak = _peak(s.energy_eV, s.counts[0])
    ctx.set(m.sample, "pl_peak_eV", peak)
    used = order.details.get("used") if order.success else None
    ctx.results.plots.append({
        "family": "pl_fluence_series", "sample": m.sample, "measurement": m.index,
        "fluence_mJ_cm2": s.fluence_mJ_cm2, "energy_eV": s.energy_eV, "counts": s.counts,
        "integrated": integ, "used": used,
        "slope": order.value if order.success else None,
        "slope_stderr": order.stderr if order.success else None,
        "intercept": order.params.get("intercept_log10", (None, None))[0] if order.success else None,
    })


def _sample_sigma1(m: Measurement, ctx: Context, energy_eV: float):
    """σ₁ of the sample at the one-photon TPEF energy, with where it came from."""
    if "sample_sigma1_cm2" in m.options:
        return _u(m.uncertain("sample_sigma1_cm2")), "manifest sample_sigma1_cm2"
    sigma1 = ctx.uvalue(m.sample, "sigma1_cm2")
    icp = ctx.sample(m.sample).icp
    if sigma1 is None:
        return None, "no σ₁: the sample has no [sample.icp] (or sample_sigma1_cm2 in the tpef measurement)"
    if abs(icp["energy_eV"] - energy_eV) <= _ENERGY_MATCH_EV:
        return sigma1, f"ICP-OES at {icp['energy_eV']} eV"
    ab = ctx.store.get((m.sample, "absorption"))
    if ab is None:
        return None, (f"σ₁ is known at {icp['energy_eV']} eV but the one-photon excitation is at "
                      f"{energy_eV} eV; add an absorption measurement of the sample to scale it")
    for e in (energy_eV, icp["energy_eV"]):
        if not ab.energy_eV[0] <= e <= ab.energy_eV[-1]:
            return None, f"the absorption spectrum does not cover {e} eV"
    ratio = np.interp(energy_eV, ab.energy_eV, ab.absorbance) / np.interp(icp["energy_eV"], ab.energy_eV, ab.absorbance)
    return sigma1 * float(ratio), f"ICP-OES at {icp['energy_eV']} eV scaled by the absorption spectrum"


def run_tpef(m: Measurement, ctx: Context) -> None:
    """σ₂ (GM) by the relative TPEF method against a reference dye, and σ₂ per volume."""
    e2 = m.float("excitation_eV")
    e1 = m.float("excitation_1p_eV")
    ref_name = m.str("reference")
    s2, r2 = ctx.load(m, "sample_2p"), ctx.load(m, "reference_2p")
    s1, r1 = ctx.load(m, "sample_1p"), ctx.load(m, "reference_1p")
    for label, series in (("sample_2p", s2), ("reference_2p", r2)):
        if series.fluence_mJ_cm2.size < 3:
            raise InputError(f"{m.where}, {label}: needs at least 3 fluences for the quadratic fit, "
                             f"got {series.fluence_mJ_cm2.size}.")
    is2, ir2 = _integrated(s2), _integrated(r2)
    mask_s = powerlaw.find_saturation(s2.fluence_mJ_cm2, is2)
    mask_r = powerlaw.find_saturation(r2.fluence_mJ_cm2, ir2)
    f2x = cross_section.quadratic_coefficient(s2.fluence_mJ_cm2, is2, mask=mask_s)
    f2r = cross_section.quadratic_coefficient(r2.fluence_mJ_cm2, ir2, mask=mask_r)
    f1x = cross_section.integrated_with_noise(s1.energy_eV, s1.counts)
    f1r = cross_section.integrated_with_noise(r1.energy_eV, r1.counts)
    if "reference_sigma2_GM" in m.options:
        ref2, src2 = _u(m.uncertain("reference_sigma2_GM")), "manifest reference_sigma2_GM"
    else:
        rv = standards.sigma2_GM(ref_name, e2)
        ref2, src2 = ufloat(rv.value, rv.std), rv.source
    if "reference_sigma1_cm2" in m.options:
        ref1, src1 = _u(m.uncertain("reference_sigma1_cm2")), "manifest reference_sigma1_cm2"
    else:
        rv = standards.sigma1_cm2(ref_name, e1)
        ref1, src1 = ufloat(rv.value, rv.std), rv.source
    if ctx.quantity(m.sample, "pl_order") is None:
        ctx.set(m.sample, "pl_order", powerlaw.power_law_order(s2.fluence_mJ_cm2, is2))
    sigma1, src_s1 = _sample_sigma1(m, ctx, e1)
    ctx.results.plots.append({
        "family": "tpef", "sample": m.sample, "measurement": m.index,
        "sample_fluence_mJ_cm2": s2.fluence_mJ_cm2, "sample_integrated": is2,
        "reference_fluence_mJ_cm2": r2.fluence_mJ_cm2, "reference_integrated": ir2,
        "sample_coef": float(getattr(f2x, "nominal_value", f2x)),
        "reference_coef": float(getattr(f2r, "nominal_value", f2r)),
    })
    if sigma1 is None:
        ctx.results.warn(m.sample, "sigma2_GM", src_s1)
        return
    sigma2 = cross_section.sigma2_relative_GM(
        reference_sigma2_GM=ref2, sample_sigma1_cm2=sigma1, reference_sigma1_cm2=ref1,
        sample_f2=f2x, reference_f2=f2r, sample_f1=f1x, reference_f1=f1r)
    details = {
        "reference": ref_name, "reference_sigma2_source": src2, "reference_sigma1_source": src1,
        "sample_sigma1_source": src_s1, "excitation_eV": e2, "excitation_1p_eV": e1,
        "saturated_points_excluded": int((~mask_s).sum() + (~mask_r).sum()),
        "assumption": "equal quantum yields under one- and two-photon excitation",
    }
    ctx.set(m.sample, "sigma2_GM", estimate_from_ufloat(sigma2, method="tpef-relative", unit="GM",
                                                         details=details), sigma2)
    volume = ctx.uvalue(m.sample, "total_volume_nm3")
    if volume is None:
        ctx.results.warn(m.sample, "sigma2_per_volume_cm_s", "particle volume unknown (no TEM sizes)")
        return
    per_volume = sigma2 * 1e-50 / (volume * 1e-21)
    ctx.set(m.sample, "sigma2_per_volume_cm_s",
            estimate_from_ufloat(per_volume, method="tpef-relative/tem-volume", unit="cm s"), per_volume)
