"""Write result tables and figures into a run folder, byte for byte reproducibly.

Every exhibit is saved under a stable name (``tables/<name>.parquet`` + ``.csv``,
``figures/<name>.png`` + ``.svg``) and recorded in the run's exhibit index
(``exhibits.csv``: exhibit, kind, files, notebook, title), so a reader can map each
table and figure to the notebook that made it (DIME's reproducibility checklist).
Timestamps and random ids that matplotlib would embed are switched off, so the
same parameters give the same bytes.
"""

from __future__ import annotations

import csv
import fcntl
import json
import os
from pathlib import Path

import pandas as pd

from analysis.manifest import record_interactive

INDEX = "exhibits.csv"
INDEX_COLUMNS = ["exhibit", "kind", "files", "notebook", "title"]


def _record(run_dir: Path, exhibit: str, kind: str, files: list[Path], notebook: str, title: str) -> None:
    # notebooks of one stage run in parallel kernels: serialise updates of the shared index
    with (run_dir / ".exhibits.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        record_interactive(run_dir, notebook)  # no-op in a runner's folder; a manifest for a Lab session
        _update_index(run_dir, exhibit, kind, files, notebook, title)


def _update_index(run_dir: Path, exhibit: str, kind: str, files: list[Path], notebook: str, title: str) -> None:
    index = run_dir / INDEX
    rows = []
    if index.exists():
        with index.open(newline="", encoding="utf-8") as fh:
            rows = [r for r in csv.DictReader(fh) if not (r["exhibit"] == exhibit and r["kind"] == kind)]
    rel = ";".join(str(f.relative_to(run_dir)) for f in files)
    rows.append({"exhibit": exhibit, "kind": kind, "files": rel, "notebook": notebook, "title": title})
    rows.sort(key=lambda r: (r["kind"], r["exhibit"]))
    with index.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=INDEX_COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def save_table(frame: pd.DataFrame, name: str, run_dir: str | Path, *, notebook: str, title: str = "") -> Path:
    """Save ``frame`` as ``tables/<name>.parquet`` and ``.csv``; return the Parquet path."""
    run_dir = Path(run_dir)
    folder = run_dir / "tables"
    folder.mkdir(parents=True, exist_ok=True)
    frame = frame.reset_index(drop=True)
    parquet = folder / f"{name}.parquet"
    frame.to_parquet(parquet, index=False, compression="zstd")
    text = folder / f"{name}.csv"
    frame.to_csv(text, index=False, lineterminator="\n", float_format="%.10g")
    _record(run_dir, name, "table", [parquet, text], notebook, title)
    return parquet


def read_table(run_dir: str | Path, name: str) -> pd.DataFrame:
    path = Path(run_dir) / "tables" / f"{name}.parquet"
    if not path.exists():
        raise FileNotFoundError(f"result table '{name}' not found in {Path(run_dir)}/tables (run the step that makes it)")
    return pd.read_parquet(path)


def save_figure(fig, name: str, run_dir: str | Path, *, notebook: str, title: str = "") -> Path:
    """Save a matplotlib figure as ``figures/<name>.png`` and ``.svg``; return the PNG path."""
    import matplotlib.pyplot as plt

    run_dir = Path(run_dir)
    folder = run_dir / "figures"
    folder.mkdir(parents=True, exist_ok=True)
    png, svg = folder / f"{name}.png", folder / f"{name}.svg"
    with plt.rc_context({"svg.hashsalt": name, "svg.fonttype": "path"}):
        fig.savefig(png, dpi=150, bbox_inches="tight", metadata={"Software": None})
        fig.savefig(svg, bbox_inches="tight", metadata={"Date": None, "Creator": None})
    _record(run_dir, name, "figure", [png, svg], notebook, title)
    return png


def save_json(data: dict, name: str, run_dir: str | Path, *, notebook: str, title: str = "") -> Path:
    run_dir = Path(run_dir)
    folder = run_dir / "results"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.json"
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False, default=str) + "\n", encoding="utf-8")
    os.replace(tmp, path)
    _record(run_dir, name, "result", [path], notebook, title)
    return path
