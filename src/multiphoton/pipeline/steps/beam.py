"""The knife-edge step: the pump's 1/e² radius, shared with the measurements that name it."""
from __future__ import annotations

from ...analysis import beam
from ...io.options import KnifeEdgeOptions
from ._step import Step, StepResult

__all__ = ["KNIFE_EDGE", "run_knife_edge"]


def run_knife_edge(data, o: KnifeEdgeOptions, inputs) -> StepResult:
    """``beam_radius_um`` from an erf fit of the scan; shared as resource ``beam``.

    A measurement with ``beam_radius_from = "<name>"`` receives it (the pipeline turns its
    pulse energies or powers into peak fluences with it).
    """
    out = StepResult()
    est = beam.knife_edge_radius(data["file"].position_um, data["file"].power)
    if not est.success:
        out.warn("beam_radius_um", f"{o.where}: {est.message}")
    else:
        out.add("beam_radius_um", est)
    out.shared["beam"] = est
    return out


KNIFE_EDGE = Step(kind="knife_edge", run=run_knife_edge, provides=("beam_radius_um",), shares=("beam",))
