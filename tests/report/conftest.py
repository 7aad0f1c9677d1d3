"""Fixtures of the brief tests: a fabricated run folder and briefs rendered from it."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from brief_run_fixture import make_run

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def run_template(tmp_path_factory) -> Path:
    return make_run(tmp_path_factory.mktemp("template") / "run")


@pytest.fixture
def run_dir(run_template, tmp_path) -> Path:
    """A fresh copy of the fabricated run (tests may change its tables)."""
    return Path(shutil.copytree(run_template, tmp_path / "run"))


@pytest.fixture(scope="session")
def artifacts(tmp_path_factory) -> Path:
    """Where screenshots and PDF pages go for people to look at: $ANALYSIS_TEST_ARTIFACTS or a pytest temp folder."""
    folder = os.environ.get("ANALYSIS_TEST_ARTIFACTS")
    path = Path(folder) if folder else tmp_path_factory.mktemp("brief-artifacts")
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture(scope="session")
def rendered(tmp_path_factory) -> dict[str, dict[str, Path]]:
    """The main brief in id and en and one per-unit brief (en), executed with papermill and rendered
    on the default path (pandoc + Typst), from one fabricated run whose own language is id."""
    from analysis.report.cli import build_brief

    run = make_run(tmp_path_factory.mktemp("rendered") / "run")
    with pytest.MonkeyPatch.context() as patch:
        if shutil.which("quarto"):
            patch.setenv("ANALYSIS_RENDERER", "pandoc")  # test the path CI has
        return {
            "id": build_brief(run, "", "id", root=ROOT),
            "en": build_brief(run, "", "en", root=ROOT),
            "unit": build_brief(run, "U05", "en", root=ROOT),
        }
