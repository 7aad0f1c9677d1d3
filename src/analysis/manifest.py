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
import sys
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


#: Changed paths listed in a manifest (the count is always recorded).
MAX_CHANGES = 50


def now_utc() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with Path(path).open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def file_hashes(folder: Path) -> dict[str, str]:
    """sha256 of every file under ``folder`` (relative path -> hex digest), sorted."""
    hashes = {}
    if folder.is_dir():
        for path in sorted(p for p in folder.rglob("*") if p.is_file() and p.name != ".gitkeep"):
            hashes[str(path.relative_to(folder))] = file_sha256(path)
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
        return out.stdout if out.returncode == 0 else None  # not stripped: porcelain lines start with a space

    commit = (git("rev-parse", "HEAD") or "").strip() or None
    # untracked files count too: a new notebook or module changes what a run can do (ignored files do not)
    status = git("status", "--porcelain", "--untracked-files=all")
    if status is None:
        return {"commit": commit, "dirty": None, "changes": []}
    changes = [line[3:] for line in status.splitlines() if line.strip()]
    return {"commit": commit, "dirty": bool(changes), "changes": changes[:MAX_CHANGES],
            "n_changes": len(changes)}


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


# --------------------------------------------------------------------------- interactive runs
INTERACTIVE = "interactive"


def _session_parameters() -> dict[str, Any]:
    """Run parameters as the notebook session holds them (its ``parameters`` cell, perhaps edited).

    In a Jupyter kernel ``__main__`` is the user's namespace; elsewhere this finds nothing.
    """
    from analysis.config import RunParams

    namespace = vars(sys.modules["__main__"]) if "__main__" in sys.modules else {}
    return {k: namespace[k] for k in RunParams.model_fields if k in namespace and not callable(namespace[k])}


def record_interactive(run_dir: Path, notebook: str) -> None:
    """A notebook run outside the runner (JupyterLab) wrote an exhibit into ``run_dir``.

    The folder gets (or keeps up to date) a manifest with ``mode: interactive``: the
    parameters the session used, the inputs, the code version and which notebooks
    wrote here, so ``analysis brief --run reports/runs/dev`` works and says where the
    results came from. A folder made by the runner (any other mode) is left alone.
    """
    from pydantic import ValidationError

    from analysis.config import RunParams

    run_dir = Path(run_dir)
    path = run_dir / "manifest.json"
    data = json.loads(path.read_text(encoding="utf-8")) if path.exists() else None
    if data is None and "ipykernel" not in sys.modules:
        return  # not a notebook session (a script or a test writing tables): nothing to record
    if data is not None and data.get("mode") != INTERACTIVE:
        return
    root = Path.cwd()
    if data is None:
        data = {"run_id": run_dir.name, "mode": INTERACTIVE, "status": INTERACTIVE, "started_at": now_utc(),
                "finished_at": None, "duration_seconds": None, "steps": [], "parameters": RunParams().model_dump(),
                "platform": {"python": platform.python_version(), "machine": platform.machine(),
                             "system": platform.system(), "cpus": os.cpu_count()},
                "packages": package_versions()}
    try:
        params = RunParams.model_validate({**data["parameters"], **_session_parameters()})
    except ValidationError:  # an edited parameters cell the runner would refuse: keep what was recorded
        params = RunParams.model_validate(data["parameters"])
    source = root / params.raw_dir
    steps = [s for s in data["steps"] if s["name"] != notebook]
    nb_path = root / "notebooks" / f"{notebook}.ipynb"
    step = {"name": notebook, "notebook": str(nb_path.relative_to(root)) if nb_path.exists() else notebook,
            "status": INTERACTIVE, "written_at": now_utc()}
    if nb_path.exists():
        step["notebook_sha256"] = file_sha256(nb_path)  # the saved file: cells run from Lab may differ
    if notebook not in {s["name"] for s in data["steps"]} or "inputs" not in data:
        data["inputs"] = {"raw_dir": params.raw_dir, "sha256": file_hashes(source)}
        data["data_source"] = "synthetic" if (source / "SYNTHETIC.json").exists() else "export"
    data.update(parameters=params.model_dump(), parameters_changed=params.differences(), git=git_state(root),
                finished_at=now_utc(), steps=sorted(steps + [step], key=lambda s: s["name"]))
    tmp = path.with_suffix(f".json.{os.getpid()}.tmp")
    run_dir.mkdir(parents=True, exist_ok=True)
    tmp.write_text(json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n", encoding="utf-8")
    os.replace(tmp, path)
