"""Tables 1 and 2: value ± stderr formatting, scales, absent cells, CSV, terminal, and
the results.json → load_results round trip."""
from __future__ import annotations

import csv
import json
import math
import sys
from pathlib import Path

import pytest
from rich.console import Console

sys.path.insert(0, str(Path(__file__).resolve().parent))
from report_fixtures import make_results  # noqa: E402

from multiphoton.errors import InputError  # noqa: E402
from multiphoton.report import load_results, render_terminal, table1, table2, write_table_csv  # noqa: E402
from multiphoton.report.tables import (  # noqa: E402
    ABSENT_TEXT, TABLE1_COLUMNS, TABLE2_COLUMNS, format_value_stderr, scale_exponent,
)
from multiphoton.results import Estimate, Results  # noqa: E402


@pytest.mark.parametrize(
    ("value", "stderr", "exponent", "expected"),
    [
        (1.234e6, 0.456e6, 6, "1.2 ± 0.5"),      # one digit: leading digit 4
        (1.234, 0.0123, 0, "1.234 ± 0.012"),      # two digits: leading digit 1
        (1.22, 0.34, 0, "1.2 ± 0.3"),             # the paper's σ₁ entry
        (0.4, 0.1, 0, "0.40 ± 0.10"),             # leading 1 keeps two digits
        (5.2, 0.96, 0, "5.2 ± 1.0"),              # 0.96 rounds up to 1.0: two digits
        (678.0, 162.0, 0, "678 ± 162"),           # fixed point keeps the units digit
        (-49.0, 5.0, 0, "-49 ± 5"),
        (1.925, 0.0, 0, "1.925"),                 # no uncertainty: value alone
        (1.925, math.nan, 0, "1.925"),
        (math.nan, 0.1, 0, ""),                   # absent
        (1.22e-13, 0.34e-13, -13, "1.2 ± 0.3"),
    ],
)
def test_format_value_stderr(value, stderr, exponent, expected):
    assert format_value_stderr(value, stderr, exponent=exponent) == expected


def test_scale_exponent_uses_largest_finite_value():
    assert scale_exponent([1.7e6, 0.4e6, 7.9e6]) == 6
    assert scale_exponent([-3.2e-26, 1e-27]) == -26
    assert scale_exponent([math.nan, 0.0], default=7) == 7


def test_sigma2_header_carries_the_scale():
    r = Results(samples={"A": {"sigma2_GM": Estimate(value=1.234e6, stderr=0.456e6, method="m")}})
    t = table1(r)
    col = next(c for c in t.columns if c.key == "sigma2_GM")
    assert t.header(col) == "σ₂ (×10⁶ GM)"
    assert t.rows[0][1]["sigma2_GM"].text == "1.2 ± 0.5"


def test_tables_have_every_contract_column_and_absent_cells_are_dashes():
    r = make_results(with_plots=False)
    t1, t2 = table1(r), table2(r)
    assert [c.key for c in t1.columns] == [c.key for c in TABLE1_COLUMNS]
    assert {c.key for c in t2.columns} >= {
        "tau_xx_ns", "tau_x_ns", "biexciton_binding_meV", "ase_threshold_mJ_cm2",
        "excitons_at_threshold", "gain_lifetime_ns", "gain_bandwidth_meV",
        "laser_threshold_mJ_cm2", "laser_linewidth_meV", "mode_drift_meV_per_min",
        "intensity_retention", "shots",
    }
    rows = dict(zip([s for s, _ in t1.rows], t1.texts()))
    assert rows["QS-6.0"][1] == ABSENT_TEXT          # core diameter null in sample_info
    assert rows["QS-6.0"][2] == "1630 ± 466"         # total volume from sample_info
    assert rows["QS-4.5"][1] == "4.5 ± 0.3"
    assert rows["QS-4.5"][6] == "1.2 ± 0.5"          # σ₂ at ×10⁶ (column max 1.234e6)
    assert rows["QS-6.0"][6] == "0.40 ± 0.10"
    t2_rows = dict(zip([s for s, _ in t2.rows], t2.texts()))
    assert t2_rows["QS-6.0"][1] == "4.0 ± 0.2"
    assert t2_rows["QS-6.0"][8] == ABSENT_TEXT       # laser threshold: a warning, absent


def test_total_volume_quantity_wins_over_manifest_entry():
    r = make_results(with_plots=False)
    r.samples["QS-6.0"]["total_volume_nm3"] = Estimate(value=1700.0, stderr=400.0, method="structure")
    cell = dict(table1(r).rows)["QS-6.0"]["total_volume_nm3"]
    assert (cell.value, cell.stderr, cell.text) == (1700.0, 400.0, "1700 ± 400")


def test_bad_sample_info_entry_raises():
    r = make_results(with_plots=False)
    r.sample_info["QS-4.5"]["core_diameter_nm"] = [1, 2, 3]
    with pytest.raises(InputError, match="core_diameter_nm.*\\[value, std\\]"):
        table1(r)


def test_csv_has_formatted_and_raw_columns(tmp_path):
    r = make_results(with_plots=False)
    path = write_table_csv(table1(r), tmp_path / "t1.csv")
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    by_sample = {row["sample"]: row for row in rows}
    a, b = by_sample["QS-4.5"], by_sample["QS-6.0"]
    assert a["σ₂ (×10⁶ GM)"] == "1.2 ± 0.5"
    assert float(a["sigma2_GM"]) == 1.234e6 and float(a["sigma2_GM_stderr"]) == 0.456e6
    assert float(a["sigma1_cm2"]) == 1.22e-13               # raw, unscaled
    # absent quantities are empty cells, not zeros or dashes
    assert b["pl_peak_eV"] == b["pl_peak_eV_stderr"] == b["E_PL (eV)"] == ""
    t2 = write_table_csv(table2(r), tmp_path / "t2.csv")
    with t2.open(encoding="utf-8", newline="") as fh:
        header = next(csv.reader(fh))
    for col in TABLE2_COLUMNS:
        assert col.key in header and f"{col.key}_stderr" in header


def test_render_terminal_prints_both_tables():
    console = Console(record=True, width=400, color_system=None)
    render_terminal(make_results(with_plots=False), console)
    out = console.export_text()
    assert "Table 1" in out and "Table 2" in out
    assert "1.2 ± 0.5" in out and "σ₂ (×10⁶ GM)" in out and ABSENT_TEXT in out
    assert "Quantity" not in out  # wide enough: one row per sample, as in the paper


def test_render_terminal_transposes_what_does_not_fit():
    console = Console(record=True, width=80, color_system=None)
    render_terminal(make_results(with_plots=False), console)
    out = console.export_text()
    assert "Quantity" in out  # one row per quantity
    assert "1.2 ± 0.5" in out  # values whole, not cut to "1.…"
    assert max(len(line) for line in out.splitlines()) <= 80


def _write_run(r: Results, folder: Path) -> Path:
    (folder / "results.json").write_text(json.dumps(r.to_json()), encoding="utf-8")
    (folder / "plot_data.json").write_text(json.dumps(r.plots_to_json()), encoding="utf-8")
    (folder / "manifest.toml").write_text(r.manifest_text, encoding="utf-8")
    return folder / "results.json"


def test_round_trip_through_results_json_gives_the_same_tables(tmp_path):
    r = make_results()
    back = load_results(_write_run(r, tmp_path))
    for make in (table1, table2):
        assert make(back).texts() == make(r).texts()
        write_table_csv(make(r), tmp_path / "a.csv")
        write_table_csv(make(back), tmp_path / "b.csv")
        assert (tmp_path / "a.csv").read_bytes() == (tmp_path / "b.csv").read_bytes()
    assert back.plots == r.plots
    assert back.manifest_text == r.manifest_text
    assert back.inputs == r.inputs and back.software == r.software


def test_load_results_without_siblings(tmp_path):
    r = make_results()
    (tmp_path / "results.json").write_text(json.dumps(r.to_json()), encoding="utf-8")
    back = load_results(tmp_path / "results.json")
    assert back.plots == [] and back.manifest_text == ""
    assert table1(back).texts() == table1(r).texts()


def test_load_results_bad_inputs(tmp_path):
    with pytest.raises(InputError, match="not found"):
        load_results(tmp_path / "missing.json")
    bad = tmp_path / "results.json"
    bad.write_text("{not json", encoding="utf-8")
    with pytest.raises(InputError, match="not valid JSON"):
        load_results(bad)
    bad.write_text(json.dumps({"schema": "other/2"}), encoding="utf-8")
    with pytest.raises(InputError, match="expected 'multiphoton.results/1'"):
        load_results(bad)
    bad.write_text(json.dumps(make_results().to_json()), encoding="utf-8")
    (tmp_path / "plot_data.json").write_text(json.dumps({"family": "trpl"}), encoding="utf-8")
    with pytest.raises(InputError, match="plot_data.json: expected a JSON list"):
        load_results(bad)
    entry = make_results().plots[0].to_json()
    for change, message in (({"family": "nope"}, "family 'nope' is unknown"),
                            ({"slop": 2.0}, "unknown key 'slop'; did you mean 'slope'"),
                            ({"integrated": [1.0]}, "'integrated' has 1 entries, expected 5")):
        (tmp_path / "plot_data.json").write_text(json.dumps([{**entry, **change}]), encoding="utf-8")
        with pytest.raises(InputError, match=f"plot_data.json, entry 0: .*{message}"):
            load_results(bad)
