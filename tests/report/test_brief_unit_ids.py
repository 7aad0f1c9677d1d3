"""An unknown unit id is refused before any work: a message with the valid (or closest) ids, nothing left behind."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HEAVY = ("papermill", "nbclient", "matplotlib", "pandas", "analysis.render")

PROBE = """
import json, sys
from analysis.cli import main
try:
    main(["brief", "--unit", {unit!r}, "--run", {run!r}])
except SystemExit as exc:
    print(json.dumps({{"code": exc.code, "modules": sorted(sys.modules)}}))
"""


def _brief(unit: str, run_dir: Path):
    done = subprocess.run([sys.executable, "-c", PROBE.format(unit=unit, run=str(run_dir))], cwd=ROOT,
                          capture_output=True, text=True)
    result = json.loads(done.stdout.strip().splitlines()[-1])
    return result, " ".join(done.stderr.split())


def test_unknown_unit_is_refused_at_once_without_debris(run_dir):
    before = sorted(p.relative_to(run_dir) for p in run_dir.rglob("*"))
    result, message = _brief("XYZ99", run_dir)
    assert result["code"] == 2
    assert "unknown unit 'XYZ99'" in message and "valid unit ids: U01, U02" in message
    assert "KeyError" not in message
    assert sorted(p.relative_to(run_dir) for p in run_dir.rglob("*")) == before, "nothing left behind"
    heavy = [m for m in result["modules"] if any(m == h or m.startswith(h + ".") for h in HEAVY)]
    assert not heavy, f"refusing a unit imported {heavy[:5]}"


def test_a_near_miss_names_the_closest_ids(run_dir):
    _, message = _brief("u12", run_dir)
    assert "did you mean U12" in message
