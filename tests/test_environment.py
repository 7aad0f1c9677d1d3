"""The environments agree: pyproject.toml, environment.yml (conda) and requirements.lock."""

from __future__ import annotations

import re
import tomllib

import yaml

CONDA_ONLY = {"python", "pip", "quarto"}  # the interpreter, the installer, the Quarto CLI
CONDA_NAMES = {"python-duckdb": "duckdb"}  # conda-forge name -> PyPI name


def _name(requirement: str) -> str:
    return re.split(r"[<>=!~\[ ;]", requirement, maxsplit=1)[0].strip().lower().replace("_", "-")


def _pyproject(root):
    project = tomllib.loads((root / "pyproject.toml").read_text())["project"]
    names = {_name(r) for r in project["dependencies"]}
    for extra in project["optional-dependencies"].values():
        names |= {_name(r) for r in extra}
    return names


def test_environment_yml_names_the_same_packages(root):
    env = yaml.safe_load((root / "environment.yml").read_text())
    conda, pip = set(), set()
    for dep in env["dependencies"]:
        if isinstance(dep, dict):
            pip |= {_name(r) for r in dep["pip"]}
        else:
            conda.add(CONDA_NAMES.get(_name(dep), _name(dep)))
    assert "quarto" in conda, "conda users get the Quarto CLI from environment.yml"
    assert (conda - CONDA_ONLY) | pip == _pyproject(root)
    assert not (conda & pip), "a package is listed for both conda and pip"


def _pins(path) -> dict[str, str]:
    lines = [l for l in path.read_text().splitlines() if l and not l.startswith("#")]
    pins = {}
    for line in lines:
        assert re.fullmatch(r"[A-Za-z0-9_.\-\[\]]+==[^=\s]+", line), f"not an exact pin: {line}"
        name, version = line.split("==")
        pins[name.lower().replace("_", "-")] = version
    return pins


def test_lock_pins_every_dependency_exactly(root):
    pins = _pins(root / "requirements.lock")
    spark = _pins(root / "requirements-spark.lock")
    missing = _pyproject(root) - set(pins) - set(spark)
    assert not missing, f"requirements.lock (or requirements-spark.lock for the spark extra) lacks {sorted(missing)}"
    assert "analysis" not in pins, "the project itself is installed from source, not pinned"
    assert "pyspark" not in pins and "pyspark" in spark, "make env stays light: PySpark only in the spark lock"
    assert not set(pins) & set(spark), "a package is pinned in both locks"
