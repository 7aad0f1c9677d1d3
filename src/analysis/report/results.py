"""Read-only access to one run folder: result tables, figures and the manifest.

A brief reads nothing else (docs/results.md). Tables the core steps always make
are required; tables of optional steps (robustness, heterogeneity) may be absent,
and the brief then says so instead of failing.
"""

from __future__ import annotations

import json
from functools import cached_property
from pathlib import Path

import pandas as pd

from analysis.report.i18n import use_study
from analysis.outputs import read_table


class RunResults:
    def __init__(self, run_dir: str | Path):
        path = Path(run_dir)
        if not path.exists() and path.name == "latest" and (path.parent / "LATEST").exists():
            # file systems without symlinks: the runner's LATEST file names the run
            path = path.parent / (path.parent / "LATEST").read_text(encoding="utf-8").strip()
        self.run_dir = path.resolve()
        if not (self.run_dir / "manifest.json").exists():
            raise FileNotFoundError(f"no manifest.json in {self.run_dir}: not a run folder")
        self._tables: dict[str, pd.DataFrame] = {}
        use_study(self.study)  # sentences built from this run name its study's area

    @cached_property
    def study(self):
        """The run's study (``study`` parameter; runs made before it existed: the default study)."""
        from analysis.study import DEFAULT, load

        return load(self.manifest.get("parameters", {}).get("study", DEFAULT))

    def table(self, name: str) -> pd.DataFrame:
        """A required result table (FileNotFoundError names the table if the step did not make it)."""
        if name not in self._tables:
            self._tables[name] = read_table(self.run_dir, name)
        return self._tables[name].copy()

    def optional(self, name: str) -> pd.DataFrame | None:
        try:
            return self.table(name)
        except FileNotFoundError:
            return None

    @cached_property
    def manifest(self) -> dict:
        return json.loads((self.run_dir / "manifest.json").read_text(encoding="utf-8"))

    @property
    def run_id(self) -> str:
        return str(self.manifest.get("run_id") or self.run_dir.name)

    @property
    def figure_language(self) -> str:
        """Language the notebooks drew their figures in (the run's ``language`` parameter)."""
        return str(self.manifest.get("parameters", {}).get("language", "id"))

    def figure(self, name: str) -> Path | None:
        path = self.run_dir / "figures" / f"{name}.png"
        return path if path.exists() else None

    @cached_property
    def run_info(self) -> dict:
        return self.table("run_info").iloc[0].to_dict()

    @cached_property
    def headline(self) -> pd.DataFrame:
        """One row per outcome, in the order of the run's ``outcomes`` parameter (the first is the headline)."""
        frame = self.table("headline")
        order = list(self.manifest.get("parameters", {}).get("outcomes", []))
        rank = {o: i for i, o in enumerate(order)}
        frame["_rank"] = frame["outcome"].map(lambda o: rank.get(o, len(rank)))
        return frame.sort_values("_rank", kind="stable").drop(columns="_rank").reset_index(drop=True)

    def pretrend(self, outcome: str) -> tuple[bool, float | None]:
        """(flag, p-value) of an outcome's pre-trend check; (False, None) if it was not run."""
        frame = self.optional("pretrend")
        if frame is None:
            return False, None
        rows = frame[frame["outcome"] == outcome]
        if rows.empty:
            return False, None
        row = rows.iloc[0]
        return bool(row["flag"]), (None if pd.isna(row["p_value"]) else float(row["p_value"]))
