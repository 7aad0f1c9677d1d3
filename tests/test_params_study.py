"""Parameters whose values are the study's data (unit types) are checked against the chosen study."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from analysis.config.params import ParameterError, describe_parameters, load_params, parse_overrides
from analysis.study import load

ROOT = Path(__file__).resolve().parents[1]


def test_a_unit_type_of_the_study_is_accepted_and_another_is_named():
    assert load_params(overrides=parse_overrides(["unit_types=school,puskesmas"])).unit_types == ["school", "puskesmas"]
    with pytest.raises(ParameterError) as e:
        load_params(overrides=parse_overrides(["unit_types=school,hospital"]))
    assert "'hospital' not a unit type of study 'plaju'" in str(e.value)
    assert ", ".join(load().unit_types) in str(e.value)


def test_unit_types_come_from_the_study_file_not_from_code(tmp_path):
    study = tmp_path / "withhospital"
    shutil.copytree(ROOT / "studies" / "plaju", study)
    text = (study / "study.yaml").read_text(encoding="utf-8")
    (study / "study.yaml").write_text(text.replace("unit_types: [", "unit_types: [rumah_sakit, "), encoding="utf-8")
    params = load_params(overrides={"study": str(study), "unit_types": ["rumah_sakit"]})
    assert params.unit_types == ["rumah_sakit"]
    with pytest.raises(ParameterError, match="'rumah_sakit' not a unit type of study 'plaju'"):
        load_params(overrides={"unit_types": ["rumah_sakit"]})


def test_the_parameter_list_says_where_unit_types_come_from():
    (row,) = describe_parameters(["unit_types"])
    assert row["type"] == "list[str]" and "study's unit_types" in row["allowed"] and "'school'" in row["allowed"]
