"""Contract tests every analysis inherits (STYLE.md practice 8, after pybaselines' BaseTester).

A test module subclasses :class:`AnalysisContract` once per public analysis function::

    class TestPowerLawOrder(AnalysisContract):
        function = staticmethod(power_law_order)
        shared_axes = (SharedAxis({"fluence_mJ_cm2": 0, "integrated": 0}),)
        rtol = 1e-10  # OLS on the same points, summed in another order
        # documented: too few points raise; a function returning a failed Estimate declares
        # failure = Fails(match="...") instead
        failure = Raises(InputError, match="at least 3 fluences")

        def inputs(self, seed):
            rng = np.random.default_rng(seed)
            f = np.geomspace(0.2, 6.0, 12)
            return {"fluence_mJ_cm2": f, "integrated": f**2 * (1 + 0.03 * rng.standard_normal(12))}, {}

        def failure_inputs(self):
            return {"fluence_mJ_cm2": np.array([1.0, 2.0]), "integrated": np.array([1.0, 4.0])}, {}

``inputs`` returns ``(args, kwargs)``: ``args`` maps the positional parameters, in order, to
their values; ``kwargs`` holds the keyword options. Inherited tests:

- ``test_read_only_inputs``: every array made read-only is accepted and left bit-for-bit unchanged;
- ``test_reversed_axes`` / ``test_shuffled_axes``: each :class:`SharedAxis` group reversed or
  shuffled (the arrays of a group permuted together) gives the same answer within ``rtol``/``atol``;
  outputs that follow the axis are named in ``SharedAxis.outputs`` and compared permuted;
- ``test_lists``: every array passed as a plain (nested) Python list gives the same answer;
- ``test_same_seed``: the same seed gives bit-identical outputs twice;
- ``test_failure``: the declared :class:`Fails` (failed Estimate: value NaN, success False, a
  message) or :class:`Raises` (``pytest.raises(..., match=...)``) for ``failure_inputs``;
- ``test_details_documented``: every key of every ``Estimate.details`` in the outputs (normal and
  failed) appears in the function's docstring.

The compared quantities are :meth:`AnalysisContract.quantities` of the output: by default every
number reachable in it (Estimate value, stderr, success, params, reduced χ², residuals, details;
dataclass fields; tuples, lists, dicts; arrays; ``uncertainties`` numbers), keyed by path.
A check is skipped only by naming it in ``skip`` with a reason string.
"""
from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pytest

from multiphoton.results import Estimate

__all__ = ["AnalysisContract", "SharedAxis", "Fails", "Raises", "estimates_in", "flatten"]

CHECKS = ("read_only_inputs", "reversed_axes", "shuffled_axes", "lists", "same_seed", "failure",
          "details_documented")


@dataclass(frozen=True)
class SharedAxis:
    """Arrays that share one axis: ``inputs`` maps argument name → axis of that argument
    (``"irf.1"``: element 1 of a tuple argument ``irf``).

    ``outputs`` maps a path into the output (``""`` the output itself, ``".field"``,
    ``"[key]"``, chained) → the axis of the array or sequence there that follows the shared
    one (e.g. a model evaluated at each time, a mask per fluence, one result per trace);
    ``ignore`` lists quantity paths (see :func:`flatten`)
    that legitimately depend on the order (say why in a comment where declared).
    """

    inputs: Mapping[str, int]
    outputs: Mapping[str, int] = field(default_factory=dict)
    ignore: tuple[str, ...] = ()


@dataclass(frozen=True)
class Fails:
    """Expected failure: an Estimate (or the estimates at ``paths``) with value NaN,
    success False and a message matching ``match`` (a regular expression)."""

    match: str
    paths: tuple[str, ...] = ()


@dataclass(frozen=True)
class Raises:
    """Expected failure: the documented exception, its message matching ``match``."""

    exception: type[BaseException]
    match: str


# --------------------------------------------------------------------------- output walking
def _leaf(x):
    """A numeric or string leaf as an ndarray / str, or None when not a leaf."""
    if isinstance(x, (str, bytes)):
        return str(x)
    if isinstance(x, (bool, np.bool_, int, float, np.integer, np.floating)):
        return np.asarray(x)
    if isinstance(x, np.ndarray) and x.dtype != object:
        return x
    return None


def flatten(obj, path: str = "") -> dict:
    """Every number and string reachable in ``obj``, keyed by its path (``.field``, ``[i]``, ``[key]``)."""
    out: dict = {}
    leaf = _leaf(obj)
    if obj is None:
        out[path] = "None"
    elif leaf is not None:
        out[path] = leaf
    elif hasattr(obj, "nominal_value") and hasattr(obj, "std_dev"):
        out[path + ".n"] = np.asarray(float(obj.nominal_value))
        out[path + ".s"] = np.asarray(float(obj.std_dev))
    elif isinstance(obj, Estimate):
        for name in ("value", "stderr", "success", "message", "method", "unit", "reduced_chi2",
                     "residuals", "params", "details"):
            out.update(flatten(getattr(obj, name), f"{path}.{name}"))
    elif dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        for f in dataclasses.fields(obj):
            out.update(flatten(getattr(obj, f.name), f"{path}.{f.name}"))
    elif isinstance(obj, Mapping):
        for k, v in obj.items():
            out.update(flatten(v, f"{path}[{k}]"))
    elif isinstance(obj, (list, tuple)) or (isinstance(obj, np.ndarray) and obj.dtype == object):
        if len(obj) and all(hasattr(v, "nominal_value") and hasattr(v, "std_dev") for v in obj):
            out[path + ".n"] = np.array([float(v.nominal_value) for v in obj])
            out[path + ".s"] = np.array([float(v.std_dev) for v in obj])
            return out
        arr = [_leaf(v) for v in obj]
        if len(arr) and all(isinstance(a, np.ndarray) for a in arr) and len({a.shape for a in arr}) == 1:
            out[path] = np.asarray(obj, dtype=float if not all(a.dtype == bool for a in arr) else bool)
        else:
            for i, v in enumerate(obj):
                out.update(flatten(v, f"{path}[{i}]"))
    else:
        raise TypeError(f"contract: cannot compare an output of type {type(obj).__name__} at {path!r}; "
                        "override quantities()")
    return out


def estimates_in(obj):
    """Every Estimate reachable in ``obj`` (dataclass fields, mappings, sequences)."""
    if isinstance(obj, Estimate):
        yield obj
    elif dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        for f in dataclasses.fields(obj):
            yield from estimates_in(getattr(obj, f.name))
    elif isinstance(obj, Mapping):
        for v in obj.values():
            yield from estimates_in(v)
    elif isinstance(obj, (list, tuple)):
        for v in obj:
            yield from estimates_in(v)


_SEGMENT = re.compile(r"\.(\w+)|\[([^\]]+)\]")


def _permute_at(obj, path: str, perm, axis: int):
    """``obj`` with the array or sequence at ``path`` (``.field``, ``[key]``…) permuted."""
    if not path:
        if isinstance(obj, (list, tuple)):
            assert axis == 0, "a sequence output follows a shared axis only as its axis 0"
            return type(obj)(obj[i] for i in perm)
        return np.take(np.asarray(obj), perm, axis=axis)
    m = _SEGMENT.match(path)
    assert m, f"cannot parse output path {path!r}"
    rest = path[m.end():]
    if m.group(1) is not None:
        name = m.group(1)
        return dataclasses.replace(obj, **{name: _permute_at(getattr(obj, name), rest, perm, axis)})
    key = m.group(2)
    if isinstance(obj, Mapping):
        return {**obj, key: _permute_at(obj[key], rest, perm, axis)}
    items = list(obj)
    items[int(key)] = _permute_at(items[int(key)], rest, perm, axis)
    return type(obj)(items)


def _walk_arrays(obj, fn):
    """``obj`` with every ndarray replaced by fn(array), through tuples, lists and dicts."""
    if isinstance(obj, np.ndarray):
        return fn(obj)
    if isinstance(obj, tuple):
        return tuple(_walk_arrays(v, fn) for v in obj)
    if isinstance(obj, list):
        return [_walk_arrays(v, fn) for v in obj]
    if isinstance(obj, dict):
        return {k: _walk_arrays(v, fn) for k, v in obj.items()}
    return obj


def _arrays(obj):
    found = []
    _walk_arrays(obj, lambda a: found.append(a) or a)
    return found


# --------------------------------------------------------------------------- the base class
class AnalysisContract:
    """Base of the contract tests of one public analysis function (see the module docstring).

    Attributes a subclass sets
    --------------------------
    function : callable
        The analysis, as ``staticmethod(fn)``.
    shared_axes : tuple of SharedAxis
        Groups of arguments sharing an axis that may be reversed or shuffled.
    rtol, atol : float
        Tolerance of the reversed/shuffled/list comparisons (justify it in a comment).
    failure : Fails or Raises
        What ``failure_inputs()`` must give.
    skip : mapping of check name to reason
        Checks (names in ``CHECKS``) this function cannot meaningfully run, each with why.
    """

    function = None
    shared_axes: tuple[SharedAxis, ...] = ()
    rtol: float = 1e-12
    atol: float = 0.0
    failure: Fails | Raises | None = None
    skip: Mapping[str, str] = {}

    # ----------------------------------------------------------- hooks
    def inputs(self, seed: int):
        """``(args, kwargs)`` of a valid call, made from ``seed``; override."""
        raise NotImplementedError

    def failure_inputs(self):
        """``(args, kwargs)`` of a call that must fail as ``failure`` declares; override."""
        raise NotImplementedError

    def quantities(self, out) -> dict:
        """The quantities compared, path → array or str (default: :func:`flatten`)."""
        return flatten(out)

    # ----------------------------------------------------------- helpers
    def _baseline(self):
        """The output for ``inputs(0)``, computed once per class (outputs are never mutated)."""
        cache = type(self).__dict__.get("_baseline_cache")
        if cache is None:
            cache = self.call(*self.inputs(0))
            type(self)._baseline_cache = cache
        return cache

    def _check_declared(self, check):
        unknown = set(self.skip) - set(CHECKS)
        assert not unknown, f"skip names unknown checks {sorted(unknown)}; known: {CHECKS}"
        reason = self.skip.get(check)
        if reason is not None:
            assert isinstance(reason, str) and reason.strip(), f"skip[{check!r}] needs a reason string"
            pytest.skip(f"{type(self).__name__}: {reason}")

    def call(self, args, kwargs):
        """Call the analysis with ``args`` (positional, in order) and ``kwargs``."""
        return self.function(*args.values(), **kwargs)

    def _compare(self, got, want, *, exact=False, permute=None, ignore=()):
        if permute is not None:
            for path, axis in permute[1].items():
                want = _permute_at(want, path, permute[0], axis)
        got, want = self.quantities(got), self.quantities(want)
        assert got.keys() == want.keys(), f"output structure differs: {set(got) ^ set(want)}"
        for key, w in want.items():
            if key in ignore:
                continue
            g = got[key]
            if isinstance(w, str) or isinstance(g, str):
                if exact or key.endswith((".method", ".unit")) or isinstance(g, str) != isinstance(w, str):
                    assert g == w, f"{key}: {g!r} != {w!r}"
                continue
            assert g.shape == w.shape, f"{key}: shape {g.shape} != {w.shape}"
            if exact or g.dtype == bool or w.dtype == bool or g.dtype.kind in "iu":
                np.testing.assert_array_equal(g, w, err_msg=key, strict=False)
            else:
                np.testing.assert_allclose(g.astype(float), w.astype(float), rtol=self.rtol,
                                           atol=self.atol, equal_nan=True, err_msg=key)

    def _permuted(self, axis: SharedAxis, perm):
        args, kwargs = self.inputs(0)
        sizes = set()
        for name, ax in axis.inputs.items():
            base, _, item = name.partition(".")  # "irf.1": element 1 of the tuple argument irf
            where = args if base in args else kwargs
            assert base in where, f"shared axis names {name!r}, not an argument of the inputs"
            a = np.asarray(where[base][int(item)] if item else where[base])
            sizes.add(a.shape[ax])
            a = np.take(a, perm(a.shape[ax]), axis=ax)
            if item:
                parts = list(where[base])
                parts[int(item)] = a
                where[base] = type(where[base])(parts)
            else:
                where[base] = a
        assert len(sizes) == 1, f"arrays of one shared axis differ in length: {sizes}"
        return args, kwargs, perm(sizes.pop())

    def _run_axes(self, make_perm):
        assert self.shared_axes, ("declare shared_axes, or skip the reversed/shuffled checks "
                                  "with a reason (skip = {...})")
        want = self._baseline()
        for axis in self.shared_axes:
            args, kwargs, perm = self._permuted(axis, make_perm)
            got = self.call(args, kwargs)
            self._compare(got, want, permute=(perm, axis.outputs), ignore=axis.ignore)

    # ----------------------------------------------------------- the contract
    def test_read_only_inputs(self):
        self._check_declared("read_only_inputs")
        args, kwargs = self.inputs(0)
        arrays = _arrays((args, kwargs))
        assert arrays, "inputs contain no ndarray; skip read_only_inputs with a reason"
        for a in arrays:
            a.setflags(write=False)
        before = [(a.dtype, a.shape, a.tobytes()) for a in arrays]
        out = self.call(args, kwargs)
        for a, (dtype, shape, data) in zip(arrays, before):
            assert (a.dtype, a.shape, a.tobytes()) == (dtype, shape, data), "an input was modified"
        self._compare(out, self._baseline(), exact=True)

    def test_reversed_axes(self):
        self._check_declared("reversed_axes")
        self._run_axes(lambda n: np.arange(n)[::-1])

    def test_shuffled_axes(self):
        self._check_declared("shuffled_axes")
        self._run_axes(lambda n: np.random.default_rng(12345).permutation(n))

    def test_lists(self):
        self._check_declared("lists")
        args, kwargs = self.inputs(0)
        assert _arrays((args, kwargs)), "inputs contain no ndarray; skip lists with a reason"
        args, kwargs = _walk_arrays((args, kwargs), lambda a: a.tolist())
        self._compare(self.call(args, kwargs), self._baseline())

    def test_same_seed(self):
        self._check_declared("same_seed")
        a = self.call(*self.inputs(7))
        b = self.call(*self.inputs(7))
        self._compare(a, b, exact=True)

    def test_failure(self):
        self._check_declared("failure")
        assert isinstance(self.failure, (Fails, Raises)), (
            "declare failure = Fails(match=...) or Raises(InputError, match=...)")
        args, kwargs = self.failure_inputs()
        if isinstance(self.failure, Raises):
            with pytest.raises(self.failure.exception, match=self.failure.match):
                self.call(args, kwargs)
            return
        out = self.call(args, kwargs)
        if self.failure.paths:
            found = [eval("out" + p, {}, {"out": out}) for p in self.failure.paths]  # noqa: S307
        else:
            found = [out]
        for est in found:
            assert isinstance(est, Estimate), f"expected a failed Estimate, got {type(est).__name__}"
            assert isinstance(est.success, (bool, np.bool_)) and not est.success, (
                f"failed estimate must have success=False, got {est.success!r}")
            assert math.isnan(est.value), f"failed estimate must have value NaN, got {est.value!r}"
            assert est.message.strip(), "failed estimate must say why (message)"
            assert re.search(self.failure.match, est.message), (
                f"message {est.message!r} does not match {self.failure.match!r}")

    def test_details_documented(self):
        self._check_declared("details_documented")
        outs = [self._baseline()]
        if isinstance(self.failure, Fails):
            outs.append(self.call(*self.failure_inputs()))
        keys = {k for o in outs for est in estimates_in(o) for k in est.details}
        doc = self.function.__doc__ or ""
        missing = sorted(k for k in keys if str(k) not in doc)
        assert not missing, f"details keys not documented in {self.function.__name__}'s docstring: {missing}"
