"""Property: whatever corruptions hit a raw file, every raw row is accounted for exactly once."""

from __future__ import annotations

import shutil

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analysis.clean.run import _register_units, clean_file
from analysis.clean.tables import Context
from analysis.pseudonym import DEMO_KEY
from analysis.synth import MessyConfig, SynthConfig, generate


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    raw = generate(tmp_path_factory.mktemp("prop") / "raw", SynthConfig(months=4, scale=0.2, skm_sample_scale=0.2, messy=MessyConfig.none()))
    ctx = Context(key=DEMO_KEY)
    units, _, q = clean_file(raw / "master" / "daftar_unit.csv", raw, "units", ctx)
    _register_units(ctx, units, q["file"])
    tickets = pd.read_csv(sorted((raw / "antrian").glob("*.csv"))[0], dtype=str, keep_default_na=False).head(40)
    skm = pd.read_csv(raw / "skm" / "skm_KEL01.csv", dtype=str, keep_default_na=False).head(40)
    return raw, ctx, tickets, skm


def _corrupt(kind: str, row: pd.Series, table: str) -> pd.Series:
    row = row.copy()
    if table == "tickets":
        if kind == "blank":
            row["Jam Selesai"] = ""
        elif kind == "order":
            row["Jam Panggil"] = "06:00:00"
        elif kind == "label":
            row["Jalur"] = "Lewat Pos"
        elif kind == "date":
            row["Tanggal"] = "31/02/2024"
        elif kind == "unit":
            row["Unit Layanan"] = "Kantor Tidak Ada"
    else:
        if kind == "blank":
            row["U3"] = ""
        elif kind == "order":
            row["U5"] = "7"
        elif kind == "label":
            row["Jenis Kelamin"] = "X"
        elif kind == "date":
            row["Tanggal Survei"] = "12 Foo 2024"
        elif kind == "unit":
            row["Unit Layanan"] = "Kantor Tidak Ada"
    return row


ops = st.lists(st.tuples(st.integers(0, 39), st.sampled_from(["blank", "order", "label", "date", "unit", "dup",
                                                              "test"])), max_size=12)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=ops, table=st.sampled_from(["tickets", "skm"]))
def test_row_accounting_balances(small, tmp_path_factory, ops, table):
    raw, ctx, tickets, skm = small
    base = (tickets if table == "tickets" else skm).copy()
    rows = [r for _, r in base.iterrows()]
    corrupted, extra = set(), []
    for i, kind in ops:
        if kind == "dup":
            extra.append(rows[i].copy())
        elif kind == "test" and table == "tickets":
            t = rows[i].copy()
            t["No Antrian"], t["Jenis Layanan"] = "TEST-99", "TES SISTEM"
            extra.append(t)
        elif kind != "test":
            rows[i] = _corrupt(kind, rows[i], table)
            corrupted.add(i)
    frame = pd.DataFrame(rows + extra)
    folder = tmp_path_factory.mktemp("case")
    sub = folder / ("antrian" if table == "tickets" else "skm")
    sub.mkdir()
    path = sub / ("antrian_X.csv" if table == "tickets" else "skm_X.csv")
    frame.to_csv(path, index=False)
    clean, rejects, q = clean_file(path, folder, table, ctx)
    assert q["rows_raw"] == len(frame)
    assert q["rows_raw"] == q["rows_clean"] + q["rows_rejected"] + q["rows_duplicate"]
    assert q["rows_clean"] == len(clean) and q["rows_rejected"] == len(rejects)
    assert {i + 1 for i in corrupted} <= set(rejects["row_number"])
    assert not clean.duplicated(clean.columns[:1].tolist()).any()
    shutil.rmtree(folder)
