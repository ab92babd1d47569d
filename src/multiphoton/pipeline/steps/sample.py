"""The per-sample step: particle volume, Cd atoms per particle, and ε, σ₁ from ICP."""
from __future__ import annotations

from uncertainties import ufloat

from ... import structures
from ...analysis import extinction
from ...io.options import SampleOptions, nominal
from ...results import Estimate
from ._step import Step, StepResult

__all__ = ["SAMPLE", "run_sample"]

_SPREAD_NOTE = ("stderr propagates the TEM size-distribution widths (ensemble spread, as in the paper's "
                "Table 1), plus the ICP and absorbance uncertainties")


def _u(pair):
    """A (mean, std) size as an uncertainties number (a float when std is 0)."""
    return ufloat(pair[0], pair[1]) if pair[1] > 0 else float(pair[0])


def run_sample(data, spec: SampleOptions, inputs) -> StepResult:
    """Total volume, Cd atoms per particle, and ε, σ₁ from ICP when the sample has [sample.icp].

    An explicit ``total_volume_nm3`` wins over the layers; ``cd_atoms_per_particle``
    over the count from the layers.
    """
    out = StepResult()
    volume = n_cd = None
    if spec.core_diameter_nm is not None:
        core = _u(spec.core_diameter_nm)
        shells = [_u(s) for s in spec.shell_thickness_nm]
        volume = structures.total_volume_nm3(core, shells)
        if spec.layers:
            n_cd = structures.cd_atoms_per_particle(spec.layers, core, shells)
    if spec.total_volume_nm3 is not None:
        volume = spec.total_volume_nm3
    if spec.cd_atoms_per_particle is not None:
        n_cd = spec.cd_atoms_per_particle
    out.info = {
        "layers": list(spec.layers),
        "core_diameter_nm": list(spec.core_diameter_nm) if spec.core_diameter_nm else None,
        "shell_thickness_nm": [list(s) for s in spec.shell_thickness_nm],
        "total_volume_nm3": ([nominal(volume), float(getattr(volume, "std_dev", 0.0))]
                             if volume is not None else None),
    }
    if volume is not None:
        out.add("total_volume_nm3", Estimate.from_ufloat(volume, method="tem-layered-sphere", unit="nm3"))
    if n_cd is not None:
        out.add("cd_atoms_per_particle", Estimate.from_ufloat(n_cd, method="wurtzite-cd-density", unit=""))
    icp = spec.icp
    if icp is None:
        return out
    if n_cd is None:
        out.warn("epsilon_per_M_cm", "Cd atoms per particle unknown: give layers with core_diameter_nm and "
                 "shell_thickness_nm, or cd_atoms_per_particle")
        return out
    eps, sigma1 = extinction.extinction_from_icp(
        cd_mol_per_L=icp.cd_mol_per_L, absorbance=icp.absorbance, path_cm=icp.path_cm,
        cd_atoms_per_particle=n_cd)
    details = {"energy_eV": icp.energy_eV, "note": _SPREAD_NOTE}
    out.add("epsilon_per_M_cm", Estimate.from_ufloat(eps, method="icp-oes", unit="M-1 cm-1", details=details))
    out.add("sigma1_cm2", Estimate.from_ufloat(sigma1, method="icp-oes", unit="cm2", details=details))
    return out


SAMPLE = Step(kind="sample", run=run_sample,
              provides=("total_volume_nm3", "cd_atoms_per_particle", "epsilon_per_M_cm", "sigma1_cm2"))
