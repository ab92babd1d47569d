"""Running one pipeline step on in-memory containers, as the core would."""
from __future__ import annotations

from pathlib import Path

from multiphoton.io.options import OPTIONS_BY_KIND
from multiphoton.io.schema import parse_table
from multiphoton.pipeline.core import Planned, record
from multiphoton.results import Results


def options(kind: str, *, sample: str = "QS", index: int = 3, files=None, **raw):
    """Typed options of ``kind`` from manifest-style keys, checked like the manifest's."""
    cls = OPTIONS_BY_KIND[kind]
    given = dict(sample=sample, kind=kind, index=index, manifest=Path("experiment.toml"), files=files or {})
    return parse_table(cls, raw, f"measurement #{index + 1} ({kind}, sample {sample})", given=given)


def run(step, data, *, inputs=None, sample: str = "QS", index: int = 3, **raw) -> Results:
    """Run ``step`` on ``data`` (file key → container) and record it into a fresh Results."""
    o = options(step.kind, sample=sample, index=index, **raw)
    res = step.run(data, o, dict(inputs or {}))
    results = Results(name="test")
    record(sample, Planned(step, o, frozenset(step.provides), frozenset(step.fallback)), res, results, {}, {})
    return results
