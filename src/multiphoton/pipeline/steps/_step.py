"""What a step is and what it returns; steps import this, never the pipeline core.

A step is a plain function ``run(data, options, inputs) -> StepResult``:

- ``data``: the containers read from the measurement's files, by file key
  (``data["file"]``, ``data["irf"]``, …; a key whose file was not given is absent);
- ``options``: the measurement's typed options (:mod:`multiphoton.io.options`), or the
  sample's for the sample step;
- ``inputs``: the quantities (``Estimate``) and shared resources of the same sample that
  the step declared in ``needs`` and that earlier steps produced.

It declares at module level, in a :class:`Step`, what it needs and what it provides,
so that :mod:`multiphoton.pipeline.core` can order the steps (``graphlib``) and refuse
two producers of one quantity.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ...results import Estimate

__all__ = ["Step", "StepResult"]


@dataclass
class StepResult:
    """What one step produced.

    Attributes
    ----------
    quantities : dict of str to Estimate
        By data-contract name; a failed Estimate becomes a warning in the Results.
    warnings : list of (str, str)
        (quantity, reason) for quantities the data could not support.
    plots : list
        Typed plot data for the report (:mod:`multiphoton.plotdata`).
    shared : dict of str to object
        Resources other steps may need (e.g. an absorption spectrum), by name.
    info : dict
        Per-sample descriptors for the tables (sample step only).
    """

    quantities: dict[str, Estimate] = field(default_factory=dict)
    warnings: list[tuple[str, str]] = field(default_factory=list)
    plots: list[Any] = field(default_factory=list)
    shared: dict[str, Any] = field(default_factory=dict)
    info: dict[str, Any] = field(default_factory=dict)

    def add(self, name: str, estimate: Estimate) -> None:
        """Record quantity ``name``."""
        self.quantities[name] = estimate

    def warn(self, name: str, reason: str) -> None:
        """Record that quantity ``name`` could not be determined, and why."""
        self.warnings.append((name, reason))


@dataclass(frozen=True)
class Step:
    """A step's declaration.

    Parameters
    ----------
    kind : str
        The measurement kind it analyses (``"sample"`` for the per-sample step).
    run : callable
        ``run(data, options, inputs) -> StepResult``.
    needs : tuple of str
        Quantities or shared resources of the same sample it uses when they exist.
    provides : tuple of str
        Quantities it gives; a second producer of one of them in the same sample is an
        error unless the manifest's ``provides = [...]`` says which gives what.
    fallback : tuple of str
        Quantities it gives only when no producer that ``provides`` them succeeded
        (e.g. the PL peak of a single spectrum when there is also a fluence series).
    shares : tuple of str
        Resources it hands to later steps; several producers are allowed, and a
        consumer gets a tuple of ``(measurement name or None, resource)``.
    """

    kind: str
    run: Callable[[Mapping[str, Any], Any, Mapping[str, Any]], StepResult]
    needs: tuple[str, ...] = ()
    provides: tuple[str, ...] = ()
    fallback: tuple[str, ...] = ()
    shares: tuple[str, ...] = ()

    @property
    def gives(self) -> tuple[str, ...]:
        """Every quantity the step may give (provides, then fallback)."""
        return self.provides + self.fallback
