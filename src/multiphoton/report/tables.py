"""The paper's two tables, built from a :class:`~multiphoton.results.Results`.

Table 1 (sizing, extinction, cross sections, PL order) and Table 2 (multiexciton
dynamics, gain and lasing) have one row per sample. Each cell is "value ± stderr"
in the column's scale, rounded by the Particle Data Group convention (see
:func:`format_value_stderr`). Nothing here computes physics: cells are the
``Estimate`` values of ``results.samples`` and the descriptors of
``results.sample_info``.
"""
from __future__ import annotations

import csv
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from uncertainties import ufloat

from ..errors import InputError
from ..results import Results

__all__ = [
    "Column",
    "Cell",
    "Table",
    "TABLE1_COLUMNS",
    "TABLE2_COLUMNS",
    "ABSENT_TEXT",
    "format_value_stderr",
    "scale_exponent",
    "superscript",
    "table1",
    "table2",
    "write_table_csv",
    "render_terminal",
]

ABSENT_TEXT = "—"
"""How an absent quantity is shown to people (the CSV leaves the cell empty)."""


@dataclass(frozen=True)
class Column:
    """One quantity column of a table.

    Attributes
    ----------
    key : str
        Quantity name of the data contract (``sigma2_GM``); also the CSV raw-value column.
    label : str
        Human header without the scale, e.g. ``"σ₂"``.
    unit : str
        Human unit, e.g. ``"GM"`` (empty for dimensionless).
    scaled : bool
        Whether values are shown as multiples of a power of ten stated in the header.
    default_exponent : int
        Power of ten used when the column has no value to choose it from (the paper's).
    source : str
        ``"quantity"`` (an Estimate in ``results.samples``), ``"info"`` (a ``[value, std]``
        of ``results.sample_info``), or ``"either"`` (the Estimate, else the info entry).
    """

    key: str
    label: str
    unit: str = ""
    scaled: bool = False
    default_exponent: int = 0
    source: str = "quantity"


@dataclass(frozen=True)
class Cell:
    """One table cell: raw ``value`` and ``stderr`` in the column's unit (``nan`` if absent)."""

    value: float = math.nan
    stderr: float = math.nan
    text: str = ""
    method: str = ""

    @property
    def present(self) -> bool:
        return math.isfinite(self.value)


@dataclass(frozen=True)
class Table:
    """A table ready to print: its columns, the scale chosen for each, and its rows.

    ``rows`` is a tuple of ``(sample_id, {column key: Cell})``.
    """

    title: str
    columns: tuple[Column, ...]
    exponents: Mapping[str, int]
    rows: tuple[tuple[str, Mapping[str, Cell]], ...] = field(default_factory=tuple)

    def header(self, column: Column) -> str:
        """Human header of ``column`` with its scale and unit, e.g. ``"σ₂ (×10⁶ GM)"``."""
        exponent = self.exponents.get(column.key, 0)
        parts = []
        if column.scaled and exponent != 0:
            parts.append(f"×10{superscript(exponent)}")
        if column.unit:
            parts.append(column.unit)
        return f"{column.label} ({' '.join(parts)})" if parts else column.label

    def texts(self, *, absent: str = ABSENT_TEXT) -> list[list[str]]:
        """Rows of display strings, sample first, ``absent`` for missing cells."""
        return [
            [sample] + [cells[c.key].text or absent for c in self.columns]
            for sample, cells in self.rows
        ]


TABLE1_COLUMNS: tuple[Column, ...] = (
    Column("core_diameter_nm", "Core diameter", "nm", source="info"),
    Column("total_volume_nm3", "V_total", "nm³", source="either"),
    Column("pl_peak_eV", "E_PL", "eV"),
    Column("epsilon_per_M_cm", "ε", "M⁻¹ cm⁻¹", scaled=True, default_exponent=7),
    Column("sigma1_cm2", "σ₁", "cm²", scaled=True, default_exponent=-13),
    Column("sigma2_GM", "σ₂", "GM", scaled=True, default_exponent=6),
    Column("sigma2_per_volume_cm_s", "σ₂/V", "cm s", scaled=True, default_exponent=-26),
    Column("quantum_yield", "QY"),
    Column("quantum_yield_tpef", "QY (TPEF 1P files)"),
    Column("pl_order", "PL order"),
)
"""Table 1 of the paper (sizing and extinction), plus the PL power-law order."""

TABLE2_COLUMNS: tuple[Column, ...] = (
    Column("tau_xx_ns", "τ_XX", "ns"),
    Column("tau_x_ns", "τ_X", "ns"),
    Column("biexciton_binding_meV", "E_b,XX", "meV"),
    Column("ase_threshold_mJ_cm2", "ASE threshold", "mJ/cm²"),
    Column("excitons_at_threshold", "⟨N⟩ at threshold"),
    Column("gain_lifetime_ns", "Gain lifetime", "ns"),
    Column("gain_bandwidth_meV", "Gain bandwidth", "meV"),
    Column("laser_threshold_mJ_cm2", "Laser threshold", "mJ/cm²"),
    Column("laser_linewidth_meV", "Laser linewidth", "meV"),
    Column("mode_drift_meV_per_min", "Mode drift", "meV/min"),
    Column("intensity_retention", "Retention"),
    Column("shots", "Shots", scaled=True, default_exponent=6),
)
"""Table 2 of the paper (optical gain), plus lasing and stability figures of merit."""

_SUPERSCRIPT = str.maketrans("0123456789-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻")


def superscript(n: int) -> str:
    """Integer ``n`` in Unicode superscript digits.

    Examples
    --------
    >>> superscript(-13)
    '⁻¹³'
    """
    return str(int(n)).translate(_SUPERSCRIPT)


def scale_exponent(values: Sequence[float], *, default: int = 0) -> int:
    """Power of ten a column is shown in: that of its largest finite magnitude.

    Parameters
    ----------
    values : sequence of float
        The column's raw values (``nan`` for absent ones).
    default : int
        Returned when no value is finite and non-zero.

    Examples
    --------
    >>> scale_exponent([1.7e6, 0.4e6, 7.9e6])
    6
    >>> scale_exponent([float("nan")], default=-13)
    -13
    """
    finite = [abs(v) for v in values if math.isfinite(v) and v != 0.0]
    if not finite:
        return int(default)
    return int(math.floor(math.log10(max(finite))))


def format_value_stderr(value: float, stderr: float, *, exponent: int = 0) -> str:
    """``value ± stderr`` in units of ``10**exponent``, rounded by the PDG convention.

    Parameters
    ----------
    value, stderr : float
        Raw value and one-standard-deviation uncertainty, same unit.
    exponent : int
        Both are divided by ``10**exponent`` (the scale stated in the column header).

    Returns
    -------
    str
        ``""`` when ``value`` is not finite; ``"value"`` (4 significant digits) when
        ``stderr`` is zero, negative or not finite; else ``"value ± stderr"``.

    Notes
    -----
    Rounding follows the Particle Data Group convention in its simple form: the
    uncertainty keeps one significant digit, two when that digit is 1 (an uncertainty
    whose leading digits are 95–99 rounds up to 10… and so also keeps two: 0.96 → 1.0);
    the value is rounded to the same decimal place. The rounding and printing are done
    by the ``uncertainties`` package (``format(ufloat(v, s), ".{n}uf")``); only the
    choice of ``n`` is made here. Fixed-point notation is used, so an uncertainty
    above 10 keeps its units digit (``678 ± 162``, as in the paper's Table 1).

    References
    ----------
    R. L. Workman et al. (Particle Data Group), "Review of Particle Physics",
    Prog. Theor. Exp. Phys. 2022, 083C01, Introduction §5.3 (rounding). The full
    PDG rule keeps two digits for leading digits 100–354; this project follows the
    simpler form above, which is also the paper's (``1.2±0.3``).

    Examples
    --------
    >>> format_value_stderr(1.234e6, 0.456e6, exponent=6)
    '1.2 ± 0.5'
    >>> format_value_stderr(1.234, 0.0123)
    '1.234 ± 0.012'
    >>> format_value_stderr(4.5, 0.96)
    '4.5 ± 1.0'
    >>> format_value_stderr(1.925, 0.0)
    '1.925'
    """
    value = float(value)
    stderr = float(stderr)
    if not math.isfinite(value):
        return ""
    scale = 10.0 ** int(exponent)
    v = value / scale
    if not (math.isfinite(stderr) and stderr > 0.0):
        return f"{v:.4g}"
    s = stderr / scale
    exponent10 = math.floor(math.log10(s))
    leading = s / 10.0**exponent10
    if leading >= 9.5:  # rounds up to a leading 1: show it with two digits (0.96 → 1.0)
        s, digits = 10.0 ** (exponent10 + 1), 2
    else:
        digits = 2 if leading < 2.0 else 1
    return format(ufloat(v, s), f".{digits}uf").replace("+/-", " ± ")


def _pair(entry: Any) -> tuple[float, float]:
    """A ``[value, std]`` or plain number of sample_info as floats (nan when absent)."""
    if entry is None:
        return math.nan, math.nan
    if isinstance(entry, (int, float)):
        return float(entry), 0.0
    if isinstance(entry, Sequence) and not isinstance(entry, str) and len(entry) == 2:
        value, std = entry
        return (
            math.nan if value is None else float(value),
            math.nan if std is None else float(std),
        )
    raise InputError(
        f"sample_info entry {entry!r} is not a [value, std] pair or a number; "
        "give it as [value, std] (or null when unknown)"
    )


def _raw_cell(results: Results, sample: str, column: Column, uncertainty: str = "stderr") -> tuple[float, float, str]:
    quantities = results.samples.get(sample, {})
    info = results.sample_info.get(sample, {})
    if column.source in ("quantity", "either") and column.key in quantities:
        est = quantities[column.key]
        spread = getattr(est, "spread", None) if uncertainty == "spread" else None
        return float(est.value), float(est.stderr if spread is None else spread), est.method
    if column.source in ("info", "either"):
        try:
            value, std = _pair(info.get(column.key))
        except InputError as exc:
            raise InputError(f"sample {sample!r}, {column.key}: {exc}") from None
        return value, std, "manifest" if math.isfinite(value) else ""
    return math.nan, math.nan, ""


def _sample_ids(results: Results) -> list[str]:
    ids = list(results.sample_info)
    ids += [s for s in results.samples if s not in results.sample_info]
    return ids


_UNCERTAINTY_LABELS = {"stderr": "± = standard error", "spread": "± = ensemble spread where known"}


def _build(results: Results, title: str, columns: tuple[Column, ...], uncertainty: str = "stderr") -> Table:
    if uncertainty not in _UNCERTAINTY_LABELS:
        raise ValueError(f"uncertainty must be one of {sorted(_UNCERTAINTY_LABELS)}; got {uncertainty!r}")
    samples = _sample_ids(results)
    raw = {s: {c.key: _raw_cell(results, s, c, uncertainty) for c in columns} for s in samples}
    title = f"{title} ({_UNCERTAINTY_LABELS[uncertainty]})" if uncertainty != "stderr" else title
    exponents = {
        c.key: (
            scale_exponent([raw[s][c.key][0] for s in samples], default=c.default_exponent)
            if c.scaled
            else 0
        )
        for c in columns
    }
    rows = []
    for s in samples:
        cells = {}
        for c in columns:
            value, stderr, method = raw[s][c.key]
            if not math.isfinite(value):
                cells[c.key] = Cell()
                continue
            text = format_value_stderr(value, stderr, exponent=exponents[c.key])
            cells[c.key] = Cell(value=value, stderr=stderr, text=text, method=method)
        rows.append((s, cells))
    return Table(title=title, columns=columns, exponents=exponents, rows=tuple(rows))


def table1(results: Results, *, uncertainty: str = "stderr") -> Table:
    """Table 1: sizing, PL peak, extinction, cross sections and PL order, one row per sample.

    ``uncertainty="spread"`` shows the ensemble spread (``Estimate.spread``, the paper's
    ±) where a quantity has one, the standard error elsewhere; the title says which.

    Examples
    --------
    >>> from multiphoton.results import Estimate, Results
    >>> r = Results(samples={"QS-4.5": {"sigma2_GM": Estimate(value=1.7e6, stderr=0.5e6,
    ...     method="tpef-relative", unit="GM")}})
    >>> t = table1(r)
    >>> t.header(t.columns[5]), t.rows[0][1]["sigma2_GM"].text
    ('σ₂ (×10⁶ GM)', '1.7 ± 0.5')
    """
    return _build(results, "Table 1. Sizing, extinction and cross sections", TABLE1_COLUMNS, uncertainty)


def table2(results: Results) -> Table:
    """Table 2: multiexciton lifetimes, gain, lasing and stability, one row per sample."""
    return _build(results, "Table 2. Optical gain and lasing", TABLE2_COLUMNS)


def _csv_number(x: float) -> str:
    return repr(float(x)) if math.isfinite(x) else ""


def write_table_csv(table: Table, path: str | Path) -> Path:
    """Write ``table`` as CSV (UTF-8) for machines.

    Columns: ``sample``, then for each quantity the formatted text (header with scale
    and unit, e.g. ``σ₂ (×10⁶ GM)``), the raw value (``sigma2_GM``, unscaled, in the
    unit its name says) and its stderr (``sigma2_GM_stderr``). Absent quantities are
    empty cells.

    Returns
    -------
    Path
        ``path``.
    """
    path = Path(path)
    header = ["sample"]
    for c in table.columns:
        header += [table.header(c), c.key, f"{c.key}_stderr"]
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        for sample, cells in table.rows:
            row = [sample]
            for c in table.columns:
                cell = cells[c.key]
                row += [cell.text, _csv_number(cell.value), _csv_number(cell.stderr)]
            writer.writerow(row)
    return path


def render_terminal(results: Results, console) -> None:
    """Print both tables to a ``rich.console.Console`` (absent cells as "—").

    A table too wide for the console is printed transposed (one row per quantity, one
    column per sample), so that Table 2 stays readable in an 80-column terminal.
    """
    from rich.table import Table as RichTable

    for table in (table1(results), table2(results)):
        texts = table.texts()
        rich_table = RichTable(title=table.title, title_justify="left")
        rich_table.add_column("Sample", style="bold")
        for c in table.columns:
            rich_table.add_column(table.header(c), justify="right")
        for row in texts:
            rich_table.add_row(*row)
        natural = console.measure(rich_table, options=console.options.update_width(10_000)).maximum
        if natural > console.width and texts:
            rich_table = RichTable(title=table.title, title_justify="left")
            rich_table.add_column("Quantity", style="bold")
            for row in texts:
                rich_table.add_column(row[0], justify="right")
            for j, c in enumerate(table.columns, start=1):
                rich_table.add_row(table.header(c), *[row[j] for row in texts])
        console.print(rich_table)
