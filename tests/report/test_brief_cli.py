"""`analysis brief`: one unit's brief into its own folder; bad requests fail with a message."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from analysis.report.cli import brief, resolve_run

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_brief_for_one_unit_goes_to_its_own_folder(run_dir, monkeypatch):
    monkeypatch.chdir(ROOT)
    result = CliRunner().invoke(brief, ["--unit", "U12", "--run", str(run_dir), "--language", "en", "--no-render"])
    assert result.exit_code == 0, result.output
    executed = run_dir / "units" / "U12-en" / "brief.ipynb"
    assert executed.exists()
    assert "lang: en" in executed.read_text(encoding="utf-8")  # front matter follows the language
    assert not (run_dir / "brief").exists()  # the main brief's folder is untouched


def test_unit_and_all_units_are_exclusive(run_dir, monkeypatch):
    monkeypatch.chdir(ROOT)
    result = CliRunner().invoke(brief, ["--unit", "U12", "--all-units", "--run", str(run_dir)])
    assert result.exit_code == 2 and "use one of --unit, --area, --all-units, --all-areas" in result.output


def test_run_folder_must_be_a_run(tmp_path, monkeypatch):
    monkeypatch.chdir(ROOT)
    result = CliRunner().invoke(brief, ["--unit", "U12", "--run", str(tmp_path)])
    assert result.exit_code == 1 and "not a run folder" in " ".join(result.output.split())


def test_latest_falls_back_to_the_latest_file(run_dir, tmp_path):
    runs = tmp_path / "runs"
    runs.mkdir()
    run_dir.rename(runs / "20260115-083000-3fa2c1d9")
    (runs / "LATEST").write_text("20260115-083000-3fa2c1d9\n")
    assert resolve_run(runs / "latest", ROOT) == (runs / "20260115-083000-3fa2c1d9").resolve()
