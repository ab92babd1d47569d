"""The one result contract every analysis returns, and the campaign-level Results.

Analyses return :class:`Estimate` objects (value, stderr, method, fit diagnostics,
success flag). The pipeline gathers them into :class:`Results`, which the report
and ``results.json`` read and nothing else.
"""
from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from .plotdata import PlotData

__all__ = ["Estimate", "Warning_", "Results", "RESULTS_SCHEMA", "STDERR_PARTS", "STDERR_CONTAINS"]

RESULTS_SCHEMA = "multiphoton.results/1"

STDERR_PARTS = ("noise", "propagated inputs", "model error")
"""What a stderr may contain: ``noise`` (of the data, from the fit or a resampling),
``propagated inputs`` (manifest numbers given with a std: TEM sizes, ICP, reference
values, and upstream quantities), ``model error`` (a stated bias allowance of a method
measured against the simulator, docs/calibration.md). ``["exact"]`` means the quantity is
exact given the manifest (stderr 0)."""

STDERR_CONTAINS = {
    "total_volume_nm3": ("propagated inputs",),
    "cd_atoms_per_particle": ("propagated inputs",),
    "epsilon_per_M_cm": ("propagated inputs",),
    "sigma1_cm2": ("propagated inputs",),
    "sigma2_GM": ("noise", "propagated inputs"),
    "sigma2_per_volume_cm_s": ("noise", "propagated inputs"),
    "pl_order": ("noise",),
    "pl_peak_eV": ("noise",),
    "pl_fwhm_meV": ("noise",),
    "tau_x_ns": ("noise",),
    "tau_xx_ns": ("noise", "model error"),
    "ase_threshold_mJ_cm2": ("noise", "model error"),
    "ase_threshold_linewidth_mJ_cm2": ("noise",),
    "ase_peak_eV": ("noise",),
    "tau_x_global_ns": ("noise",),
    "tau_x_irf_ns": ("noise",),
    "tau_xx_global_ns": ("noise",),
    "excitons_at_threshold": ("noise", "propagated inputs", "model error"),
    "biexciton_binding_meV": ("noise", "model error"),
    "gain_bandwidth_meV": ("noise",),
    "gain_lifetime_ns": ("noise",),
    "laser_threshold_mJ_cm2": ("noise", "model error"),
    "laser_linewidth_meV": ("noise",),
    "mode_drift_meV_per_min": ("noise",),
    "intensity_retention": ("noise",),
    "shots": ("exact",),
}
"""Default ``details["stderr_contains"]`` per quantity, filled in by the pipeline when a
step does not say it itself (docs/quantities.md, "What a stderr contains")."""


@dataclass(frozen=True, kw_only=True)
class Estimate:
    """A measured quantity with its uncertainty and how it was obtained.

    Parameters
    ----------
    value : float
        Best estimate, in ``unit``.
    stderr : float
        One standard deviation, in ``unit``; ``nan`` when it could not be estimated.
    method : str
        Short machine-readable name of the method (e.g. ``"tpef-relative"``).
    unit : str
        Unit of ``value`` and ``stderr`` (e.g. ``"GM"``, ``"ns"``).
    success : bool
        False when the estimate did not converge or the data cannot support it;
        ``value`` is then not to be trusted and ``message`` says why.
    message : str
        Human-readable note (why it failed, or caveats).
    reduced_chi2 : float or None
        Reduced χ² of the underlying fit, when there is one.
    residuals : ndarray or None
        Fit residuals (data − model, in data units), when there is a fit.
    params : mapping of str to (float, float)
        Other fitted parameters as (value, stderr), units in their names.
    details : mapping
        JSON-serialisable diagnostics (windows chosen, points used, …).
        ``details["stderr_contains"]`` says what ``stderr`` holds (see
        :data:`STDERR_CONTAINS`).
    spread : float or None
        The ensemble spread (one standard deviation of the particle-to-particle
        distribution, in ``unit``) where it differs from the uncertainty of the value,
        e.g. σ₁ from TEM sizes; None otherwise. Written as ``spread`` beside ``stderr``.
    """

    value: float
    stderr: float
    method: str
    unit: str = ""
    success: bool = True
    message: str = ""
    reduced_chi2: float | None = None
    residuals: np.ndarray | None = field(default=None, repr=False, compare=False)
    params: Mapping[str, tuple[float, float]] = field(default_factory=dict)
    details: Mapping[str, Any] = field(default_factory=dict)
    spread: float | None = None
    u: Any = field(default=None, repr=False, compare=False)
    """The correlated ``uncertainties`` number behind ``value ± stderr`` (None when not kept)."""

    def __post_init__(self):
        # a copy made with dataclasses.replace(value=…) must not carry a stale number
        if self.u is not None and not (float(self.u.nominal_value) == self.value
                                       and float(self.u.std_dev) == self.stderr):
            object.__setattr__(self, "u", None)

    @classmethod
    def from_ufloat(cls, u, *, method: str, unit: str = "", **kwargs) -> "Estimate":
        """An Estimate from an ``uncertainties`` number (or a plain float: stderr 0).

        The number itself is kept (``u``), so that a later quantity computed from this one
        keeps its correlations with the inputs (e.g. σ₂/V and σ₂ share the TEM sizes).
        """
        value = float(getattr(u, "nominal_value", u))
        stderr = float(getattr(u, "std_dev", 0.0))
        keep = u if hasattr(u, "std_dev") else None
        return cls(value=value, stderr=stderr, method=method, unit=unit, u=keep, **kwargs)

    def to_ufloat(self):
        """This estimate as an ``uncertainties`` number (a plain float when stderr is 0 or NaN).

        The correlated number it was made from is returned when it was kept (see
        :meth:`from_ufloat`); otherwise an independent ``ufloat(value, stderr)``.
        """
        if self.u is not None:
            return self.u
        if math.isfinite(self.stderr) and self.stderr > 0:
            from uncertainties import ufloat

            return ufloat(self.value, self.stderr)
        return float(self.value)

    def to_json(self) -> dict[str, Any]:
        """The results.json entry: value, stderr, method, plus unit and diagnostics."""
        out: dict[str, Any] = {
            "value": _jsonable(self.value),
            "stderr": _jsonable(self.stderr),
            "method": self.method,
        }
        if self.spread is not None:
            out["spread"] = _jsonable(self.spread)
        if self.unit:
            out["unit"] = self.unit
        if self.reduced_chi2 is not None:
            out["reduced_chi2"] = _jsonable(self.reduced_chi2)
        if self.message:
            out["message"] = self.message
        if self.params:
            out["params"] = {k: [_jsonable(v[0]), _jsonable(v[1])] for k, v in self.params.items()}
        if self.details:
            out["details"] = _jsonable(dict(self.details))
        return out

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> "Estimate":
        """Rebuild an Estimate from its results.json entry (residuals are not stored)."""
        return cls(
            value=_float(data["value"]),
            stderr=_float(data.get("stderr")),
            spread=None if data.get("spread") is None else _float(data["spread"]),
            method=str(data.get("method", "")),
            unit=str(data.get("unit", "")),
            message=str(data.get("message", "")),
            reduced_chi2=None if data.get("reduced_chi2") is None else _float(data["reduced_chi2"]),
            params={k: (_float(v[0]), _float(v[1])) for k, v in data.get("params", {}).items()},
            details=dict(data.get("details", {})),
        )


@dataclass(frozen=True)
class Warning_:
    """An analysis the data could not support: the quantity is absent, this says why."""

    sample: str
    quantity: str
    reason: str

    def to_json(self) -> dict[str, str]:
        return {"sample": self.sample, "quantity": self.quantity, "reason": self.reason}


@dataclass
class Results:
    """Everything one ``analyze`` run produced.

    Attributes
    ----------
    name : str
        Campaign name from the manifest.
    samples : dict of str to dict of str to Estimate
        Quantities per sample id, keyed by the data-contract names
        (``sigma2_GM``, ``tau_xx_ns``, …).
    warnings : list of Warning_
        Analyses the data could not support.
    plots : list of PlotData
        Figure data for the report, one typed object per figure
        (:mod:`multiphoton.plotdata`; docs/plot-data.md). Written as ``plot_data.json``
        by :meth:`plots_to_json`.
    sample_info : dict of str to dict
        Per-sample descriptors from the manifest (core diameter, layers…) for tables.
    inputs : list of dict
        Input files with their sha256, for provenance.
    manifest_text : str
        The manifest as read.
    software : dict
        Name and version.
    sources : list of Path
        The manifest and every input file, absolute (not written to results.json): an
        output folder holding one of them is never replaced
        (:mod:`multiphoton.pipeline.output`).
    """

    name: str = ""
    samples: dict[str, dict[str, Estimate]] = field(default_factory=dict)
    warnings: list[Warning_] = field(default_factory=list)
    plots: list[PlotData] = field(default_factory=list)
    sample_info: dict[str, dict[str, Any]] = field(default_factory=dict)
    inputs: list[dict[str, Any]] = field(default_factory=list)
    manifest_text: str = ""
    software: dict[str, str] = field(default_factory=dict)
    sources: list[Any] = field(default_factory=list, repr=False, compare=False)

    def add(self, sample: str, quantity: str, estimate: Estimate) -> None:
        """Record ``estimate`` as ``quantity`` of ``sample`` (a failed one becomes a warning)."""
        if not estimate.success or not math.isfinite(estimate.value):
            self.warn(sample, quantity, estimate.message or "estimate did not succeed")
            return
        self.samples.setdefault(sample, {})[quantity] = estimate

    def warn(self, sample: str, quantity: str, reason: str) -> None:
        """Record that ``quantity`` of ``sample`` could not be determined, and why."""
        self.warnings.append(Warning_(sample, quantity, reason))

    def to_json(self) -> dict[str, Any]:
        """The results.json document (schema ``multiphoton.results/1``)."""
        return {
            "schema": RESULTS_SCHEMA,
            "name": self.name,
            "software": dict(self.software),
            "samples": {
                sid: {q: est.to_json() for q, est in quantities.items()}
                for sid, quantities in self.samples.items()
            },
            "warnings": [w.to_json() for w in self.warnings],
            "sample_info": _jsonable(self.sample_info),
            "inputs": list(self.inputs),
        }

    def plots_to_json(self) -> list[dict[str, Any]]:
        """The plot_data.json document: ``[plot.to_json() for plot in self.plots]`` (NaN → None)."""
        return [p.to_json() for p in self.plots]

    @classmethod
    def from_json(cls, doc: Mapping[str, Any], *, plots=None, manifest_text: str = "") -> "Results":
        """Rebuild Results from a results.json document (and optional plot objects).

        ``plots`` are :class:`~multiphoton.plotdata.PlotData` objects (read a
        plot_data.json with :func:`multiphoton.plotdata.plot_from_json`).
        """
        return cls(
            name=str(doc.get("name", "")),
            samples={
                sid: {q: Estimate.from_json(e) for q, e in qs.items()}
                for sid, qs in doc.get("samples", {}).items()
            },
            warnings=[Warning_(**w) for w in doc.get("warnings", [])],
            plots=list(plots or []),
            sample_info=dict(doc.get("sample_info", {})),
            inputs=list(doc.get("inputs", [])),
            manifest_text=manifest_text,
            software=dict(doc.get("software", {})),
        )


def _float(x) -> float:
    return float("nan") if x is None else float(x)


def _jsonable(obj):
    """Turn numpy scalars/arrays and non-finite floats into JSON-safe values (NaN → None)."""
    if isinstance(obj, Mapping):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return _jsonable(obj.tolist())
    if isinstance(obj, (np.bool_, bool)):
        return bool(obj)
    if isinstance(obj, (np.integer,)):
        return int(obj)
    if isinstance(obj, (float, np.floating)):
        f = float(obj)
        return f if math.isfinite(f) else None
    return obj
