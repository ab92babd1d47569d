"""The self-contained ``report.html``: both tables, every figure inlined as a base64
PNG, each quantity with its method per sample, the warnings, the inputs with their
sha256, the software version and the manifest.

The page makes no network request: styles are inline, figures are ``data:`` URIs,
there is no script, and a Content-Security-Policy forbids loading anything else. It
opens from disk. Only the :class:`~multiphoton.results.Results` and the saved figure
files are read; nothing is computed.
"""
from __future__ import annotations

import base64
import math
from collections.abc import Sequence
from html import escape
from pathlib import Path

from ..results import Estimate, Results
from .comparison import comparison_html
from .figures import FigureFile
from .style import PNG_DPI
from .tables import (
    ABSENT_TEXT, TABLE1_COLUMNS, TABLE2_COLUMNS, Table, format_value_stderr, scale_exponent,
    superscript, table1, table2,
)

__all__ = ["render_html", "format_estimate", "CSS"]

CSS = """
:root { --ink:#1d2433; --muted:#5b6475; --line:#d9dde5; --band:#f4f6f9; --accent:#1f3b73;
        --warn:#8a4b00; --warnbg:#fff6e5; }
* { box-sizing: border-box; }
body { margin:0; color:var(--ink); background:#fff;
       font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; }
main { max-width: 1180px; margin: 0 auto; padding: 24px 28px 64px; }
header { border-bottom: 3px solid var(--accent); margin-bottom: 18px; padding-bottom: 8px; }
h1 { font-size: 1.6em; margin: 0 0 4px; }
h2 { font-size: 1.25em; margin: 34px 0 10px; border-bottom: 1px solid var(--line); padding-bottom: 4px; }
h3 { font-size: 1.05em; margin: 22px 0 8px; }
.meta, .caption, .note { color: var(--muted); font-size: 0.9em; }
nav ul { list-style: none; padding: 0; margin: 6px 0; display: flex; flex-wrap: wrap; gap: 6px 16px; }
a { color: var(--accent); }
.scroll { overflow-x: auto; max-width: 100%;
  /* scroll shadows: a shade at an edge whose content continues past it (CSS only) */
  background: linear-gradient(to right, #fff 30%, rgba(255,255,255,0)) left center,
              linear-gradient(to left, #fff 30%, rgba(255,255,255,0)) right center,
              radial-gradient(farthest-side at 0 50%, rgba(31,59,115,.28), rgba(0,0,0,0)) left center,
              radial-gradient(farthest-side at 100% 50%, rgba(31,59,115,.28), rgba(0,0,0,0)) right center;
  background-repeat: no-repeat; background-size: 40px 100%, 40px 100%, 14px 100%, 14px 100%;
  background-attachment: local, local, scroll, scroll; }
table.wide { font-size: 0.8em; }
.wide th { white-space: normal; min-width: 4em; max-width: 7.5em; vertical-align: bottom; }
.wide td, .wide th { padding: 3px 4px; }
td.absent a { color: #a0a6b1; text-decoration: none; }
td.absent sup { color: var(--warn); }
table { border-collapse: collapse; font-size: 0.88em; margin: 6px 0 4px; }
th, td { border-bottom: 1px solid var(--line); padding: 4px 10px; text-align: right; vertical-align: top; }
th { background: var(--band); font-weight: 600; }
td.text, th.text { text-align: left; }
td:not(.text) { white-space: nowrap; }
tbody tr:nth-child(even) td { background: #fafbfc; }
td.absent { color: #a0a6b1; text-align: center; }
code, .mono { font-family: ui-monospace, "DejaVu Sans Mono", Menlo, Consolas, monospace; font-size: 0.92em; }
figure { margin: 14px 0 22px; }
figure img { max-width: 100%; height: auto; border: 1px solid var(--line); }
figcaption { color: var(--muted); font-size: 0.88em; margin-top: 4px; }
.warnings li, .notes li { margin: 2px 0; }
.warnbox { background: var(--warnbg); border-left: 4px solid var(--warn); padding: 8px 14px; }
pre { background: var(--band); border: 1px solid var(--line); padding: 10px 12px; overflow-x: auto;
      font-size: 0.85em; line-height: 1.4; }
@media print { figure { break-inside: avoid; } }
"""
"""The page's stylesheet (inline; system fonts only)."""

_CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'"


def format_estimate(est: Estimate) -> str:
    """``value ± stderr`` of an Estimate, with a power of ten pulled out when it is large.

    Examples
    --------
    >>> from multiphoton.results import Estimate
    >>> format_estimate(Estimate(value=1.22e-13, stderr=0.34e-13, method="m"))
    '(1.2 ± 0.3) ×10⁻¹³'
    >>> format_estimate(Estimate(value=6.7, stderr=0.3, method="m"))
    '6.7 ± 0.3'
    """
    exponent = scale_exponent([est.value])
    if abs(exponent) < 4:
        exponent = 0
    text = format_value_stderr(est.value, est.stderr, exponent=exponent)
    if not text:
        return ABSENT_TEXT
    if exponent:
        return f"({text}) ×10{superscript(exponent)}" if "±" in text else f"{text} ×10{superscript(exponent)}"
    return text


def _absent_cell(reasons: dict, sample: str, key: str) -> str:
    """A "—" cell: with the warning that explains it (hover text, link), or "not measured"."""
    why = reasons.get((sample, key))
    if why:
        return (f'<td class="absent" title="{escape(why)}"><a href="#warnings">{ABSENT_TEXT}'
                "<sup>w</sup></a></td>")
    return f'<td class="absent" title="not measured: no measurement of this sample gives it">{ABSENT_TEXT}</td>'


def _table_html(table: Table, anchor: str, reasons: dict | None = None) -> str:
    reasons = reasons or {}
    head = "".join(f"<th>{escape(table.header(c))}</th>" for c in table.columns)
    body = []
    for sample, cells in table.rows:
        tds = [f'<td class="text"><a href="#sample-{_anchor(sample)}">{escape(sample)}</a></td>']
        for c in table.columns:
            cell = cells[c.key]
            if cell.text:
                title = f' title="{escape(cell.method)}"' if cell.method else ""
                tds.append(f"<td{title}>{escape(cell.text)}</td>")
            else:
                tds.append(_absent_cell(reasons, sample, c.key))
        body.append(f"<tr>{''.join(tds)}</tr>")
    if not body:
        body.append(f'<tr><td class="absent" colspan="{len(table.columns) + 1}">no samples</td></tr>')
    # headers wrap in a wide table so that it fits the page; if it still does not, the
    # .scroll box scrolls and shades the edge whose columns are hidden (the visible cue)
    wide = len(table.columns) > 8
    return (
        f'<h3 id="{anchor}">{escape(table.title)}</h3><div class="scroll"><table class="{"wide" if wide else ""}">'
        f'<thead><tr><th class="text">Sample</th>{head}</tr></thead>'
        f"<tbody>{''.join(body)}</tbody></table></div>"
    )


def _anchor(text: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in str(text))


def _figure_html(fig: FigureFile) -> str:
    title = fig.stem
    if fig.png is None and fig.svg is not None:  # figures written as SVG only (--figures svg)
        data = base64.b64encode(Path(fig.svg).read_bytes()).decode("ascii")
        return (
            f'<figure id="fig-{_anchor(fig.stem)}">'
            f'<img alt="{escape(fig.family)} figure for {escape(str(fig.sample or "all samples"))}" '
            f'src="data:image/svg+xml;base64,{data}">'
            f"<figcaption><code>{escape(title)}</code>: {escape(fig.caption)}</figcaption></figure>"
        )
    if fig.png is None:
        return (
            f'<figure id="fig-{_anchor(fig.stem)}"><p class="note">Figure '
            f"<code>{escape(title)}</code> not drawn: {escape(fig.note)}</p></figure>"
        )
    raw = Path(fig.png).read_bytes()
    data = base64.b64encode(raw).decode("ascii")
    width_px = _png_css_width(raw)
    size = f' width="{width_px}"' if width_px else ""
    svg_link = (
        f' <a href="figures/{escape(Path(fig.svg).name)}">SVG</a>' if fig.svg is not None else ""
    )
    return (
        f'<figure id="fig-{_anchor(fig.stem)}">'
        f'<img alt="{escape(fig.family)} figure for {escape(str(fig.sample or "all samples"))}" '
        f'{size} src="data:image/png;base64,{data}">'
        f"<figcaption><code>{escape(title)}</code>: {escape(fig.caption)}{svg_link}</figcaption>"
        "</figure>"
    )


def _png_css_width(png: bytes) -> int | None:
    """Display width in CSS pixels (96 per inch) of a PNG saved at ``PNG_DPI``, so that a
    figure appears at its physical size; None if the bytes are not a PNG."""
    # The width is the first field of the IHDR chunk (PNG spec §11.2.2): bytes 16–20.
    if png[:8] != b"\x89PNG\r\n\x1a\n" or len(png) < 24:
        return None
    return round(int.from_bytes(png[16:20], "big") * 96 / PNG_DPI)


def _pair_text(entry) -> str:
    if entry is None:
        return ABSENT_TEXT
    if isinstance(entry, (int, float)):
        return f"{entry:g}"
    if isinstance(entry, Sequence) and len(entry) == 2 and not isinstance(entry[0], Sequence):
        v, s = entry
        if v is None:
            return ABSENT_TEXT
        return format_value_stderr(float(v), math.nan if s is None else float(s)) or ABSENT_TEXT
    return str(entry)


def _sample_info_html(info: dict) -> str:
    if not info:
        return ""
    layers = info.get("layers") or []
    shells = info.get("shell_thickness_nm") or []
    rows = [
        ("Layers (core first)", " / ".join(str(x) for x in layers) or ABSENT_TEXT),
        ("Core diameter (nm)", _pair_text(info.get("core_diameter_nm"))),
        ("Shell thicknesses (nm)", ", ".join(_pair_text(s) for s in shells) or ABSENT_TEXT),
        ("Total volume (nm³)", _pair_text(info.get("total_volume_nm3"))),
    ]
    trs = "".join(f'<tr><th class="text">{escape(k)}</th><td class="text">{escape(v)}</td></tr>'
                  for k, v in rows)
    return f"<table>{trs}</table>"


_ORDER = [c.key for c in TABLE1_COLUMNS + TABLE2_COLUMNS]


def _quantities_html(quantities: dict[str, Estimate]) -> str:
    if not quantities:
        return '<p class="note">No quantity could be determined for this sample.</p>'
    keys = sorted(quantities, key=lambda k: (_ORDER.index(k) if k in _ORDER else len(_ORDER), k))
    rows = []
    for key in keys:
        est = quantities[key]
        chi2 = "" if est.reduced_chi2 is None or not math.isfinite(est.reduced_chi2) \
            else f"{est.reduced_chi2:.3g}"
        rows.append(
            f'<tr><td class="text"><code>{escape(key)}</code></td><td>{escape(format_estimate(est))}</td>'
            f'<td class="text">{escape(est.unit)}</td><td class="text"><code>{escape(est.method)}</code></td>'
            f"<td>{escape(chi2)}</td><td class=\"text\">{escape(est.message)}</td></tr>"
        )
    return (
        '<div class="scroll"><table><thead><tr><th class="text">Quantity</th><th>Value ± stderr</th>'
        '<th class="text">Unit</th><th class="text">Method</th><th>χ²ᵣ</th>'
        f'<th class="text">Message</th></tr></thead><tbody>{"".join(rows)}</tbody></table></div>'
    )


def _warnings_html(results: Results, figures: Sequence[FigureFile]) -> str:
    parts = []
    if results.warnings:
        items = "".join(
            f"<li><b>{escape(w.sample)}</b> · <code>{escape(w.quantity)}</code>: {escape(w.reason)}</li>"
            for w in results.warnings
        )
        parts.append(f'<div class="warnbox"><ul class="warnings">{items}</ul></div>')
    else:
        parts.append('<p class="note">No warnings: every analysis the data allowed succeeded.</p>')
    notes = [f for f in figures if f.png is None and f.svg is None]
    if notes:
        items = "".join(f"<li><code>{escape(f.stem)}</code>: {escape(f.note)}</li>" for f in notes)
        parts.append(f'<h3>Figures not drawn</h3><ul class="notes">{items}</ul>')
    return "".join(parts)


def _inputs_html(results: Results) -> str:
    if not results.inputs:
        return '<p class="note">No input files recorded.</p>'
    rows = "".join(
        f'<tr><td class="text"><code>{escape(str(i.get("path", "")))}</code></td>'
        f'<td>{escape(str(i.get("bytes", "")))}</td>'
        f'<td class="text mono">{escape(str(i.get("sha256", "")))}</td></tr>'
        for i in results.inputs
    )
    return (
        '<div class="scroll"><table><thead><tr><th class="text">File</th><th>Bytes</th>'
        f'<th class="text">SHA-256</th></tr></thead><tbody>{rows}</tbody></table></div>'
    )


def render_html(results: Results, figures: Sequence[FigureFile]) -> str:
    """The report page as one HTML string.

    Parameters
    ----------
    results : Results
        What the run produced.
    figures : sequence of FigureFile
        From :func:`multiphoton.report.figures.render_figures` (PNG files are read and
        inlined; figures with a note are listed as not drawn).

    Returns
    -------
    str
        A complete HTML5 document with no external resource.
    """
    name = results.name or "multiphoton report"
    software = results.software or {}
    version = f"{software.get('name', 'multiphoton')} {software.get('version', '')}".strip()
    samples = list(results.sample_info) + [s for s in results.samples if s not in results.sample_info]
    samples += sorted({str(f.sample) for f in figures if f.sample is not None} - set(samples))

    nav = "".join(f'<li><a href="#sample-{_anchor(s)}">{escape(s)}</a></li>' for s in samples)
    sections = []
    for s in samples:
        figs = "".join(_figure_html(f) for f in figures if f.sample == s)
        sections.append(
            f'<section id="sample-{_anchor(s)}"><h2>Sample {escape(s)}</h2>'
            f"{_sample_info_html(results.sample_info.get(s, {}))}"
            f"<h3>Quantities</h3>{_quantities_html(results.samples.get(s, {}))}"
            f"{'<h3>Figures</h3>' + figs if figs else ''}</section>"
        )
    overall = "".join(_figure_html(f) for f in figures if f.sample is None)
    reasons: dict = {}
    for w in results.warnings:
        reasons.setdefault((w.sample, w.quantity), w.reason)
    manifest = results.manifest_text or "(manifest not available)"
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{_CSP}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="{escape(version)}">
<title>{escape(name)}</title>
<style>{CSS}</style>
</head>
<body>
<main>
<header>
<h1>{escape(name)}</h1>
<div class="meta">Report by {escape(version)} · {len(samples)} sample(s) · {len(results.warnings)} warning(s)</div>
<nav><ul><li><a href="#tables">Tables</a></li><li><a href="#warnings">Warnings</a></li><li><a href="#methods">Method comparison</a></li>{nav}<li><a href="#all-samples">All samples</a></li><li><a href="#provenance">Provenance</a></li></ul></nav>
</header>
<section id="tables"><h2>Tables</h2>
<p class="note">Value ± one standard error; the uncertainty is rounded to one significant
digit (two when that digit is 1, the Particle Data Group convention) and the value to the same
decimal place; the power of
ten in a header multiplies every entry of its column; {ABSENT_TEXT}<sup>w</sup> means not determined, for
the reason its warning gives (hover over the cell, or see Warnings); a plain {ABSENT_TEXT} means
no measurement of that sample gives the quantity.</p>
{_table_html(table1(results), "table1", reasons)}
{_table_html(table2(results), "table2", reasons)}
</section>
<section id="warnings"><h2>Warnings</h2>{_warnings_html(results, figures)}</section>
<section id="methods"><h2>Method comparison</h2>{comparison_html(results)}</section>
{''.join(sections)}
<section id="all-samples"><h2>All samples</h2>{overall or '<p class="note">No figure over all samples.</p>'}</section>
<section id="provenance"><h2>Provenance</h2>
<p>Software: <code>{escape(version)}</code></p>
<h3>Input files</h3>{_inputs_html(results)}
<h3>Manifest</h3><pre>{escape(manifest)}</pre>
</section>
</main>
</body>
</html>
"""
