"""Shared fixtures for the difference-in-differences tests."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

REFERENCE_DIR = Path(__file__).parents[2].parent / "shared" / "data" / "did-reference"
#: public data sets shipped with R packages (see its README for sources and commits)
EXTERNAL_DIR = Path(__file__).parents[2].parent / "shared" / "data" / "did-external"


def read_external(name: str, **kwargs) -> pd.DataFrame:
    """A published data set from ``../shared/data/did-external`` (skip the test when absent)."""
    path = EXTERNAL_DIR / name
    if not path.exists():
        pytest.skip(f"public data set {path} is absent (shared data not mounted)")
    return pd.read_csv(path, **kwargs)


def _read_reference(name: str) -> pd.DataFrame:
    path = REFERENCE_DIR / name
    if not path.exists():
        pytest.skip(f"R did reference file {path} is absent (shared data not mounted)")
    return pd.read_csv(path)


@pytest.fixture(scope="session")
def mpdta() -> pd.DataFrame:
    """County teen employment panel (500 counties x 2003-2007) from R did."""
    return _read_reference("mpdta.csv")


@pytest.fixture(scope="session")
def rref_attgt() -> pd.DataFrame:
    return _read_reference("rref_attgt.csv")


@pytest.fixture(scope="session")
def rref_aggte() -> pd.DataFrame:
    return _read_reference("rref_aggte.csv")


@pytest.fixture(scope="session")
def rref_pretest() -> pd.DataFrame:
    return _read_reference("rref_pretest.csv")
