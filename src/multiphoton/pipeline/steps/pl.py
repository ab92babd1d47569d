"""Steps for emission spectra: absorption (shared), PL spectrum, PL fluence series."""
from __future__ import annotations

from dataclasses import replace

import numpy as np

from ...analysis import pl_bands, powerlaw, spectra
from ...errors import InputError
from ...results import Estimate
from ...plotdata import PLDecompositionPlot, PLFluenceSeriesPlot, PLSpectrumPlot
from ._step import Step, StepResult
from .saturation import saturation_from_spectra

__all__ = ["ABSORPTION", "PL_SPECTRUM", "PL_FLUENCE_SERIES", "peak", "integrated"]


def run_absorption(data, options, inputs) -> StepResult:
    """Share the absorption spectrum (σ₁ at other energies, figures)."""
    return StepResult(shared={"absorption_spectrum": data["file"]})


def peak(energy_eV, counts) -> Estimate:
    """PL peak energy: a line-shape fit, the smoothed second derivative as fallback.

    A line-shape fit is within 1 meV on simulated spectra; the second derivative
    scatters 7-8 meV with the biexciton shoulder (docs/trpl-and-ase.md).
    """
    fit = spectra.peak_energy(energy_eV, counts, method="peak-fit")
    if fit.success:
        return fit
    second = spectra.peak_energy(energy_eV, counts, method="second-derivative")
    if second.success:
        return replace(second, message=f"peak fit failed ({fit.message}); second-derivative minimum used")
    return fit


def integrated(series) -> np.ndarray:
    """Integrated emission of each spectrum of a series (counts·eV)."""
    return np.trapezoid(series.counts, series.energy_eV, axis=-1)


def prepared(container, options, background=None):
    """``container`` with its background or wing baseline removed and cut to ``integration_eV``.

    Returns (a container of the same type, details for the quantities it shapes).
    """
    bg = None if background is None else (background.energy_eV, background.counts)
    e, c, how = spectra.prepare_spectra(container.energy_eV, container.counts, background=bg,
                                        baseline=options.baseline, integration_eV=options.integration_eV)
    return replace(container, energy_eV=e, counts=c), how


def _with(est: Estimate, how: dict) -> Estimate:
    """``est`` with the baseline and integration window it was computed on in ``details``."""
    return replace(est, details={**est.details, "spectrum_baseline": how["baseline"],
                                 "integration_eV": how["integration_eV"]})


def _caveats(out: StepResult, options, **estimates) -> None:
    """A warning for each kept estimate whose message says its model misfits (χ²_red ≫ 1)."""
    for name, est in estimates.items():
        if est.success and "misfits" in est.message:
            out.warn(name, f"{options.where}: {est.message}")


def _falls(fluence, integ) -> str:
    """A reason when the integrated emission falls with rising fluence (by more than 5 %)."""
    order = np.argsort(fluence)
    f, y = np.asarray(fluence)[order], np.asarray(integ)[order]
    run_max = np.maximum.accumulate(y)
    drop = np.nonzero(y < 0.95 * run_max)[0]
    if drop.size == 0:
        return ""
    k = int(drop[0])
    return (f"the integrated emission falls with rising fluence (at {f[k]:.3g} mJ/cm2 it is "
            f"{y[k] / run_max[k]:.0%} of a lower fluence's): not the monotonic power law the order "
            "assumes (photobleaching, drift or a misassigned fluence?)")


def run_pl_spectrum(data, options, inputs) -> StepResult:
    """PL peak energy (a fallback for the series' peak) and FWHM of a single spectrum.

    A ``background`` file is subtracted, else a line through the wings (``baseline =
    "wings"``, the default; ``"none"`` keeps the counts); ``integration_eV`` cuts the
    energy window. ``details`` say which (``spectrum_baseline``, ``integration_eV``).
    """
    out = StepResult()
    try:
        sp, how = prepared(data["file"], options, data.get("background"))
    except InputError as exc:
        raise InputError(f"{options.where}: {exc}") from None
    pk = _with(peak(sp.energy_eV, sp.counts), how)
    width = _with(spectra.fwhm_meV(sp.energy_eV, sp.counts), how)
    out.add("pl_peak_eV", pk)
    out.add("pl_fwhm_meV", width)
    _caveats(out, options, pl_peak_eV=pk, pl_fwhm_meV=width)
    out.plots.append(PLSpectrumPlot(
        sample=options.sample, measurement=options.index,
        energy_eV=sp.energy_eV, counts=sp.counts,
        peak_eV=pk.value if pk.success else None,
        fwhm_meV=width.value if width.success else None,
    ))
    return out


def run_pl_fluence_series(data, options, inputs) -> StepResult:
    """Power-law order (saturation excluded), the PL peak of the lowest-fluence spectrum, the
    biexciton binding from the band decomposition and, with ``saturation = true``, σ.

    Background, baseline and ``integration_eV`` as for :func:`run_pl_spectrum`, applied to
    every spectrum before the integrals.
    """
    out = StepResult()
    try:
        s, how = prepared(data["file"], options, data.get("background"))
    except InputError as exc:
        raise InputError(f"{options.where}: {exc}") from None
    if s.fluence_mJ_cm2.size < 3:
        out.warn("pl_order", f"{options.where}: only {s.fluence_mJ_cm2.size} fluences; need ≥ 3")
        return out
    integ = integrated(s)
    # counting noise of each integral, measured from the spectra (shot-noise model): the
    # order's stderr is the noise alone, not the curvature the residual scatter also holds
    integ_err = np.atleast_1d(spectra.integrated_intensity_stderr(s.energy_eV, s.counts))
    ok = bool(np.all(np.isfinite(integ_err)) and np.all(integ_err > 0))
    order = _with(powerlaw.power_law_order(s.fluence_mJ_cm2, integ, integrated_stderr=integ_err if ok else None,
                                               selection="auto"), how)
    out.add("pl_order", order)
    pk = _with(peak(s.energy_eV, s.counts[0]), how)
    out.add("pl_peak_eV", pk)
    _caveats(out, options, pl_peak_eV=pk)
    falls = _falls(s.fluence_mJ_cm2, integ)
    if falls:
        out.warn("pl_order", f"{options.where}: {falls}")
    used = order.details.get("used") if order.success else None
    out.plots.append(PLFluenceSeriesPlot(
        sample=options.sample, measurement=options.index,
        fluence_mJ_cm2=s.fluence_mJ_cm2, energy_eV=s.energy_eV, counts=s.counts,
        integrated=integ, used=used,
        slope=order.value if order.success else None,
        slope_stderr=order.stderr if order.success else None,
        intercept=order.params.get("intercept_log10", (None, None))[0] if order.success else None,
    ))
    if options.saturation:
        saturation_from_spectra(s, options, {**inputs, "pl_peak_eV": out.quantities["pl_peak_eV"]}, out)
    _decomposition(s, options, out)
    return out


def _decomposition(s, o, out: StepResult) -> None:
    """``biexciton_binding_pl_meV`` from the global exciton/biexciton band fit (needs ⟨N⟩ ≳ 0.3)."""
    pk = out.quantities["pl_peak_eV"]
    if o.excitation_eV is None or not pk.success:
        out.warn("biexciton_binding_pl_meV", f"{o.where}: the excitation order is unknown (needs "
                 "excitation_eV and a PL peak to compare it with)")
        return
    order = 2 if o.excitation_eV < pk.value else 1
    if s.fluence_mJ_cm2.size < 4:
        out.warn("biexciton_binding_pl_meV", f"{o.where}: a PL decomposition needs ≥ 4 spectra")
        return
    est = pl_bands.fit_pl_bands(s.fluence_mJ_cm2, s.energy_eV, s.counts, order=order,
                                beam_profile=o.beam_profile)
    if not est.success:
        if est.details.get("max_mean_n", 1.0) < 0.3 or est.details.get("shape_unchanged"):
            # a low-fluence series, or one whose shape does not change with fluence: no biexciton
            # band to see, nothing to report (contract §5)
            return
        out.warn("biexciton_binding_pl_meV", f"{o.where}: {est.message}")
        return
    out.add("biexciton_binding_pl_meV", replace(est, details={**est.details, "order": order}))
    e_x, e_xx = est.params["exciton_eV"][0], est.params["biexciton_eV"][0]
    amps = est.details["amplitudes"]
    occ = pl_bands.band_occupations(est.params["mean_n_per_unit"][0] * s.fluence_mJ_cm2**order, order=order,
                                    beam_profile=o.beam_profile, n_bands=4)
    shape_x = pl_bands.band_shape(s.energy_eV, e_x, est.params["exciton_fwhm_eV"][0])
    shape_xx = pl_bands.band_shape(s.energy_eV, e_xx, est.params["biexciton_fwhm_eV"][0])
    # the biexciton line as every multiexciton state emits it (terms biexciton, _from_3, _from_4)
    xx_amp = amps[1] * occ[:, 1] + amps[3] * occ[:, 2] + amps[5] * occ[:, 3]
    out.plots.append(PLDecompositionPlot(
        sample=o.sample, measurement=o.index, fluence_mJ_cm2=s.fluence_mJ_cm2, energy_eV=s.energy_eV,
        counts=s.counts, exciton_band=amps[0] * occ[:, :1] * shape_x[None, :],
        biexciton_band=xx_amp[:, None] * shape_xx[None, :],
        mean_n=est.params["mean_n_per_unit"][0] * s.fluence_mJ_cm2**order, exciton_eV=e_x, biexciton_eV=e_xx))


ABSORPTION = Step(kind="absorption", run=run_absorption, shares=("absorption_spectrum",))
PL_SPECTRUM = Step(kind="pl_spectrum", run=run_pl_spectrum, provides=("pl_fwhm_meV",), fallback=("pl_peak_eV",))
PL_FLUENCE_SERIES = Step(kind="pl_fluence_series", run=run_pl_fluence_series, needs=("tau_x_global_ns", "tau_xx_global_ns", "tau_x_ns", "tau_xx_ns"),
                         provides=("pl_order", "pl_peak_eV", "biexciton_binding_pl_meV"),
                         fallback=("sigma1_saturation_cm2", "sigma2_saturation_GM"))
