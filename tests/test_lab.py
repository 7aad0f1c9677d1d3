"""`make lab` serves the whole project (notebooks/, reports/, params/) and starts as root too."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_lab_opens_at_the_project_root(root):
    done = subprocess.run(["make", "-n", "lab"], cwd=root, capture_output=True, text=True, check=True)
    (command,) = [line for line in done.stdout.splitlines() if "jupyter lab" in line]
    assert "--ServerApp.root_dir=." in command and "notebooks/" not in command
    assert ("--allow-root" in command) == (os.getuid() == 0), "JupyterLab refuses root without --allow-root"
