"""The standards library: every value against its cited source, lookups, lab files."""
from __future__ import annotations

import numpy as np
import pytest

from multiphoton import standards
from multiphoton.cli import main
from multiphoton.errors import InputError

# (dye, quantity, energy_eV or solvent, value, unit, source, where in the source).
# Transcribed by hand from the cited publications; the test reads the library table and
# asserts that each of its numbers is one of these (and that each of these is in it).
CITED = [
    ("rhodamine-6g", "sigma2", 1.538, 16.2, "GM", "Sengupta et al., J. Chem. Phys. 112, 9201 (2000)", "806 nm, methanol"),
    ("rhodamine-6g", "epsilon", 2.339, 116000.0, "M^-1 cm^-1", "Kubin & Fletcher, J. Lumin. 27, 455 (1982)", "530 nm"),
    ("rhodamine-6g", "epsilon", 3.100, 1682.0, "M^-1 cm^-1", "Du et al., Photochem. Photobiol. 68, 141 (1998)",
     "PhotochemCAD spectrum N13, ethanol, fit at 399.95 nm (PHOTOCHEMCAD_N13 below)"),
    ("rhodamine-6g", "quantum_yield", "ethanol", 0.95, "", "Magde, Wong & Seybold, Photochem. Photobiol. 75, 327 (2002)", "ethanol"),
    ("fluorescein", "epsilon", 2.530, 76900.0, "M^-1 cm^-1", "Sjöback, Nygren & Kubista, Spectrochim. Acta A 51, L7 (1995)", "490 nm"),
    ("fluorescein", "quantum_yield", "naoh-0_1m", 0.925, "", "Magde, Wong & Seybold, Photochem. Photobiol. 75, 327 (2002)", "0.1 M NaOH"),
    ("rhodamine-b", "sigma2", 1.554, 12.0, "GM", "Kauert et al., Opt. Express 14, 8434 (2006)", "798 nm, methanol"),
    ("rhodamine-b", "epsilon", 3.100, 3408.0, "M^-1 cm^-1", "Du et al., Photochem. Photobiol. 68, 141 (1998)",
     "PhotochemCAD spectrum N11, ethanol, fit at 399.95 nm (PHOTOCHEMCAD_N11 below)"),
]
N_D = {"water": 1.3330, "naoh-0_1m": 1.3330, "methanol": 1.3288, "ethanol": 1.3611, "toluene": 1.4961,
       "hexane": 1.3749, "cyclohexane": 1.4262, "chloroform": 1.4459}  # CRC Handbook, n_D at 20 °C


def _library_rows():
    lib = standards.load_library()
    for key, d in lib.dyes.items():
        for spec in d["sigma2"]:
            for e, v in zip(spec["energy_eV"], spec["value_GM"]):
                yield key, "sigma2", e, v, spec["source"]
        for r in d["epsilon"]:
            yield key, "epsilon", r["energy_eV"], r["value_per_M_cm"], r["source"]
        for r in d["quantum_yield"]:
            yield key, "quantum_yield", r["solvent"], r["value"], r["source"]


def test_every_library_value_is_a_cited_one():
    cited = {(d, q, a): (v, src) for d, q, a, v, _, src, _ in CITED}
    rows = list(_library_rows())
    assert len(rows) == len(CITED)
    for dye, q, at, value, source in rows:
        assert (dye, q, at) in cited, f"{dye} {q} at {at} has no cited transcription in this test"
        v, src = cited[(dye, q, at)]
        assert value == pytest.approx(v, rel=1e-12)
        first_author = src.split(",")[0].split()[0].rstrip(",")
        assert first_author.lower() in source.lower(), (dye, q, source)


def test_units_and_energies_as_cited():
    for dye, q, at, value, unit, _, _ in CITED:
        if q == "sigma2":
            r = standards.sigma2_GM(dye, at)
            assert (r.unit, r.value, r.energy_eV) == (unit, value, at)
        elif q == "epsilon":
            r = standards.sigma1_cm2(dye, at)
            # σ₁ = 1000 ln10 ε / N_A (cm²)
            assert r.value == pytest.approx(value * 1000 * 2.302585092994046 / 6.02214076e23, rel=1e-9)
            assert r.unit == "cm2" and r.energy_eV == at
        else:
            assert standards.quantum_yield(dye, at).value == value


def test_refractive_indices_as_cited():
    lib = standards.load_library()
    assert set(lib.solvents) == set(N_D)
    for name, n in N_D.items():
        assert standards.refractive_index(name).value == n


def test_single_point_tolerance_and_refusal_naming_the_range():
    r = standards.sigma2_GM("r6g", 1.55)
    assert r.details["tabulated_points"] == [{"energy_eV": 1.538, "value_GM": 16.2, "std_GM": 2.4}]
    assert "tolerance" in r.details["interpolation"]
    with pytest.raises(InputError, match=r"at 1\.600 eV \(tabulated ranges: 1\.523–1\.553 eV"):
        standards.sigma2_GM("rhodamine-6g", 1.60)
    with pytest.raises(InputError, match=r"no molar extinction of rhodamine-6g at 2\.800 eV \(tabulated: "
                                         r"2\.339 ± 0\.01 eV, 3\.100 ± 0\.01 eV\)"):
        standards.sigma1_cm2("rhodamine-6g", 2.8)


# PhotochemCAD absorption spectra (ε in M⁻¹cm⁻¹; Du et al., Photochem. Photobiol. 68, 141
# (1998); Taniguchi & Lindsey, Photochem. Photobiol. 94, 290 (2018)), the 41 points
# 395.00–405.00 nm in 0.25 nm steps, transcribed by hand from
# public/database/common-compounds/<id>/<id>.absorption.txt of
# github.com/adityapai18/view.photochemcad.com (commit 03b5e88). N13: Rhodamine 6G in
# ethanol, scaled to 116,000 at 529.75 nm; N11: rhodamine B in ethanol, 106,000 at 542.75 nm.
PHOTOCHEMCAD_N13 = [
    1791.9, 1788.7, 1860.3, 2089.3, 1937.5, 1869.8, 1787.9, 1824.1, 1785.6, 1947.7,
    1670.7, 1684.1, 1709.2, 1699.8, 1647.1, 1706.1, 1913.1, 1541.6, 1736.0, 1821.0,
    1810.8, 1551.9, 1642.4, 1861.9, 1534.5, 1666.7, 1433.0, 1508.6, 1577.0, 1581.8,
    1572.3, 1636.8, 1717.9, 1638.4, 1627.4, 1359.1, 1492.0, 1525.1, 1434.6, 1535.3,
    1398.4]
PHOTOCHEMCAD_N11 = [
    3265.8, 3550.0, 3518.7, 3549.1, 3659.9, 3357.0, 3712.7, 3365.0, 3627.8, 3514.3,
    3457.1, 3537.5, 3495.5, 3388.2, 3474.0, 3518.7, 3658.2, 3249.7, 3331.9, 3646.5,
    3534.8, 3647.4, 3160.3, 3572.4, 3210.4, 3503.5, 3218.4, 3202.3, 3298.0, 3368.6,
    3258.7, 3294.4, 3477.6, 3462.4, 3214.9, 3010.2, 3216.6, 3403.4, 3295.3, 3176.4,
    3286.4]


@pytest.mark.parametrize("dye, eps, scale", [("rhodamine-6g", PHOTOCHEMCAD_N13, 0.026),
                                              ("rhodamine-b", PHOTOCHEMCAD_N11, 0.04)])
def test_epsilon_at_3_1_eV_is_the_photochemcad_spectrum_fitted_there(dye, eps, scale):
    wl = 395.0 + 0.25 * np.arange(len(eps))
    e = 1239.841984 / wl                      # photon energy, eV (hc = 1239.841984 eV nm)
    inside = np.abs(e - 3.1) <= 0.04          # the library's fit window: 394.85–405.18 nm
    assert inside.sum() == len(eps) == 41
    slope, at = np.polyfit(e - 3.1, np.asarray(eps), 1)
    r = standards.sigma1_cm2(dye, 3.1)
    row = r.details["tabulated_points"][0]
    assert row["energy_eV"] == 3.1 and row["epsilon_per_M_cm"] == pytest.approx(at, abs=0.5)  # rounded to 1
    assert 2000 < slope < 8000                # ε rises toward the S0→S2 band
    # the std holds the fit noise, the zero line, the scale of ε_max and the window choice
    resid = np.asarray(eps) - (at + slope * (e - 3.1))
    noise = resid.std(ddof=2) / np.sqrt(len(eps))
    assert noise < row["std_per_M_cm"] / 4 and row["std_per_M_cm"] > scale * at
    assert r.details["solvent"] == "ethanol" and "PhotochemCAD" in r.details["where"]


LAB = """
[dyes.rhodamine-6g]
[[dyes.rhodamine-6g.sigma2]]
energy_eV = [1.45, 1.55, 1.65]
value_GM = [10.0, 20.0, 40.0]
std_GM = [1.0, 2.0, 4.0]
source = "lab calibration 2026"
where = "notebook 3, p. 12"
[[dyes.rhodamine-6g.epsilon]]
energy_eV = 3.1
value_per_M_cm = 8000.0
std_per_M_cm = 400.0
tolerance_eV = 0.01
solvent = "methanol"
source = "lab absorbance"
where = "file abs_r6g.csv"
[dyes.coumarin-x]
name = "Coumarin X"
solvent = "ethanol"
[[dyes.coumarin-x.quantum_yield]]
value = 0.5
std = 0.02
solvent = "ethanol"
source = "lab"
where = "integrating sphere"
"""


def test_lab_file_extends_and_interpolates(tmp_path):
    p = tmp_path / "lab.toml"
    p.write_text(LAB, encoding="utf-8")
    r = standards.sigma2_GM("rhodamine-6g", 1.60, p)
    assert (r.value, r.std) == pytest.approx((30.0, 3.0))  # halfway between 20 and 40 GM
    assert [t["energy_eV"] for t in r.details["tabulated_points"]] == [1.55, 1.65]
    assert r.details["interpolation"].startswith("linear interpolation")
    assert r.details["library"] == str(p)
    assert standards.sigma1_cm2("r6g", 3.1, p).details["library"] == str(p)
    assert standards.quantum_yield("coumarin-x", path=p).value == 0.5
    assert standards.quantum_yield("r6g", "ethanol", p).value == 0.95  # the bundled one stays
    with pytest.raises(InputError, match=r"tabulated ranges: 1\.523–1\.553 eV .*; 1\.450–1\.650 eV"):
        standards.sigma2_GM("r6g", 1.70, p)


@pytest.mark.parametrize("bad, match", [
    ("value_gm = [1.0]", "unknown key 'value_gm'; did you mean 'value_GM'"),
    ('source = ""', "the key 'source' \\(text\\) is required"),
    ("energy_eV = [1.6, 1.5]\nvalue_GM = [1.0, 2.0]\nstd_GM = [0.1, 0.1]", "strictly ascending"),
])
def test_lab_file_is_checked_strictly(tmp_path, bad, match):
    base = {"energy_eV": "energy_eV = [1.5]", "value_GM": "value_GM = [1.0]", "std_GM": "std_GM = [0.1]",
            "source": 'source = "s"', "where": 'where = "w"'}
    key = bad.split("=")[0].strip()
    if key in base:
        base.pop(key)
    if key == "energy_eV":
        base = {"source": base["source"], "where": base["where"]}
    body = "\n".join([*base.values(), bad])
    p = tmp_path / "bad.toml"
    p.write_text(f"[dyes.x]\n[[dyes.x.sigma2]]\n{body}\n", encoding="utf-8")
    with pytest.raises(InputError, match=match):
        standards.load_library(p)


def test_cli_lists_the_library(capsys, tmp_path):
    assert main(["standards"]) == 0
    out = capsys.readouterr().out
    assert "rhodamine-6g" in out and "1.523–1.553" in out and "Sengupta et al., J. Chem. Phys. 112 (2000)" in out
    assert "3.090–3.110" in out and "Du et al., Photochem. Photobiol. 68 (1998)" in out
    lines = out.splitlines()
    assert len(lines) == 1 + len(standards.describe()) and max(map(len, lines)) <= 100
    p = tmp_path / "lab.toml"
    p.write_text(LAB, encoding="utf-8")
    assert main(["standards", "--file", str(p)]) == 0
    out = capsys.readouterr().out
    assert "coumarin-x" in out and "lab calibration 2026" in out and max(map(len, out.splitlines())) <= 100


def test_short_citation():
    cite = standards.short_citation
    assert cite("R. F. Kubin, A. N. Fletcher, J. Luminescence 27, 455 (1982), doi:x") == \
        "Kubin & Fletcher, J. Luminescence 27 (1982)"
    assert cite("lab calibration 2026, notebook 3") == "lab calibration 2026"  # not an author list: as written
    assert cite("M. Kauert, P. C. Stoller, M. Frenz, J. Ricka, Opt. Express 14, 8434 (2006)") == \
        "Kauert et al., Opt. Express 14 (2006)"


def test_paper_workflow_from_the_library_alone():
    """R6G reference, 1.55 eV two-photon, 3.1 eV one-photon: no lab file, no manifest value."""
    from multiphoton.data import Spectrum, SpectrumSeries
    from multiphoton.pipeline.steps.tpef import TPEF
    from steps_support import run

    e = np.linspace(1.7, 2.4, 141)
    line = np.exp(-0.5 * ((e - 2.2) / 0.08) ** 2)
    f = np.geomspace(0.3, 3.0, 6)
    series = SpectrumSeries(f, e, 100 * f[:, None] ** 2 * line[None, :])
    data = {"sample_2p": series, "reference_2p": series, "sample_1p": Spectrum(e, 50 * line),
            "reference_1p": Spectrum(e, 50 * line)}
    res = run(TPEF, data, excitation_eV=1.55, excitation_1p_eV=3.1, reference="rhodamine-6g",
              sample_sigma1_cm2=[1e-14, 0])
    est = res.samples["QS"]["sigma2_GM"]
    d = est.details
    assert d["reference_sigma2_source"].startswith("P. Sengupta") and d["reference_sigma1_source"].startswith("H. Du")
    s2, s1 = d["library_lookups"]["reference_sigma2"], d["library_lookups"]["reference_sigma1"]
    assert s2["tabulated_points"] == [{"energy_eV": 1.538, "value_GM": 16.2, "std_GM": 2.4}]
    assert s1["tabulated_points"] == [{"energy_eV": 3.1, "epsilon_per_M_cm": 1682.0, "std_per_M_cm": 82.0}]
    assert s2["library"] == s1["library"] == "bundled"
    # identical sample and reference signals: σ₂ = σ₂,ref σ₁,sample / σ₁,ref
    sigma1_ref = 1682.0 * 1000 * np.log(10) / 6.02214076e23
    assert est.value == pytest.approx(16.2 * 1e-14 / sigma1_ref, rel=1e-6)


def test_simulator_reference_is_the_library():
    """The paper-2023 campaign's R6G truth is the library's value (no lab file in the demo)."""
    from multiphoton.simulate.presets import PRESETS

    r = PRESETS["paper-2023"]["reference"]
    s2 = standards.sigma2_GM(r["name"], PRESETS["paper-2023"]["pump_2p_eV"])
    row = standards.sigma1_cm2(r["name"], PRESETS["paper-2023"]["pump_1p_eV"]).details["tabulated_points"][0]
    assert r["sigma2_GM"] == s2.value
    assert (r["epsilon_1p_per_M_cm"], r["epsilon_1p_std_per_M_cm"]) == (row["epsilon_per_M_cm"], row["std_per_M_cm"])
