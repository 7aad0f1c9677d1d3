"""mapping.yaml can add unit-name spellings: a name an export uses -> the unit id of the catalogue."""

from __future__ import annotations

import pandas as pd
import pytest

from analysis import schemas
from analysis.clean.errors import DataInputError
from analysis.clean.profile import MAPPING_FILE
from analysis.clean.run import clean_raw
from analysis.study import load

from exports_kit import canonical_tables, clean_reference, read, real_copy, write

KEY = b"a test secret"
UNIT = "DUK01"
SPELLING = "Loket Adminduk Utama"  # how the queue system of another vendor names the unit


def _rename_unit(raw) -> None:
    name = load().units.set_index("unit_id").at[UNIT, "unit_name"]
    for path in sorted(raw.glob("antrian/*.csv")):
        df = read(path)
        df["Unit Layanan"] = df["Unit Layanan"].replace({name: SPELLING})
        write(df, path)


@pytest.fixture(scope="module")
def exports(tmp_path_factory):
    return clean_reference(tmp_path_factory.mktemp("mapping_units"), KEY)


def test_an_unknown_unit_name_stops_cleaning_and_a_mapping_spelling_alone_mends_it(exports, tmp_path):
    base, want = exports
    raw = real_copy(base, tmp_path / "other")
    _rename_unit(raw)
    with pytest.raises(DataInputError) as e:
        clean_raw(raw, tmp_path / "out", key=KEY)
    assert "antrian/" in str(e.value) and "match no unit" in str(e.value)
    (raw / MAPPING_FILE).write_text(f"labels:\n  unit:\n    {UNIT}: [{SPELLING}]\n", encoding="utf-8")
    clean_raw(raw, tmp_path / "out", key=KEY)
    got = canonical_tables(tmp_path / "out")
    for table in schemas.CANONICAL:
        pd.testing.assert_frame_equal(got[table], want[table], obj=table)


def test_a_spelling_that_names_another_unit_is_refused(exports, tmp_path):
    base, _ = exports
    raw = real_copy(base, tmp_path / "raw")
    units = load().units.set_index("unit_id")["unit_name"]
    other = units.index[units.index != UNIT][0]
    (raw / MAPPING_FILE).write_text(f"labels:\n  unit:\n    {UNIT}: ['{units[other]}']\n", encoding="utf-8")
    with pytest.raises(DataInputError) as e:
        clean_raw(raw, tmp_path / "out", key=KEY)
    assert MAPPING_FILE in str(e.value) and f"already the name of unit {other}" in str(e.value)
    assert not list((tmp_path / "out").glob("*.parquet"))  # nothing partial


def test_inspect_suggests_the_unit_id_of_an_unknown_name(exports, tmp_path):
    from analysis.clean.inspect import inspect_raw, mapping_snippet

    base, _ = exports
    raw = real_copy(base, tmp_path / "raw")
    name = load().units.set_index("unit_id").at[UNIT, "unit_name"]
    for path in sorted(raw.glob("antrian/*.csv")):
        df = read(path)
        df["Unit Layanan"] = df["Unit Layanan"].replace({name: name + " Baru"})
        write(df, path)
    snippet = mapping_snippet(inspect_raw(raw))
    assert f"  unit:\n    {UNIT}: [" in snippet and "baru" in snippet
