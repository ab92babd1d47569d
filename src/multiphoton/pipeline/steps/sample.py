"""The per-sample step: particle volume, Cd atoms per particle, and ε, σ₁ from ICP."""
from __future__ import annotations

import math

from uncertainties import ufloat

from ... import structures
from ...analysis import extinction
from ...io.options import SampleOptions, nominal
from ...results import Estimate
from ._step import Step, StepResult

__all__ = ["SAMPLE", "run_sample"]

_SPREAD_NOTE = ("no n_particles: the stderr propagates the TEM size-distribution widths (the ensemble "
                "spread, as in the paper's Table 1) instead of the uncertainty of the mean sizes")
_MEAN_NOTE = ("stderr: uncertainty of the ensemble mean (TEM std/sqrt(n_particles)) plus the ICP and "
              "absorbance uncertainties; spread: the same quantity's ensemble spread from the TEM stds")


def _u(mean, std):
    """A size as an uncertainties number (a float when std is 0)."""
    return ufloat(mean, std) if std > 0 else float(mean)


def _sizes(spec: SampleOptions, *, spread: bool):
    """[(mean, ensemble std)] for the core and each shell; the mean carries the stderr of the
    mean (std/√n_particles), or the ensemble std itself (``spread``, or no n_particles)."""
    n = spec.n_particles
    k = 1.0 if spread or not n else 1.0 / math.sqrt(n)
    pairs = [spec.core_diameter_nm, *spec.shell_thickness_nm]
    return [(_u(m, sd * k), float(sd)) for m, sd in pairs]


def _geometry(spec: SampleOptions, *, spread: bool):
    """(⟨V⟩, ⟨N_Cd⟩) over the size distribution (data contract section 3), or Nones."""
    volume = n_cd = None
    if spec.core_diameter_nm is not None:
        core, *shells = _sizes(spec, spread=spread)
        volume = structures.ensemble_total_volume_nm3(core, shells)
        if spec.layers:
            n_cd = structures.ensemble_cd_atoms_per_particle(spec.layers, core, shells)
    if spec.total_volume_nm3 is not None:
        volume = spec.total_volume_nm3
    if spec.cd_atoms_per_particle is not None:
        n_cd = spec.cd_atoms_per_particle
    return volume, n_cd


def _std(x) -> float:
    return float(getattr(x, "std_dev", 0.0))


def run_sample(data, spec: SampleOptions, inputs) -> StepResult:
    """Total volume, Cd atoms per particle, and ε, σ₁ from ICP when the sample has [sample.icp].

    Volume and Cd atoms are ensemble means over the TEM size distribution (⟨r³⟩ =
    r̄³ + 3r̄s²). With ``n_particles`` the stderr is that of the mean and the ensemble
    spread is reported separately (``spread``); without it the spread is the stderr, and
    the message says so. An explicit ``total_volume_nm3`` wins over the layers;
    ``cd_atoms_per_particle`` over the count from the layers.
    """
    out = StepResult()
    volume, n_cd = _geometry(spec, spread=False)
    with_mean = bool(spec.n_particles) and spec.core_diameter_nm is not None
    vol_s, n_cd_s = _geometry(spec, spread=True) if with_mean else (None, None)
    note = _MEAN_NOTE if with_mean else _SPREAD_NOTE
    kw = {"message": "" if with_mean or spec.core_diameter_nm is None else _SPREAD_NOTE}
    out.info = {
        "layers": list(spec.layers),
        "core_diameter_nm": list(spec.core_diameter_nm) if spec.core_diameter_nm else None,
        "shell_thickness_nm": [list(s) for s in spec.shell_thickness_nm],
        "total_volume_nm3": ([nominal(volume), float(getattr(volume, "std_dev", 0.0))]
                             if volume is not None else None),
    }
    if volume is not None:
        out.add("total_volume_nm3", Estimate.from_ufloat(
            volume, method="tem-layered-sphere", unit="nm3", spread=_std(vol_s) if with_mean else None, **kw,
            details={"size_moments": "<r^3> = r^3 + 3 r s^2", "note": note}))
    if n_cd is not None:
        out.add("cd_atoms_per_particle", Estimate.from_ufloat(
            n_cd, method="wurtzite-cd-density", unit="", spread=_std(n_cd_s) if with_mean else None, **kw,
            details={"size_moments": "<r^3> = r^3 + 3 r s^2", "note": note}))
    icp = spec.icp
    if icp is None:
        return out
    if n_cd is None:
        out.warn("epsilon_per_M_cm", "Cd atoms per particle unknown: give layers with core_diameter_nm and "
                 "shell_thickness_nm, or cd_atoms_per_particle")
        return out
    icp_kw = dict(cd_mol_per_L=icp.cd_mol_per_L, absorbance=icp.absorbance, path_cm=icp.path_cm)
    eps, sigma1 = extinction.extinction_from_icp(cd_atoms_per_particle=n_cd, **icp_kw)
    spreads = (None, None)
    if with_mean and n_cd_s is not None:
        spreads = tuple(_std(x) for x in extinction.extinction_from_icp(cd_atoms_per_particle=n_cd_s, **icp_kw))
    details = {"energy_eV": icp.energy_eV, "note": note}
    out.add("epsilon_per_M_cm", Estimate.from_ufloat(eps, method="icp-oes", unit="M-1 cm-1", details=details,
                                                     spread=spreads[0], **kw))
    out.add("sigma1_cm2", Estimate.from_ufloat(sigma1, method="icp-oes", unit="cm2", details=details,
                                               spread=spreads[1], **kw))
    return out


SAMPLE = Step(kind="sample", run=run_sample,
              provides=("total_volume_nm3", "cd_atoms_per_particle", "epsilon_per_M_cm", "sigma1_cm2"))
