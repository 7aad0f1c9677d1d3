"""End to end on a small synthetic data set: every notebook under papermill, twice.

Asserts on what the run produced (tables, values in range, injected parameters,
truth covered) and that the same parameters give byte-identical result tables.
"""

from __future__ import annotations

import json
import re

import nbformat
import pandas as pd
import pytest

from analysis.config import load_params
from analysis.runner import run
from analysis.synth import SynthConfig, generate

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("pipeline")]


@pytest.fixture(scope="module")
def runs(tmp_path_factory, root):
    base = tmp_path_factory.mktemp("pipeline")
    generate(base / "raw", SynthConfig(seed=7, months=24, scale=0.3))
    params = load_params(overrides={
        "raw_dir": str(base / "raw"), "interim_dir": str(base / "interim"),
        "processed_dir": str(base / "processed"), "biters": 199, "seed": 7,
        "min_e": -6, "max_e": 6,
    })
    first = run(params, root=root, runs_dir=base / "runs", say=lambda m: None)
    second = run(params, root=root, runs_dir=base / "runs", say=lambda m: None)
    return params, first, second


def test_runs_complete_with_manifest(runs):
    params, first, _ = runs
    manifest = json.loads((first / "manifest.json").read_text())
    assert manifest["status"] == "complete"
    assert [s["name"] for s in manifest["steps"]][:5] == [
        "01_clean", "02_describe", "03_estimate", "04_robustness", "05_heterogeneity"]
    assert all(s["status"] == "complete" for s in manifest["steps"])
    assert manifest["data_source"] == "synthetic" and manifest["inputs"]["sha256"]


def test_injected_parameters_are_recorded(runs):
    params, first, _ = runs
    nb = nbformat.read(first / "notebooks" / "03_estimate.ipynb", as_version=4)
    injected = nb.metadata.papermill.parameters
    assert injected["biters"] == 199 and injected["seed"] == 7 and injected["run_dir"] == str(first)
    assert injected["outcomes"] == params.outcomes


def test_tables_exist_with_values_in_range(runs):
    _, first, _ = runs
    quality = pd.read_parquet(first / "tables" / "data_quality.parquet")
    assert (quality["rows_raw"] == quality["rows_clean"] + quality["rows_rejected"] + quality["rows_duplicate"]).all()
    headline = pd.read_parquet(first / "tables" / "headline.parquet")
    assert len(headline) == 7 and headline["estimate"].notna().all()
    assert (headline["conf_low"] <= headline["estimate"]).all() and (headline["estimate"] <= headline["conf_high"]).all()
    assert headline["true_att"].notna().all(), "synthetic runs compare with the generator's truth"
    ikm = pd.read_parquet(first / "tables" / "ikm_unit_quarter.parquet")
    assert ikm["ikm"].between(25, 100).all() and set(ikm["mutu"]) <= set("ABCD")
    estimates = pd.read_parquet(first / "tables" / "estimates.parquet")
    assert {"callaway_santanna", "twfe", "sun_abraham", "imputation"} <= set(estimates["estimator"])
    exhibits = pd.read_csv(first / "exhibits.csv")
    assert {"headline", "adoption_timeline", "pretrend"} <= set(exhibits["exhibit"])
    for files in exhibits["files"]:
        for f in files.split(";"):
            assert (first / f).exists(), f


def test_same_parameters_same_bytes(runs):
    _, first, second = runs
    tables = sorted(p.relative_to(first) for p in (first / "tables").glob("*"))
    assert tables
    for rel in tables:
        assert (first / rel).read_bytes() == (second / rel).read_bytes(), f"{rel} differs between runs"
    figures = sorted((first / "figures").glob("*.png"))
    assert figures and all(f.read_bytes() == (second / f.relative_to(first)).read_bytes() for f in figures)


def test_brief_rendered_with_the_same_numbers(runs):
    _, first, second = runs
    texts = []
    for run_dir in (first, second):
        html = run_dir / "brief" / "brief.html"
        assert html.exists() and (run_dir / "brief" / "brief.pdf").exists()
        page = re.sub(r"<(style|script)\b.*?</\1>", " ", html.read_text(encoding="utf-8"), flags=re.S)
        text = " ".join(re.sub(r"<[^>]+>", " ", page).split())  # what a reader sees (figures aside)
        claims = (run_dir / "brief" / "claims.csv").read_text(encoding="utf-8")
        commit = json.loads((run_dir / "manifest.json").read_text())["git"].get("commit") or ""
        page = re.sub(re.escape(run_dir.name), "RUN", text + claims)
        # a commit landing between the two runs changes only the version line, not the numbers
        texts.append(re.sub(re.escape(commit[:10]) + "[0-9a-f]*", "COMMIT", page) if commit else page)
    assert texts[0] == texts[1]
