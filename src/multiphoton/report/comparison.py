"""Method comparison: each quantity measured more than one way, side by side, with its
consistency z = (a − b)/√(σa² + σb²) (data contract section 5) and a warning beyond 3.

A pair whose two keys are different quantities by definition (:data:`DEFINITIONS`: the ASE-peak
shift and E_X − E_XX) is shown side by side with its z and what the two keys mean, without the
3σ warning: there a difference is physics, not an inconsistency.

Reads :class:`~multiphoton.results.Results` only (the keys each method wrote).
"""
from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from html import escape

from ..results import Estimate, Results

__all__ = ["METHOD_GROUPS", "DEFINITIONS", "Z_WARN", "Comparison", "compare_methods", "comparison_html"]

METHOD_GROUPS: dict[str, tuple[str, ...]] = {
    "two-photon cross section σ₂ (GM)": ("sigma2_GM", "sigma2_zscan_GM", "sigma2_saturation_GM"),
    "one-photon cross section σ₁ (cm²)": ("sigma1_cm2", "sigma1_saturation_cm2"),
    "biexciton binding energy (meV)": ("biexciton_binding_meV", "biexciton_binding_pl_meV"),
    "biexciton lifetime τ_XX (ns)": ("tau_xx_ns", "tau_xx_global_ns"),
}
"""The quantity each group measures → its keys in results.json, one per method."""

DEFINITIONS: dict[frozenset, str] = {
    frozenset(("biexciton_binding_meV", "biexciton_binding_pl_meV")): (
        "different quantities by definition: biexciton_binding_meV is the ASE-peak proxy (PL peak "
        "minus ASE peak), which also holds the shift of the gain spectrum's maximum from E_XX (band "
        "filling, the X-XX overlap); biexciton_binding_pl_meV is E_X - E_XX from the spontaneous "
        "exciton and biexciton bands. Their difference is the proxy's offset from E_b, not an "
        "inconsistency (docs/quantities.md)"),
}
"""Pairs of keys in one group that measure different quantities by definition → why (shown in
place of the consistency verdict; no warning)."""

Z_WARN = 3.0
"""|z| above which two methods are reported as inconsistent."""


@dataclass(frozen=True)
class Comparison:
    """Two methods of one quantity for one sample.

    ``z`` = (a − b)/√(σa² + σb²) (NaN when both stderrs are zero or unknown);
    ``warning`` holds the reason when |z| > :data:`Z_WARN`; ``definition`` says why a pair of
    :data:`DEFINITIONS` differs by design (then there is no warning).
    """

    sample: str
    quantity: str
    key_a: str
    key_b: str
    a: Estimate
    b: Estimate
    z: float
    warning: str
    definition: str = ""


def _z(a: Estimate, b: Estimate) -> float:
    var = (a.stderr if math.isfinite(a.stderr) else 0.0) ** 2 + (b.stderr if math.isfinite(b.stderr) else 0.0) ** 2
    return (a.value - b.value) / math.sqrt(var) if var > 0 else float("nan")


def compare_methods(results: Results) -> list[Comparison]:
    """Every pair of methods of one quantity that a sample has, in :data:`METHOD_GROUPS` order.

    Examples
    --------
    >>> from multiphoton.results import Estimate, Results
    >>> r = Results(samples={"S": {"sigma2_GM": Estimate(value=2.2e6, stderr=0.1e6, method="tpef"),
    ...                            "sigma2_zscan_GM": Estimate(value=1.7e6, stderr=0.1e6, method="zscan")}})
    >>> [(c.key_a, c.key_b, round(c.z, 2), bool(c.warning)) for c in compare_methods(r)]
    [('sigma2_GM', 'sigma2_zscan_GM', 3.54, True)]
    """
    out = []
    for sample, quantities in results.samples.items():
        for label, keys in METHOD_GROUPS.items():
            have = [k for k in keys if k in quantities and math.isfinite(quantities[k].value)]
            for ka, kb in itertools.combinations(have, 2):
                a, b = quantities[ka], quantities[kb]
                z = _z(a, b)
                warning = ""
                # two definitions: z says how far apart they are, not that one of them failed
                definition = DEFINITIONS.get(frozenset((ka, kb)), "")
                if not definition and math.isfinite(z) and abs(z) > Z_WARN:
                    warning = (f"{ka} ({a.method}) and {kb} ({b.method}) differ by {abs(z):.1f} combined "
                               f"standard errors (> {Z_WARN:g}): one of them rests on a wrong input or premise")
                out.append(Comparison(sample, label, ka, kb, a, b, z, warning, definition))
    return out


def _fmt(est: Estimate) -> str:
    return f"{est.value:.4g} ± {est.stderr:.2g}" if math.isfinite(est.stderr) else f"{est.value:.4g}"


def comparison_html(results: Results) -> str:
    """The report's method-comparison table (a note when no quantity was measured two ways)."""
    rows = compare_methods(results)
    if not rows:
        return '<p class="note">No quantity was measured by more than one method.</p>'
    body = []
    for c in rows:
        z = f"{c.z:+.2f}" if math.isfinite(c.z) else "—"
        if c.warning:
            flag = f'<td class="text warn">⚠ {escape(c.warning)}</td>'
        elif c.definition:
            flag = f'<td class="text">{escape(c.definition)}</td>'
        else:
            flag = '<td class="text">consistent</td>'
        body.append(
            f'<tr><td class="text">{escape(c.sample)}</td><td class="text">{escape(c.quantity)}</td>'
            f'<td class="text"><code>{escape(c.key_a)}</code> ({escape(c.a.method)})</td><td>{_fmt(c.a)}</td>'
            f'<td class="text"><code>{escape(c.key_b)}</code> ({escape(c.b.method)})</td><td>{_fmt(c.b)}</td>'
            f"<td>{z}</td>{flag}</tr>")
    n_warn = sum(bool(c.warning) for c in rows)
    box = (f'<div class="warnbox">{n_warn} pair(s) of methods disagree beyond {Z_WARN:g} combined '
           "standard errors.</div>") if n_warn else ""
    return (f"{box}<p class=\"note\">Each quantity measured more than one way; z = (a − b)/√(σa² + σb²), "
            f"flagged beyond |z| = {Z_WARN:g} unless the two keys are different quantities by definition "
            "(then the last column says what each means).</p><div class=\"scroll\"><table id=\"method-comparison\">"
            "<thead><tr><th class=\"text\">sample</th><th class=\"text\">quantity</th><th class=\"text\">method a</th>"
            "<th>a</th><th class=\"text\">method b</th><th>b</th><th>z</th><th class=\"text\">consistency</th>"
            f"</tr></thead><tbody>{''.join(body)}</tbody></table></div>")
