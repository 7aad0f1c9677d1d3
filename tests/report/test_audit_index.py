"""The audit's indexed row lookup selects exactly the rows the filter's definition (``_same``) selects,
without comparing each claim's values with every cell of the table."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest

from analysis import audit


def _reference(frame: pd.DataFrame, row: str) -> pd.DataFrame:
    """The filter by its definition: each ``=``/``!=`` part compares every cell with ``_same``."""
    mask = pd.Series(True, index=frame.index)
    for key, op, value in audit._parts(row):
        if op in (">=", "<"):
            num = pd.to_numeric(frame[key], errors="coerce")
            mask &= (num >= float(value)) if op == ">=" else (num < float(value))
            continue
        hit = frame[key].map(lambda c: any(audit._same(c, v) for v in value.split("|")))
        mask &= ~hit if op == "!=" else hit
    return frame[mask]


@pytest.fixture
def tables(tmp_path):
    frame = pd.DataFrame({
        "unit_id": ["A1", "A2", "B1", "B2", "C1", "C1 ", "", None, "07", "7"],
        "quarter": [1, 2, 1, 2, 12, 12, 3, 4, 1, 2],
        "x": [1.0, 2.5, np.nan, 4.0, 5.0, 6.0, 7.0, 8.0, 1.0, 2.5],
        "flag": [True, False, True, False, True, False, True, False, True, False],
        "label": ["nan", "Baik", "Baik", "Kurang Baik", "", "Sangat Baik", "B", "b", "1.0", "1"],
    })
    (tmp_path / "tables").mkdir()
    frame.to_parquet(tmp_path / "tables" / "t.parquet")
    (tmp_path / "manifest.json").write_text("{}")
    return audit.Tables(tmp_path), frame


FILTERS = ["unit_id=A1", "unit_id=A1|B2|C1", "unit_id=7", "unit_id=07", "unit_id=", "unit_id!=", "quarter=1",
           "quarter=1.0", "quarter=12&unit_id=C1|C1 ", "x=2.5", "x=nan", "x=", "flag=true", "flag=True",
           "flag=false&quarter=2", "label=Baik|Sangat Baik", "label=1", "label=nan", "label=", "label=b",
           "unit_id=A1|A2|B1|B2|C1|D1|D2|D3|D4|D5&quarter>=2", "unit_id!=A1&x<5", "quarter=1|2&flag=true",
           "unit_id=ZZ", ""]


@pytest.mark.parametrize("row", FILTERS)
def test_indexed_rows_equal_the_filter_definition(tables, row):
    tab, frame = tables
    pd.testing.assert_frame_equal(tab.rows("t", row), _reference(frame, row))


def test_pairs_of_filters_agree(tables):
    tab, frame = tables
    for a, b in itertools.combinations([f for f in FILTERS if f], 2):
        row = f"{a}&{b}"
        pd.testing.assert_frame_equal(tab.rows("t", row), _reference(frame, row))


def test_equality_parts_never_compare_cell_by_cell(tables, monkeypatch):
    tab, frame = tables
    monkeypatch.setattr(audit, "_same", lambda *_: pytest.fail("compared a claim with every cell"))
    assert list(tab.rows("t", "unit_id=A1|B1&quarter=1")["unit_id"]) == ["A1", "B1"]


def test_an_unknown_column_is_named(tables):
    tab, _ = tables
    with pytest.raises(LookupError, match="no column nope"):
        tab.rows("t", "nope=1")
    with pytest.raises(ValueError, match="unreadable row filter"):
        tab.rows("t", "1x=1")
