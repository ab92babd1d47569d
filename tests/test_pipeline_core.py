"""The core: steps ordered by what they declare, two producers refused, options recorded."""
import graphlib
import json

import pytest

from multiphoton.cli import main
from multiphoton.errors import InputError, UsageError
from multiphoton.io.manifest import read_manifest
from multiphoton.pipeline import analyze, plan
from multiphoton.pipeline.steps import SAMPLE, STEPS, all_quantities
from multiphoton.simulate.campaign import write_campaign


@pytest.fixture(scope="module")
def campaign(tmp_path_factory):
    return write_campaign("paper-2023", tmp_path_factory.mktemp("camp") / "c", seed=3)


def _variant(campaign, tmp_path, edit):
    """A copy of the campaign's manifest, edited, beside the campaign's data."""
    text = edit(campaign.read_text())
    p = campaign.parent / f"variant-{tmp_path.name}.toml"
    p.write_text(text)
    return p


def test_steps_declare_a_dag_and_every_needed_quantity_has_a_producer():
    produced = set(SAMPLE.gives) | {q for s in STEPS.values() for q in s.gives + s.shares}
    for step in STEPS.values():
        assert set(step.needs) <= produced, step.kind
    ts = graphlib.TopologicalSorter()
    for step in STEPS.values():
        # a kind may need what another measurement of the same kind gives (a saturation
        # trpl_series uses the τ_XX of the sample's ordinary one); the core orders measurements,
        # never a measurement after itself
        producers = [s.kind for s in STEPS.values()
                     if s is not step and set(s.gives + s.shares) & set(step.needs)]
        ts.add(step.kind, *producers)
    tuple(ts.static_order())  # raises CycleError if the declarations had a cycle


def test_plan_puts_producers_before_users(campaign):
    manifest = read_manifest(campaign)
    for sid, nodes in plan(manifest).items():
        kinds = [n.step.kind for n in nodes]
        assert kinds[0] == "sample"
        if "ase_series" in kinds:
            for before in ("tpef", "pl_fluence_series"):
                if before in kinds:
                    assert kinds.index(before) < kinds.index("ase_series"), (sid, kinds)
        if "tpef" in kinds and "pl_fluence_series" in kinds:  # tpef's pl_order is a fallback
            assert kinds.index("pl_fluence_series") < kinds.index("tpef")


def test_manifest_order_does_not_change_results(campaign, tmp_path):
    def reverse(text):
        head, *blocks = text.split("[[measurement]]")
        return head + "".join("[[measurement]]" + b.rstrip() + "\n\n" for b in reversed(blocks))

    a = analyze(campaign).to_json()["samples"]
    b = analyze(_variant(campaign, tmp_path, reverse)).to_json()["samples"]
    assert set(a) == set(b)
    for sid in a:
        assert set(a[sid]) == set(b[sid])
        for q in a[sid]:
            assert a[sid][q]["value"] == b[sid][q]["value"], (sid, q)


def test_two_producers_of_one_quantity_are_refused_or_chosen(campaign, tmp_path):
    text = campaign.read_text()
    block = "[[measurement]]" + text.split("[[measurement]]")[5]  # an ase_series of QS-4.5
    assert 'kind = "ase_series"' in block
    doubled = _variant(campaign, tmp_path, lambda t: t + "\n" + block)
    with pytest.raises(InputError, match=r"measurement #5 \(ase_series, sample QS-4.5\) and measurement "
                                         r"#\d+ \(ase_series, sample QS-4.5\) both give ase_threshold_mJ_cm2.*provides"):
        analyze(doubled)
    chosen = _variant(campaign, tmp_path, lambda t: t + "\n" + block.rstrip() + '\nprovides = ["ase_peak_eV"]\n')
    with pytest.raises(InputError, match="both give ase_peak_eV"):
        analyze(chosen)
    only_line = _variant(campaign, tmp_path,
                         lambda t: t + "\n" + block.rstrip() + '\nprovides = ["ase_threshold_linewidth_mJ_cm2"]\n')
    with pytest.raises(InputError, match="both give ase_threshold_linewidth_mJ_cm2"):
        analyze(only_line)
    typo = _variant(campaign, tmp_path, lambda t: t + "\n" + block.rstrip() + '\nprovides = ["ase_treshold"]\n')
    with pytest.raises(InputError, match="does not give 'ase_treshold'; did you mean 'ase_threshold_mJ_cm2'"):
        analyze(typo)


def test_options_used_are_recorded_in_details(campaign):
    q = analyze(campaign, samples=["QS-4.5"]).samples["QS-4.5"]
    opts = q["excitons_at_threshold"].details["options"]
    assert opts["kind"] == "ase_series" and opts["pulse_fwhm_fs"] == 60.0 and opts["pulse_shape"] == "gaussian"
    assert opts["excitation_eV"] == 1.55 and opts["measurement"] >= 1
    assert q["gain_bandwidth_meV"].details["options"]["bandwidth_delay_ps"] == 10.0


def test_uncertain_pulse_width_is_propagated(campaign, tmp_path):
    exact = analyze(campaign, samples=["QS-4.5"]).samples["QS-4.5"]["excitons_at_threshold"]
    fuzzy_manifest = _variant(campaign, tmp_path, lambda t: t.replace(
        'kind = "ase_series"\nfile = "qs45/ase.csv"\nexcitation_eV = 1.55\npulse_fwhm_fs = 60.0',
        'kind = "ase_series"\nfile = "qs45/ase.csv"\nexcitation_eV = 1.55\npulse_fwhm_fs = [60.0, 6.0]'))
    fuzzy = analyze(fuzzy_manifest, samples=["QS-4.5"]).samples["QS-4.5"]["excitons_at_threshold"]
    assert fuzzy.value == pytest.approx(exact.value, rel=1e-12)
    # ⟨N⟩ ∝ 1/τ: a 10 % pulse-width error adds 10 % in quadrature
    expected = ((exact.stderr / exact.value) ** 2 + 0.1 ** 2) ** 0.5 * exact.value
    assert fuzzy.stderr == pytest.approx(expected, rel=1e-6)
    assert fuzzy.details["options"]["pulse_fwhm_fs"] == [60.0, 6.0]


def test_only_and_sample_are_validated(campaign, tmp_path, capsys):
    with pytest.raises(UsageError, match=r"unknown quantity 'tau_xx'; did you mean 'tau_xx_ns'\?.*valid names:"):
        analyze(campaign, only=["tau_xx"])
    assert main(["analyze", str(campaign), "--out", str(tmp_path / "o"), "--only", "tau_xx"]) == 2
    assert "did you mean 'tau_xx_ns'" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()
    assert main(["analyze", str(campaign), "--out", str(tmp_path / "o"), "--sample", "QS-45"]) == 2
    assert "did you mean 'QS-4.5'" in capsys.readouterr().err
    assert main(["analyze", str(campaign), "--out", str(tmp_path / "o"), "--sample", "QS-6.0",
                 "--only", "sigma2_GM,tau_xx_ns", "--no-report", "--quiet"]) == 0
    doc = json.loads((tmp_path / "o" / "results.json").read_text())
    assert list(doc["samples"]) == ["QS-6.0"] and set(doc["samples"]["QS-6.0"]) == {"sigma2_GM", "tau_xx_ns"}
    assert all(i["path"].startswith("qs60/") for i in doc["inputs"])


def test_valid_only_names_are_what_steps_declare():
    names = all_quantities()
    assert "sigma2_GM" in names and "excitons_at_threshold" in names and "total_volume_nm3" in names
    assert list(names) == sorted(set(names))


def test_simulate_help_lists_presets(capsys):
    with pytest.raises(SystemExit):
        main(["simulate", "--help"])
    assert "paper-2023" in capsys.readouterr().out


def test_a_typo_in_a_manifest_exits_1_and_writes_nothing(campaign, tmp_path, capsys):
    bad = _variant(campaign, tmp_path, lambda t: t.replace("pulse_fwhm_fs = 60.0", "pulse_fwhm_fx = 60.0", 1))
    out = tmp_path / "never"
    assert main(["analyze", str(bad), "--out", str(out)]) == 1
    err = capsys.readouterr().err
    assert "unknown key 'pulse_fwhm_fx'" in err and "did you mean 'pulse_fwhm_fs'?" in err
    assert not out.exists()

