"""Manifest parsing and validation."""
import pytest

from multiphoton.errors import InputError
from multiphoton.io.manifest import read_manifest
from multiphoton.io.options import PLFluenceSeriesOptions

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
    assert s.icp.energy_eV == 3.1
    assert (s.icp.absorbance.nominal_value, s.icp.absorbance.std_dev) == (0.41, 0.005)
    assert s.icp.path_cm == 1.0 and isinstance(s.icp.path_cm, float)
    meas = m.measurements[0]
    assert isinstance(meas, PLFluenceSeriesOptions)
    assert meas.files["file"] == (tmp_path / "pl.csv").resolve()
    assert meas.pulse_fwhm_fs == 100.0 and meas.pulse_shape == "gaussian" and meas.excitation_eV == 1.55
    assert meas.record() == {"measurement": 1, "kind": "pl_fluence_series", "excitation_eV": 1.55,
                             "pulse_fwhm_fs": 100.0, "pulse_shape": "gaussian", "beam_profile": "gaussian",
                             "baseline": "wings",
                             "saturation": False, "fluence_rel_uncertainty": 0.0}


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
    (lambda t: t.replace('kind = "pl_fluence_series"', 'kind = "tpef"'), "unknown key 'file' in .*tpef"),
    (lambda t: t.replace('kind = "pl_fluence_series"', 'kind = "tpef"').replace('file = "pl.csv"', ''),
     "needs the files sample_2p"),
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


# ------------------------------------------------------------------ strict keys (issue 11)
REAL_LIKE = '''
name = "every kind"

[[sample]]
id = "QS-4.5"
layers = ["CdS", "CdSe", "CdS"]
core_diameter_nm = [4.5, 0.3]
shell_thickness_nm = [[2.1, 0.3], [1.1, 0.4]]
n_particles = 250

[sample.icp]
cd_mol_per_L = [1.2e-5, 0.05e-5]
absorbance = [0.41, 0.005]
energy_eV = 3.1
path_cm = 1.0

[[measurement]]
sample = "QS-4.5"
kind = "absorption"
file = "a.csv"
path_cm = 1.0

[[measurement]]
sample = "QS-4.5"
kind = "pl_spectrum"
file = "a.csv"
excitation_eV = 3.1

[[measurement]]
sample = "QS-4.5"
kind = "tpef"
sample_2p = "a.csv"
reference_2p = "a.csv"
sample_1p = "a.csv"
reference_1p = "a.csv"
reference = "rhodamine-6g"
reference_sigma1_cm2 = [3.0e-17, 3.0e-18]
reference_sigma2_GM = [16, 2]
excitation_eV = 1.55
excitation_1p_eV = 3.1

[[measurement]]
sample = "QS-4.5"
kind = "trpl_series"
file = "a.csv"
irf = "a.csv"
irf_format = "csv"
window_ns = [60, 150]
n_low = 2
high_index = 3
excitation_eV = 3.1

[[measurement]]
sample = "QS-4.5"
kind = "ase_series"
file = "a.csv"
excitation_eV = 1.55
pulse_fwhm_fs = [80, 5]
pulse_shape = "sech2"

[[measurement]]
sample = "QS-4.5"
kind = "ta_map"
file = "a.csv"
ground_state = "a.csv"
pump_eV = 1.55
fluence_mJ_cm2 = 1.5
bandwidth_delay_ps = 10
noise_margin_ps = 0.3
chirp_t0_coeffs_ps = [0.1, 0.2]
chirp_energy_ref_eV = 2.0
k_sigma = 5

[[measurement]]
sample = "QS-4.5"
kind = "laser_series"
file = "a.csv"
k_sigma = 6
max_width_ratio = 0.1
background_window_eV = 0.03
line_model = "voigt"

[[measurement]]
sample = "QS-4.5"
kind = "time_series"
files = [{ file = "a.csv", time_s = 0 }, { file = "a.csv", time_s = 60, frame = 0 }]
rep_rate_Hz = 1000
n_average = 3
mode_gate_meV = 3
'''


def test_every_kind_parses_typed(tmp_path):
    m = read_manifest(_manifest(tmp_path, REAL_LIKE, files=("a.csv",)))
    kinds = [x.kind for x in m.measurements]
    assert kinds == ["absorption", "pl_spectrum", "tpef", "trpl_series", "ase_series", "ta_map",
                     "laser_series", "time_series"]
    assert m.samples["QS-4.5"].n_particles == 250
    ase = m.measurements[4]
    # [value, std] is kept as an uncertain number, not silently truncated to the value
    assert (ase.pulse_fwhm_fs.nominal_value, ase.pulse_fwhm_fs.std_dev) == (80.0, 5.0)
    assert ase.record()["pulse_fwhm_fs"] == [80.0, 5.0]
    trpl = m.measurements[3]
    assert trpl.window_ns == (60.0, 150.0) and trpl.formats == {"irf": "csv"}
    ta = m.measurements[5]
    assert ta.chirp_t0_coeffs_ps == (0.1, 0.2) and ta.k_sigma == 5.0
    ts = m.measurements[7]
    assert [e.value for e in ts.series] == [0.0, 60.0] and ts.series[1].reader_options == {"frame": 0}


def _misspell(text: str, old: str, new: str, nth: int = 1) -> str:
    """Replace the nth occurrence of line-start key ``old =`` by ``new =``."""
    lines = text.split("\n")
    seen = 0
    for i, line in enumerate(lines):
        if line.startswith(f"{old} =") or line.startswith(f"{old}="):
            seen += 1
            if seen == nth:
                lines[i] = new + line[len(old):]
                return "\n".join(lines)
    raise AssertionError(f"{old} #{nth} not in the manifest")


MISSPELT = [  # (key, occurrence, misspelling, where the message says it is)
    ("layers", 1, "layer", "sample 'QS-4.5'"),
    ("n_particles", 1, "n_particle", "sample 'QS-4.5'"),
    ("cd_mol_per_L", 1, "cd_mol_per_l", r"\[sample.icp\]"),
    ("absorbance", 1, "absorbace", r"\[sample.icp\]"),
    ("energy_eV", 1, "energy_ev", r"\[sample.icp\]"),
    ("path_cm", 1, "path_mm", r"\[sample.icp\]"),
    ("path_cm", 2, "pathcm", r"measurement #1 \(absorption, sample QS-4.5\)"),
    ("excitation_eV", 1, "excitation_Ev", r"measurement #2 \(pl_spectrum"),
    ("reference", 1, "referense", r"measurement #3 \(tpef"),
    ("reference_sigma1_cm2", 1, "reference_sigma1_cm", r"measurement #3 \(tpef"),
    ("reference_sigma2_GM", 1, "reference_sigma2_gm", r"measurement #3 \(tpef"),
    ("excitation_1p_eV", 1, "excitation_1P_eV", r"measurement #3 \(tpef"),
    ("sample_2p", 1, "sample_2P", r"measurement #3 \(tpef"),
    ("window_ns", 1, "window_ms", r"measurement #4 \(trpl_series"),
    ("n_low", 1, "nlow", r"measurement #4 \(trpl_series"),
    ("high_index", 1, "high_idx", r"measurement #4 \(trpl_series"),
    ("irf_format", 1, "irf_fromat", r"measurement #4 \(trpl_series"),
    ("pulse_fwhm_fs", 1, "pulse_fwhm_fx", r"measurement #5 \(ase_series, sample QS-4.5\)"),
    ("pulse_shape", 1, "pulse_shap", r"measurement #5 \(ase_series"),
    ("pump_eV", 1, "pump_ev", r"measurement #6 \(ta_map"),
    ("fluence_mJ_cm2", 1, "fluence_mj_cm2", r"measurement #6 \(ta_map"),
    ("bandwidth_delay_ps", 1, "bandwith_delay_ps", r"measurement #6 \(ta_map"),
    ("noise_margin_ps", 1, "noise_margin", r"measurement #6 \(ta_map"),
    ("chirp_t0_coeffs_ps", 1, "chirp_t0_coefs_ps", r"measurement #6 \(ta_map"),
    ("chirp_energy_ref_eV", 1, "chirp_energy_ref", r"measurement #6 \(ta_map"),
    ("ground_state", 1, "groundstate", r"measurement #6 \(ta_map"),
    ("k_sigma", 1, "ksigma", r"measurement #6 \(ta_map"),
    ("max_width_ratio", 1, "max_width_ration", r"measurement #7 \(laser_series"),
    ("background_window_eV", 1, "background_window", r"measurement #7 \(laser_series"),
    ("line_model", 1, "linemodel", r"measurement #7 \(laser_series"),
    ("rep_rate_Hz", 1, "rep_rate_hz", r"measurement #8 \(time_series"),
    ("n_average", 1, "n_averages", r"measurement #8 \(time_series"),
    ("mode_gate_meV", 1, "mode_gate_mev", r"measurement #8 \(time_series"),
    ("name", 1, "nmae", r"top level"),
]


@pytest.mark.parametrize("key, nth, typo, where", MISSPELT, ids=[m[2] for m in MISSPELT])
def test_misspelt_key_is_refused_with_the_right_suggestion(tmp_path, key, nth, typo, where):
    text = _misspell(REAL_LIKE, key, typo, nth)
    with pytest.raises(InputError, match=rf"unknown key '{typo}' in .*{where}.*did you mean '{key}'\?"):
        read_manifest(_manifest(tmp_path, text, files=("a.csv",)))


@pytest.mark.parametrize("old, new, match", [
    ('file = "a.csv"\nirf =', 'files = [{ file = "a.csv", fluence_mJ_cm2 = 0.1, chanel = 0 }]\nirf =',
     r"unknown key 'chanel' in .*files\[0\]; did you mean 'channel'\?"),
    ('time_s = 60, frame = 0', 'time_s = 60, banana = 1', r"unknown key 'banana' in .*files\[1\]; known keys here: file, format, frame, notes, time_s"),
    ('irf_format = "csv"', 'irf_blok = 1', r"unknown key 'irf_blok'.*did you mean 'irf_block'\?"),
    ('irf_format = "csv"', 'irf_format = "sdtt"', r"irf_format.*unknown format 'sdtt'.*did you mean 'sdt'\?"),
    ('line_model = "voigt"', 'line_model = "voight"', r"line_model.*'voight' is not one of.*did you mean 'voigt'"),
    ('pulse_shape = "sech2"', 'pulse_shape = "gauss"', r"pulse_shape.*'gauss' is not one of"),
    ('kind = "ta_map"', 'kind = "ta-map"', r"unknown kind 'ta-map'; did you mean 'ta_map'\?"),
    ('n_low = 2', 'n_low = 2.5', r"n_low.*expected a whole number"),
    ('n_low = 2', 'n_low = 0', r"n_low.*must be ≥ 1"),
    ('window_ns = [60, 150]', 'window_ns = [150, 60]', r"window_ns.*low < high"),
    ('pulse_fwhm_fs = [80, 5]', 'pulse_fwhm_fs = [80, -5]', r"pulse_fwhm_fs.*std must be ≥ 0"),
    ('pulse_fwhm_fs = [80, 5]', 'pulse_fwhm_fs = [80, 5, 1]', r"pulse_fwhm_fs.*\[value, std\]"),
    ('pulse_fwhm_fs = [80, 5]', 'pulse_fwhm_fs = -80', r"pulse_fwhm_fs.*must be > 0 fs"),
    ('rep_rate_Hz = 1000', 'rep_rate_Hz = "1 kHz"', r"rep_rate_Hz.*expected a number"),
    ('max_width_ratio = 0.1', 'max_width_ratio = 3', r"max_width_ratio.*must be ≤ 1"),
    ('path_cm = 1.0\n\n[[measurement]]', 'path_cm = 0\n\n[[measurement]]', r"path_cm.*must be > 0"),
    ('n_particles = 250', 'n_particles = 250\ntotal_volume_nm3 = [-678, 162]', r"total_volume_nm3.*must be > 0"),
    ('reference_sigma1_cm2 = [3.0e-17, 3.0e-18]', 'reference_sigma1_cm2 = 0', r"reference_sigma1_cm2.*must be > 0"),
])
def test_bad_values_are_refused_by_name(tmp_path, old, new, match):
    assert old in REAL_LIKE
    with pytest.raises(InputError, match=match):
        read_manifest(_manifest(tmp_path, REAL_LIKE.replace(old, new, 1), files=("a.csv",)))


def test_photon_energies_get_a_unit_hint_and_accept_nm(tmp_path):
    text = REAL_LIKE.replace('reference = "rhodamine-6g"\n', 'reference = "rhodamine-6g"\n', 1)
    bad = text.replace("excitation_eV = 1.55\npulse_fwhm_fs", "excitation_eV = 800\npulse_fwhm_fs")
    with pytest.raises(InputError, match=r"excitation_eV' = 800: photon energies are in eV; 800 nm is 1\.55 eV, "
                                         r"or write excitation_nm = 800"):
        read_manifest(_manifest(tmp_path, bad, files=("a.csv",)))
    good = text.replace("excitation_eV = 1.55\npulse_fwhm_fs", "excitation_nm = 800\npulse_fwhm_fs")
    ase = read_manifest(_manifest(tmp_path, good, files=("a.csv",))).measurements[4]
    assert ase.excitation_eV == pytest.approx(1239.84198 / 800, rel=1e-8)
    both = good.replace("excitation_nm = 800", "excitation_nm = 800\nexcitation_eV = 1.55")
    with pytest.raises(InputError, match="give 'excitation_eV' or 'excitation_nm', not both"):
        read_manifest(_manifest(tmp_path, both, files=("a.csv",)))
    icp = REAL_LIKE.replace("energy_eV = 3.1\npath_cm", "energy_nm = 400\npath_cm")
    assert read_manifest(_manifest(tmp_path, icp, files=("a.csv",))).samples["QS-4.5"].icp.energy_eV == \
        pytest.approx(3.0996, rel=1e-4)


def test_non_utf8_manifest_is_a_clear_error(tmp_path):
    p = _manifest(tmp_path, GOOD)
    p.write_bytes(GOOD.replace("test campaign", "Ångström").encode("latin-1"))
    with pytest.raises(InputError, match="not UTF-8.*re-save it as UTF-8"):
        read_manifest(p)


def test_duplicate_measurement_names(tmp_path):
    text = REAL_LIKE.replace('kind = "absorption"', 'kind = "absorption"\nname = "x"').replace(
        'kind = "pl_spectrum"', 'kind = "pl_spectrum"\nname = "x"')
    with pytest.raises(InputError, match="share the name 'x'"):
        read_manifest(_manifest(tmp_path, text, files=("a.csv",)))
