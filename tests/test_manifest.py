"""Manifest parsing and validation."""
import pytest

from multiphoton.errors import InputError
from multiphoton.io.manifest import read_manifest

GOOD = '''
name = "test campaign"

[[sample]]
id = "QS-4.5"
layers = ["CdS", "CdSe", "CdS"]
core_diameter_nm = [4.5, 0.3]
shell_thickness_nm = [[2.1, 0.3], [1.1, 0.4]]

[sample.icp]
cd_mol_per_L = [1.2e-5, 0.05e-5]
absorbance = [0.41, 0.005]
energy_eV = 3.1
path_cm = 1.0

[[measurement]]
sample = "QS-4.5"
kind = "pl_fluence_series"
file = "pl.csv"
excitation_eV = 1.55
pulse_fwhm_fs = 100
pulse_shape = "gaussian"
'''


def _manifest(tmp_path, text, files=("pl.csv",)):
    for f in files:
        (tmp_path / f).write_text("fluence_mJ_cm2,energy_eV,counts\n1,2,3\n")
    p = tmp_path / "experiment.toml"
    p.write_text(text)
    return p


def test_good_manifest(tmp_path):
    m = read_manifest(_manifest(tmp_path, GOOD))
    assert m.name == "test campaign"
    s = m.samples["QS-4.5"]
    assert s.core_diameter_nm == (4.5, 0.3) and s.shell_thickness_nm == ((2.1, 0.3), (1.1, 0.4))
    assert s.icp["energy_eV"] == 3.1 and s.icp["absorbance"] == (0.41, 0.005)
    meas = m.measurements[0]
    assert meas.files["file"] == (tmp_path / "pl.csv").resolve()
    assert meas.float("pulse_fwhm_fs") == 100.0 and meas.str("pulse_shape") == "gaussian"
    assert meas.uncertain("excitation_eV") == (1.55, 0.0)
    with pytest.raises(InputError, match="the key 'reference' is required"):
        meas.str("reference")


@pytest.mark.parametrize("edit, match", [
    (lambda t: t.replace('name = "test campaign"', 'name = "unterminated'), "not valid TOML"),
    (lambda t: t.replace('sample = "QS-4.5"', 'sample = "QS-9"'), "sample 'QS-9' is not defined"),
    (lambda t: t.replace('kind = "pl_fluence_series"', 'kind = "pl_series"'), "unknown kind 'pl_series'"),
    (lambda t: t.replace('file = "pl.csv"', 'file = "missing.csv"'), "file 'missing.csv' not found"),
    (lambda t: t.replace('file = "pl.csv"', ''), "the key 'file' is required"),
    (lambda t: t.replace("core_diameter_nm = [4.5, 0.3]", 'core_diameter_nm = "big"'), "core_diameter_nm': expected a number"),
    (lambda t: t.replace("core_diameter_nm = [4.5, 0.3]", "core_diameter_nm = [4.5, -0.3]"), "std ≥ 0"),
    (lambda t: t.replace("shell_thickness_nm = [[2.1, 0.3], [1.1, 0.4]]", "shell_thickness_nm = [[2.1, 0.3]]"),
     "3 layers but 1 shell thicknesses"),
    (lambda t: t.replace("path_cm = 1.0", ""), r"\[sample.icp\]: the key 'path_cm' is required"),
    (lambda t: t.replace('kind = "pl_fluence_series"', 'kind = "tpef"'), "needs the files sample_2p"),
])
def test_bad_manifests(tmp_path, edit, match):
    with pytest.raises(InputError, match=match):
        read_manifest(_manifest(tmp_path, edit(GOOD)))


def test_duplicate_sample_and_no_sample(tmp_path):
    dup = GOOD.replace("[[measurement]]", '[[sample]]\nid = "QS-4.5"\n\n[[measurement]]')
    with pytest.raises(InputError, match="defined twice"):
        read_manifest(_manifest(tmp_path, dup))
    with pytest.raises(InputError, match="no \\[\\[sample\\]\\] defined"):
        read_manifest(_manifest(tmp_path, 'name = "x"\n'))
    with pytest.raises(InputError, match="manifest not found"):
        read_manifest(tmp_path / "none.toml")
