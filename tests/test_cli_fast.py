"""The command line answers at once: help, parameter listings and parameter errors import nothing heavy.

Checks the cause, not the clock (timings are in benchmarks/bench_cli.py): after each
command, in a fresh interpreter, none of the heavy modules has been imported.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

HEAVY = ("papermill", "nbclient", "jupyter_client", "pyfixest", "matplotlib", "analysis.did", "analysis.evaluation",
         "analysis.synth", "analysis.clean")

PROBE = """
import json, sys
from analysis.cli import main
try:
    main({args!r})
except SystemExit as exc:
    code = exc.code
print(json.dumps({{"code": code, "modules": sorted(sys.modules)}}))
"""


def imported_after(args: list[str], cwd) -> tuple[int, list[str]]:
    done = subprocess.run([sys.executable, "-c", PROBE.format(args=args)], cwd=cwd, capture_output=True, text=True)
    result = json.loads(done.stdout.strip().splitlines()[-1])
    heavy = [m for m in result["modules"] if any(m == h or m.startswith(h + ".") for h in HEAVY)]
    return result["code"], heavy


@pytest.mark.parametrize("args, code", [
    (["--help"], 0),
    (["run", "--help"], 0),
    (["brief", "--help"], 0),
    (["design", "--help"], 0),
    (["params"], 0),
    (["params", "notebooks/03_estimate.ipynb"], 0),
    (["validate", "--set", "outcomes=ikm,wait_minutes"], 0),
    (["run", "--set", "est_method=ols"], 2),
    (["run", "--set", "outcomes=ikm,bogus"], 2),
    (["run", "--set", "anticipaton=1"], 2),
], ids=lambda v: " ".join(v) if isinstance(v, list) else str(v))
def test_nothing_heavy_is_imported(root, args, code):
    exit_code, heavy = imported_after(args, root)
    assert exit_code in (code, None if code == 0 else code)
    assert not heavy, f"`analysis {' '.join(args)}` imported {heavy[:5]}"


def test_lazy_commands_are_listed_with_their_own_help(root):
    """`analysis --help` shows each lazy command's help without importing it; the texts must not drift."""
    import importlib

    from analysis.cli import LazyGroup

    for name, (target, short) in LazyGroup.lazy.items():
        module, attr = target.split(":")
        command = getattr(importlib.import_module(module), attr)
        assert command.help.strip().splitlines()[0] == short, f"help of '{name}' drifted from LazyGroup.lazy"
