"""Run parameters are validated before anything runs, with messages that name the key."""

from __future__ import annotations

import subprocess
import sys

import pytest

from analysis.config import ParameterError, RunParams, describe_parameters, load_params, parse_overrides


def test_defaults_equal_main_yaml(root):
    assert load_params(root / "params" / "main.yaml") == RunParams()


@pytest.mark.parametrize("scenario", ["main", "conservative", "queue_only", "pretrend_violation", "english"])
def test_scenarios_are_valid(root, scenario):
    load_params(root / "params" / f"{scenario}.yaml")


@pytest.mark.parametrize(
    "override, expected",
    [
        ({"anticipaton": 1}, ["unknown parameter 'anticipaton'", "did you mean 'anticipation'"]),
        ({"est_method": "ols"}, ["'est_method'", "'dr', 'ipw', 'reg'"]),
        ({"anticipation": 99}, ["'anticipation'", "<= 6"]),
        ({"anticipation": "1"}, ["'anticipation'", "valid integer"]),
        ({"outcomes": ["ikm", "happiness"]}, ["'outcomes'", "'wait_minutes'"]),
        ({"outcomes": []}, ["'outcomes'"]),
        ({"start_month": "2024-13"}, ["'start_month'", "YYYY-MM"]),
        ({"alp": 0.5}, ["'alp'", "<= 0.2"]),
        ({"start_month": "2025-01", "end_month": "2024-01"}, ["after end_month"]),
        ({"outcomes": ["ikm", "ikm"]}, ["must not repeat"]),
    ],
)
def test_bad_parameters_are_named(override, expected):
    with pytest.raises(ParameterError) as err:
        load_params(overrides=override)
    for text in expected:
        assert text in str(err.value)


def test_overrides_are_typed_like_yaml():
    assert parse_overrides(["anticipation=1", "outcomes=[ikm, wait_minutes]", "alp=0.1", "units="]) == {
        "anticipation": 1, "outcomes": ["ikm", "wait_minutes"], "alp": 0.1, "units": "",
    }
    with pytest.raises(ParameterError, match="key=value"):
        parse_overrides(["anticipation"])


def test_missing_parameters_file():
    with pytest.raises(ParameterError, match="not found"):
        load_params("no/such/file.yaml")


def test_differences_list_only_changed_keys():
    params = load_params(overrides={"anticipation": 2, "language": "en"})
    assert params.differences() == {"anticipation": 2, "language": "en"}


def test_every_parameter_has_help_and_allowed_values():
    rows = describe_parameters()
    assert {r["name"] for r in rows} == set(RunParams.model_fields)
    assert all(r["help"] and r["allowed"] and r["type"] for r in rows)


def test_cli_refuses_bad_parameters_before_running(root, tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "analysis.cli", "run", "--set", "est_method=ols", "--set", "bogus=1"],
        cwd=root, capture_output=True, text=True,
    )
    assert done.returncode == 2
    assert "est_method" in done.stderr and "'dr', 'ipw', 'reg'" in done.stderr
    assert "unknown parameter 'bogus'" in done.stderr


def test_help_texts_survive_papermill():
    """papermill's parameter parser fails on a help comment that contains '='."""
    assert all("=" not in row["help"] for row in describe_parameters())


@pytest.mark.parametrize("raw", ["ikm,wait_minutes", "ikm, wait_minutes", "[ikm, wait_minutes]", "[ikm,wait_minutes]"])
def test_list_parameters_accept_both_forms(raw):
    assert load_params(overrides=parse_overrides([f"outcomes={raw}"])).outcomes == ["ikm", "wait_minutes"]


def test_empty_list_and_single_item():
    params = load_params(overrides=parse_overrides(["units=", "unit_types=school"]))
    assert params.units == [] and params.unit_types == ["school"]


def test_list_error_shows_the_accepted_forms():
    with pytest.raises(ParameterError) as err:
        load_params(overrides=parse_overrides(["outcomes=ikm,bogus"]))
    message = str(err.value)
    assert "'bogus'" in message and "'wait_minutes'" in message and "a,b or [a, b]" in message
    with pytest.raises(ParameterError, match=r"a,b or \[a, b\]"):
        load_params(overrides={"units": 5})


def test_cli_shows_list_forms_unmangled(root):
    done = subprocess.run([sys.executable, "-m", "analysis.cli", "validate", "--set", "covariates=height"],
                          cwd=root, capture_output=True, text=True)
    assert done.returncode == 2 and "write a list as a,b or [a, b]" in " ".join(done.stderr.split())
