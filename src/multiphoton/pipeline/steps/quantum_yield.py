"""The quantum-yield step: relative PL quantum yield, single point or gradient."""
from __future__ import annotations

import numpy as np
from uncertainties import ufloat

from ... import standards
from ...analysis import cross_section
from ...analysis import quantum_yield as qy
from ...io.options import QuantumYieldOptions, nominal
from ._step import Step, StepResult

__all__ = ["QUANTUM_YIELD", "run_quantum_yield", "reference_terms"]


def _u(v):
    return ufloat(v.value, v.std) if v.std > 0 else v.value


def reference_terms(o) -> tuple[object, object, object, dict]:
    """(reference QY, sample n, reference n) as uncertain numbers and where each came from.

    Reads ``reference_qy``/``reference``, ``sample_n``/``sample_solvent`` and
    ``reference_n``/``reference_solvent`` of options ``o``; the library is the bundled one
    extended by the manifest's ``standards`` file.
    """
    src = {}
    if o.reference_qy is not None:
        ref_qy, src["reference_qy"] = o.reference_qy, "manifest reference_qy"
        ref_solvent = o.reference_solvent
    else:
        rv = standards.quantum_yield(o.reference, o.reference_solvent, o.standards)
        ref_qy, src["reference_qy"] = _u(rv), rv.details
        ref_solvent = o.reference_solvent or rv.details["solvent"]
    indices = []
    for who, n, solvent in (("sample", o.sample_n, o.sample_solvent), ("reference", o.reference_n, ref_solvent)):
        if n is not None:
            indices.append(n)
            src[f"{who}_n"] = f"manifest {who}_n"
        else:
            rv = standards.refractive_index(solvent, o.standards)
            indices.append(_u(rv))
            src[f"{who}_n"] = rv.details
    return ref_qy, indices[0], indices[1], src


def _gradient(data, o: QuantumYieldOptions, who: str):
    dil = getattr(o, f"{who}_dilutions")
    areas = [cross_section.integrated_with_noise(data[f"{who}_files[{k}]"].energy_eV,
                                                 data[f"{who}_files[{k}]"].counts) for k in range(len(dil))]
    a = np.array([nominal(d.absorbance) for d in dil])
    sa = np.array([float(getattr(d.absorbance, "std_dev", 0.0)) for d in dil])
    F = np.array([float(getattr(x, "nominal_value", x)) for x in areas])
    sF = np.array([float(getattr(x, "std_dev", 0.0)) for x in areas])
    sF = np.where(sF > 0, sF, 1e-12 * np.abs(F).max())  # noiseless spectra: weights stay finite
    return qy.gradient_slope(a, sa, F, sF)


def run_quantum_yield(data, o: QuantumYieldOptions, inputs) -> StepResult:
    """``quantum_yield`` (data contract section 5) from the integrated PL of sample and reference.

    Integrated PL: trapezoid over energy with the noise of each spectrum
    (:func:`~multiphoton.analysis.cross_section.integrated_with_noise`). The stderr
    contains that noise, the absorbances' stds, the reference QY's and the refractive
    indices' stds, propagated linearly.
    """
    out = StepResult()
    ref_qy, n_x, n_r, sources = reference_terms(o)
    if o.sample_dilutions:
        ms, mr = _gradient(data, o, "sample"), _gradient(data, o, "reference")
        est = qy.gradient_quantum_yield(sample_slope=ms, reference_slope=mr, reference_qy=ref_qy,
                                        sample_n=n_x, reference_n=n_r)
        extra = {"sample_reduced_chi2": ms.reduced_chi2, "reference_reduced_chi2": mr.reduced_chi2,
                 "n_dilutions": [len(o.sample_dilutions), len(o.reference_dilutions)]}
    else:
        fx = cross_section.integrated_with_noise(data["sample_file"].energy_eV, data["sample_file"].counts)
        fr = cross_section.integrated_with_noise(data["reference_file"].energy_eV, data["reference_file"].counts)
        est = qy.relative_quantum_yield(sample_integrated=fx, reference_integrated=fr,
                                        sample_absorbance=o.sample_absorbance,
                                        reference_absorbance=o.reference_absorbance,
                                        reference_qy=ref_qy, sample_n=n_x, reference_n=n_r)
        extra = {}
    if not est.success:
        out.warn("quantum_yield", f"{o.where}: {est.message}")
        return out
    details = {**est.details, **extra, "sources": sources, "excitation_eV": o.excitation_eV,
               "stderr_contains": "PL integration noise, absorbance stds, reference QY and refractive-index "
                                  "stds (linear propagation)",
               "assumption": "same excitation and detection settings for sample and reference; "
                             "absorbances over the same path"}
    out.add("quantum_yield", _with_details(est, details))
    return out


def _with_details(est, details):
    """``est`` with ``details`` (the correlated number kept)."""
    from ...results import Estimate

    return Estimate.from_ufloat(est.to_ufloat(), method=est.method, unit="", details=details)


QUANTUM_YIELD = Step(kind="quantum_yield", run=run_quantum_yield, provides=("quantum_yield",))
