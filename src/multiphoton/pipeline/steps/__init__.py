"""The analysis steps, one module per family; each declares a :class:`Step`.

:data:`STEPS` maps a measurement kind to its step; :data:`SAMPLE` is the per-sample
step (sizes, extinction). Adding a kind: write its step in a module here and list it
in :data:`STEPS` (docs/architecture.md).
"""
from __future__ import annotations

from ._step import Step, StepResult
from .ase import ASE_SERIES
from .beam import KNIFE_EDGE
from .gain import LASER_SERIES, TA_MAP, TIME_SERIES
from .pl import ABSORPTION, PL_FLUENCE_SERIES, PL_SPECTRUM
from .quantum_yield import QUANTUM_YIELD
from .sample import SAMPLE
from .tpef import TPEF
from .trpl import TRPL_SERIES
from .zscan import ZSCAN

__all__ = ["Step", "StepResult", "STEPS", "SAMPLE", "all_quantities"]

STEPS: dict[str, Step] = {step.kind: step for step in (
    ABSORPTION, PL_SPECTRUM, PL_FLUENCE_SERIES, TPEF, TRPL_SERIES, ASE_SERIES, TA_MAP, LASER_SERIES,
    TIME_SERIES, QUANTUM_YIELD, KNIFE_EDGE, ZSCAN,
)}
"""Measurement kind → its step."""


def all_quantities() -> tuple[str, ...]:
    """Every quantity some step may give, sorted (the valid names of ``--only``)."""
    names = set(SAMPLE.gives)
    for step in STEPS.values():
        names.update(step.gives)
    return tuple(sorted(names))
