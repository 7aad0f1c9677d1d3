"""Evaluation that continues, end to end: three more months of exports, and the brief says what changed."""

from __future__ import annotations

import json
import re

import nbformat
import pytest

from analysis.config import load_params
from analysis.runner import run
from analysis.synth import SynthConfig, generate

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("pipeline")]

ADOPTION_PERIODS = (4, 8, 12, 16)  # the same adoption months in both data sets: the same study


def _exports(folder, months):
    return generate(folder, SynthConfig(seed=11, months=months, scale=0.2,
                                        cohort_fractions=tuple(p / months for p in ADOPTION_PERIODS)))


def _brief_text(run_dir) -> str:
    nb = nbformat.read(run_dir / "brief" / "brief.ipynb", as_version=4)
    text = "\n".join(str(out.get("data", {}).get("text/markdown", "")) for cell in nb.cells
                     for out in cell.get("outputs", []))
    return re.sub(r"</?span\b[^>]*>", "", text)  # as a reader sees it: claim spans (source on hover) removed


def test_three_more_months_open_the_brief_with_what_changed(tmp_path, root):
    _exports(tmp_path / "raw_2024", 24)  # 2023-01 .. 2024-12
    _exports(tmp_path / "raw_2025q1", 27)  # the next quarter's exports: three more months, to 2025-03
    common = {"outcomes": ["ikm", "wait_minutes"], "biters": 199, "seed": 11, "min_e": -6, "max_e": 6}
    runs = tmp_path / "runs"

    def evaluate(raw: str):
        params = load_params(overrides={**common, "raw_dir": str(tmp_path / raw),
                                        "interim_dir": str(tmp_path / f"{raw}-interim"),
                                        "processed_dir": str(tmp_path / f"{raw}-processed")})
        # robustness and heterogeneity are optional for the brief: left out to keep the test short
        return run(params, root=root, runs_dir=runs, render=False, say=lambda m: None,
                   steps=["01_clean", "02_describe", "03_estimate", "brief"])

    first = evaluate("raw_2024")
    assert "Sejak analisis sebelumnya" not in _brief_text(first), "nothing to compare the first run with"
    second = evaluate("raw_2025q1")
    text = _brief_text(second)
    assert "## Sejak analisis sebelumnya" in text
    assert f"run {first.name}, data sampai Desember 2024" in text
    assert "3 bulan baru (Januari 2025–Maret 2025)" in text
    assert "- Indeks Kepuasan Masyarakat (IKM): perkiraan" in text and "- Waktu tunggu: perkiraan" in text
    assert text.index("Sejak analisis sebelumnya") < text.index("Temuan utama")
    assert "since" not in json.loads((second / "manifest.json").read_text())  # found from the data, not named
