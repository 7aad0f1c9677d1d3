"""The run manifest: what ran, on what, with what, and whether it finished.

``manifest.json`` is rewritten after every step, so a run that fails or is
interrupted keeps an honest record (``status`` stays ``running`` if the process was
killed, becomes ``failed`` or ``interrupted`` when it could say so); only a run whose
status is ``complete`` is ever pointed to as the latest.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import subprocess
import threading
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path
from typing import Any

#: Packages whose versions are recorded (the ones that change numbers or rendering).
RECORDED_PACKAGES = (
    "analysis", "numpy", "pandas", "scipy", "statsmodels", "scikit-learn", "pyfixest", "matplotlib",
    "seaborn", "pyarrow", "duckdb", "pandera", "papermill", "nbformat", "ipykernel", "pypandoc-binary", "typst",
)


def now_utc() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def file_hashes(folder: Path) -> dict[str, str]:
    """sha256 of every file under ``folder`` (relative path -> hex digest), sorted."""
    hashes = {}
    if folder.is_dir():
        for path in sorted(p for p in folder.rglob("*") if p.is_file() and p.name != ".gitkeep"):
            digest = hashlib.sha256()
            with path.open("rb") as fh:
                for block in iter(lambda: fh.read(1 << 20), b""):
                    digest.update(block)
            hashes[str(path.relative_to(folder))] = digest.hexdigest()
    return hashes


def package_versions() -> dict[str, str]:
    versions = {}
    for name in RECORDED_PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def git_state(root: Path) -> dict[str, Any]:
    def git(*args: str) -> str | None:
        try:
            out = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, timeout=10)
        except (OSError, subprocess.TimeoutExpired):
            return None
        return out.stdout.strip() if out.returncode == 0 else None

    commit = git("rev-parse", "HEAD")
    dirty = git("status", "--porcelain", "--untracked-files=no")
    return {"commit": commit, "dirty": bool(dirty) if dirty is not None else None}


class Manifest:
    """A run's ``manifest.json``, written atomically on every change."""

    def __init__(self, path: Path, **fields: Any):
        self.path = path
        self._lock = threading.Lock()  # steps of one stage report from several threads
        self.data: dict[str, Any] = {
            "status": "running",
            "started_at": now_utc(),
            "finished_at": None,
            "duration_seconds": None,
            "steps": [],
            **fields,
            "platform": {"python": platform.python_version(), "machine": platform.machine(),
                         "system": platform.system(), "cpus": os.cpu_count()},
            "packages": package_versions(),
        }
        self.write()

    def write(self) -> None:
        tmp = self.path.with_suffix(f".json.{threading.get_ident()}.tmp")
        tmp.write_text(json.dumps(self.data, indent=2, ensure_ascii=False, default=str) + "\n", encoding="utf-8")
        os.replace(tmp, self.path)

    def update(self, **fields: Any) -> None:
        with self._lock:
            self.data.update(fields)
            self.write()

    def step(self, record: dict[str, Any]) -> None:
        with self._lock:
            steps = [s for s in self.data["steps"] if s["name"] != record["name"]]
            self.data["steps"] = sorted(steps + [dict(record)], key=lambda s: s["name"])
            self.write()

    def finish(self, status: str, started: float, ended: float, **fields: Any) -> None:
        self.update(status=status, finished_at=now_utc(), duration_seconds=round(ended - started, 3), **fields)


def read_manifest(run_dir: Path) -> dict[str, Any]:
    path = Path(run_dir) / "manifest.json"
    if not path.exists():
        raise FileNotFoundError(f"no manifest.json in {run_dir}: not a run folder")
    return json.loads(path.read_text(encoding="utf-8"))
