"""Compare two runs: which parameters differ, and how the headline estimates moved."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from analysis.manifest import read_manifest


def parameter_differences(run_a: Path, run_b: Path) -> pd.DataFrame:
    a, b = read_manifest(run_a)["parameters"], read_manifest(run_b)["parameters"]
    keys = sorted(set(a) | set(b))
    rows = [{"parameter": k, "run_a": a.get(k), "run_b": b.get(k)} for k in keys if a.get(k) != b.get(k)]
    return pd.DataFrame(rows, columns=["parameter", "run_a", "run_b"])


def headline_changes(run_a: Path, run_b: Path) -> pd.DataFrame:
    cols = ["outcome", "estimate", "conf_low", "conf_high", "inference"]
    a = pd.read_parquet(Path(run_a) / "tables" / "headline.parquet")[cols]
    b = pd.read_parquet(Path(run_b) / "tables" / "headline.parquet")[cols]
    merged = a.merge(b, on="outcome", how="outer", suffixes=("_a", "_b"))
    merged["change"] = merged["estimate_b"] - merged["estimate_a"]
    merged["same_sign"] = (merged["estimate_a"] * merged["estimate_b"]) > 0
    return merged


def compare_runs(run_a: str | Path, run_b: str | Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    run_a, run_b = Path(run_a), Path(run_b)
    return parameter_differences(run_a, run_b), headline_changes(run_a, run_b)
