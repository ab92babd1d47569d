"""Fluence from what the lab measured: pulse energy or power and the beam (contract section 5).

:func:`resolve` turns a series whose file gives ``pulse_energy_uJ`` or ``power_mW`` into one
with peak fluences (pure conversion: :func:`multiphoton.units.peak_fluence_mJ_cm2`), using
the measurement's ``beam_radius_um`` or the knife-edge radius it names
(``beam_radius_from``), its ``beam_profile`` or stripe, and ``rep_rate_Hz``. The analyses
see nominal fluences; the beam's uncertainty is one common factor s on every fluence of the
measurement, so :func:`propagate` multiplies each fluence-derived quantity by s**k (k in
:data:`FLUENCE_EXPONENTS`), which keeps its correlations (⟨N⟩ and the threshold share s).
"""
from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
from uncertainties import ufloat

from ..errors import InputError
from ..results import Estimate
from ..units import peak_fluence_mJ_cm2, pulse_energy_uJ_from_power

__all__ = ["FLUENCE_EXPONENTS", "resolve", "propagate"]

FLUENCE_EXPONENTS = {
    "ase_threshold_mJ_cm2": 1, "ase_threshold_linewidth_mJ_cm2": 1, "laser_threshold_mJ_cm2": 1,
    "excitons_at_threshold": 2,  # two-photon ⟨N⟩ ∝ F²
    "sigma1_saturation_cm2": -1, "sigma2_saturation_GM": -2,  # σ from ⟨N⟩ = σ₁J or gσ₂J²/τ
}
"""How a quantity scales with a common factor on the fluences: F → sF gives q → s**k q.
Quantities not listed do not depend on the fluence scale (orders, energies, lifetimes,
and σ₂ by TPEF, where sample and reference share the beam)."""


def _nominal(v):
    return None if v is None else float(getattr(v, "nominal_value", v))


def _rel(v):
    return 0.0 if v is None or not hasattr(v, "std_dev") else float(v.std_dev) / float(v.nominal_value)


def _geometry(o, beams):
    """(radius or None, stripe or None, relative std of the fluence scale, description)."""
    if o.stripe_length_um is not None or o.stripe_width_um is not None:
        rel = math.hypot(_rel(o.stripe_length_um), _rel(o.stripe_width_um))
        return None, (o.stripe_length_um, o.stripe_width_um), rel, "uniform stripe E/(L·W)"
    radius = o.beam_radius_um
    src = "manifest beam_radius_um"
    if o.beam_radius_from is not None:
        found = [est for name, est in beams if name == o.beam_radius_from]
        if not found or not found[0].success:
            why = found[0].message if found else "it did not run"
            return None, None, None, f"the knife edge {o.beam_radius_from!r} gave no radius ({why})"
        radius = ufloat(found[0].value, found[0].stderr) if found[0].stderr > 0 else found[0].value
        src = f"knife_edge {o.beam_radius_from!r} (erf fit)"
    if radius is None:
        raise InputError(f"{o.where}: its file gives pulse energy or power but no beam: add beam_radius_um = "
                         "[value, std] (1/e² radius, µm), beam_radius_from = \"KNIFE-EDGE NAME\", or "
                         "stripe_length_um and stripe_width_um.")
    how = "peak 2E/(πw²) of a Gaussian spot" if o.beam_profile == "gaussian" else "flat top E/(πw²)"
    return radius, None, 2 * _rel(radius), f"{how}, w from {src}"


def resolve(data: dict, o, beams) -> tuple[dict, dict | None, str | None]:
    """The measurement's containers with fluences, the beam record, or why not.

    Returns
    -------
    (data, record, reason)
        ``record`` (None when every file gave fluences) holds the scale factor ``s`` (an
        uncertain 1) and what was used; ``reason`` is set when the fluence cannot be known
        (a failed knife edge), and the step should not run.
    """
    keys = [k for k, c in data.items() if "excitation_column" in getattr(c, "meta", {})]
    if not keys:
        return data, None, None
    if not hasattr(o, "beam_radius_um"):
        raise InputError(f"{o.where}: a {o.kind} takes fluence_mJ_cm2 only.")
    radius, stripe, rel, how = _geometry(o, beams)
    if rel is None:
        return data, None, how
    out = dict(data)
    for k in keys:
        c = data[k]
        column, values = c.meta["excitation_column"], np.asarray(c.meta["excitation_values"], dtype=float)
        if column == "power_mW":
            if o.rep_rate_Hz is None:
                raise InputError(f"{o.where}, key {k!r}: the file gives power_mW; add rep_rate_Hz = … to turn "
                                 "it into pulse energy.")
            energy = pulse_energy_uJ_from_power(values, o.rep_rate_Hz)
        else:
            energy = values
        kw = ({"stripe_length_um": _nominal(stripe[0]), "stripe_width_um": _nominal(stripe[1])} if stripe else
              {"beam_radius_um": _nominal(radius), "beam_profile": o.beam_profile})
        fluence = np.asarray(peak_fluence_mJ_cm2(energy, **kw), dtype=float)
        meta = {m: v for m, v in c.meta.items() if m != "excitation_values"}
        out[k] = replace(c, fluence_mJ_cm2=fluence, meta={**meta, "fluence_from": column})
    record = {"s": ufloat(1.0, rel) if rel > 0 else 1.0, "fluence": how, "relative_std_of_fluence_scale": rel,
              "beam_radius_um": None if radius is None else [_nominal(radius), _nominal(radius) * rel / 2],
              "rep_rate_Hz": o.rep_rate_Hz}
    return out, record, None


def propagate(quantities: dict[str, Estimate], record: dict) -> dict[str, Estimate]:
    """Each fluence-derived quantity times s**k, and every quantity's details say how."""
    out = {}
    info = {k: v for k, v in record.items() if k != "s"}
    for name, est in quantities.items():
        k = FLUENCE_EXPONENTS.get(name, 0)
        details = {**est.details, "beam": {**info, "fluence_exponent": k}}
        if k and est.success and math.isfinite(est.value):
            u = est.to_ufloat() * record["s"] ** k
            out[name] = Estimate.from_ufloat(u, method=est.method, unit=est.unit, message=est.message,
                                             reduced_chi2=est.reduced_chi2, residuals=est.residuals,
                                             params=est.params, details=details)
        else:
            out[name] = replace(est, details=details)
    return out
