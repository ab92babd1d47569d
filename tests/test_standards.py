"""The standards library: every value against its cited source, lookups, lab files."""
from __future__ import annotations

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
    ("rhodamine-6g", "quantum_yield", "ethanol", 0.95, "", "Magde, Wong & Seybold, Photochem. Photobiol. 75, 327 (2002)", "ethanol"),
    ("fluorescein", "epsilon", 2.530, 76900.0, "M^-1 cm^-1", "Sjöback, Nygren & Kubista, Spectrochim. Acta A 51, L7 (1995)", "490 nm"),
    ("fluorescein", "quantum_yield", "naoh-0_1m", 0.925, "", "Magde, Wong & Seybold, Photochem. Photobiol. 75, 327 (2002)", "0.1 M NaOH"),
    ("rhodamine-b", "sigma2", 1.554, 12.0, "GM", "Kauert et al., Opt. Express 14, 8434 (2006)", "798 nm, methanol"),
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
    with pytest.raises(InputError, match="no molar extinction of rhodamine-6g at 3.100 eV"):
        standards.sigma1_cm2("rhodamine-6g", 3.1)


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
    assert "rhodamine-6g" in out and "1.523–1.553 eV" in out and "Sengupta" in out
    p = tmp_path / "lab.toml"
    p.write_text(LAB, encoding="utf-8")
    assert main(["standards", "--file", str(p)]) == 0
    assert "coumarin-x" in capsys.readouterr().out
