"""End to end on the default messy data set: generate -> clean -> panels against the generator's truth."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest

from analysis import measures, schemas
from analysis.clean import clean_raw
from analysis.panels import PANEL_SCHEMAS, build_panels
from analysis.synth import SynthConfig, generate


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    root = tmp_path_factory.mktemp("pipeline")
    raw = generate(root / "raw", SynthConfig())
    report = clean_raw(raw, root / "interim")
    panels = build_panels(root / "interim", root / "processed")
    return {"raw": raw, "interim": root / "interim", "report": report, "panels": panels}


def _read(path: Path) -> pd.DataFrame:
    return pd.read_parquet(path)


@pytest.mark.parametrize("table", list(schemas.CANONICAL))
def test_clean_reproduces_truth(run, table):
    sch = schemas.CANONICAL[table]
    got = schemas.conform(_read(run["interim"] / f"{table}.parquet"), sch)
    want = schemas.conform(_read(run["raw"] / "_truth" / "clean" / f"{table}.parquet"), sch)
    assert len(got) > 0
    pd.testing.assert_frame_equal(got, want)
    schemas.validate(got, sch)


def test_rejects_match_corruptions(run):
    log = _read(run["raw"] / "_truth" / "raw_rows.parquet")
    want = log[log["kind"].isin(["corrupt", "test"])][["file", "row_number", "table", "reason", "column"]]
    got = run["report"].rejects
    key = ["file", "row_number"]
    want = want.sort_values(key).reset_index(drop=True)
    got = got.sort_values(key).reset_index(drop=True)[want.columns]
    pd.testing.assert_frame_equal(got.astype(str), want.astype(str))
    # every corruption kind the generator knows about actually occurred
    assert set(want["reason"]) == {"invalid_nip", "unknown_unit", "missing_timestamp", "timestamp_order",
                                   "test_ticket", "likert_out_of_range", "missing_value"}


def test_duplicates_merged_and_accounting_balances(run):
    q = run["report"].quality
    log = _read(run["raw"] / "_truth" / "raw_rows.parquet")
    dups = log[log["kind"] == "dup"].groupby("file").size()
    assert dups.sum() > 0
    assert (q.set_index("file")["rows_duplicate"].reindex(dups.index) == dups).all()
    assert (q["rows_raw"] == q["rows_clean"] + q["rows_rejected"] + q["rows_duplicate"]).all()
    by_reason = q[[c for c in q.columns if c.startswith("rejected_")]].sum(axis=1)
    assert (by_reason == q["rows_rejected"]).all()
    assert (run["interim"] / "data_quality.csv").is_file()
    assert run["report"].synthetic and run["report"].ignored == {}  # _truth/ and the marker are not raw data
    # clean rows per table equal the canonical table length (no cross-file duplicates in synthetic data)
    for table, n in q.groupby("table")["rows_clean"].sum().items():
        assert pq.read_metadata(run["interim"] / f"{table}.parquet").num_rows == n


def test_every_messy_pattern_is_present_in_raw(run):
    raw = run["raw"]
    files = [p for p in raw.rglob("*") if p.is_file() and "_truth" not in p.parts and p.suffix != ".json"]
    data = {p: p.read_bytes() for p in files}
    csvs = {p: b for p, b in data.items() if p.suffix == ".csv"}
    assert any(p.suffix == ".xlsx" for p in files)
    assert any(b.startswith(b"\xef\xbb\xbf") for b in csvs.values())
    cp1252 = [b for b in csvs.values() if not b.startswith(b"\xef\xbb\xbf") and b.split(b"\n")[0].count(b";")]
    assert cp1252 and any(b"\x92" in b for b in cp1252)  # Windows-1252 apostrophe in names
    text = "\n".join(b.decode("utf-8-sig", errors="replace") for b in csvs.values())
    assert re.search(r"\b\d{1,2} (Januari|Februari|Maret|April|Mei|Juni|Juli|Agustus|September|Oktober|November|"
                     r"Desember) \d{4}\b", text)
    assert re.search(r"\b\d{2}/\d{2}/\d{4}\b", text)
    assert re.search(r"\b\d{8} \d{6} \d \d{3}\b", text)  # NIP printed with spaces
    assert re.search(r";\d{1,3},\d{2}(;|\r?\n)", text)  # decimal comma
    assert "Kel. " in text or "KANTOR LURAH" in text  # unit-name variants
    assert "no_antrian" in text and "No Antrian" in text  # header variants
    assert "TES SISTEM" in text
    assert "Datang Langsung" in text and ("Walk-in" in text or "Luring" in text)


def test_decimal_comma_cells_parse(run):
    schools = _read(run["interim"] / "schools.parquet")
    assert (schools["assessment_score"] % 1 != 0).any()  # decimals survived decimal-comma/xlsx exports


def test_no_personal_data_in_outputs(run):
    nip = re.compile(r"\d{8} ?\d{6} ?\d ?\d{3}")
    from analysis.synth import catalog

    names = {f"{a} {b}" for a in catalog.FIRST_NAMES for b in catalog.LAST_NAMES}
    outputs = list(run["interim"].glob("*.parquet")) + list(run["panels"].values())
    assert any(p.name == "panel_asn_month.parquet" for p in outputs)
    for p in outputs:
        df = _read(p)
        for c in df.columns:
            if df[c].dtype == object or str(df[c].dtype) in ("str", "string"):
                vals = df[c].dropna().astype(str)
                assert not vals.str.fullmatch(nip.pattern).any(), f"{p.name}:{c} holds NIP-like values"
                assert not vals.isin(names).any(), f"{p.name}:{c} holds names"
        assert not {"nip", "name", "nama"} & set(df.columns)
    asn = _read(run["interim"] / "asn.parquet")
    assert asn["asn_id"].str.fullmatch(r"asn_[0-9a-f]{16}").all()
    # the employee panel carries the cleaner's pseudonyms only, and nothing else about a person
    am = _read(run["panels"]["panel_asn_month"])
    assert set(am["asn_id"]) == set(asn["asn_id"])
    assert set(am.columns) == {"asn_id", "unit_id", "period", "month", "first_treat", "skp_good", "training_jp"}


def test_asn_month_panel_accounts_for_every_appraisal(run):
    """panel_asn_month: one row per employee and month from joining; every SKP row in it with its
    predikat's good/not good, the unit's cohort, every training hour in the window."""
    am = _read(run["panels"]["panel_asn_month"])
    assert not am.duplicated(["asn_id", "period"]).any()
    assert am.equals(am.sort_values(["asn_id", "period"]).reset_index(drop=True))
    skp = _read(run["interim"] / "skp.parquet")
    asn = _read(run["interim"] / "asn.parquet").set_index("asn_id")
    start = skp["month"].min()
    skp["period"] = (skp["month"].dt.year - start.year) * 12 + skp["month"].dt.month - start.month + 1
    m = skp.merge(am, on=["asn_id", "period"], how="left", validate="one_to_one")
    assert m["skp_good"].notna().all() and len(am.dropna(subset=["skp_good"])) == len(skp)
    assert (m["skp_good"] == m["predikat"].isin(schemas.GOOD_PREDIKAT)).all()
    assert (m["unit_id_x"] == m["unit_id_y"]).all()
    good = measures.predikat_shares(skp, ["unit_id"]).set_index("unit_id")["good_share"]
    assert am.groupby("unit_id")["skp_good"].mean().reindex(good.index).to_numpy() == pytest.approx(good.to_numpy())
    joined = (asn["active_from"].dt.year - start.year) * 12 + asn["active_from"].dt.month - start.month + 1
    first = am.groupby("asn_id")["period"].min()
    assert (first == joined.clip(lower=1).reindex(first.index)).all()
    assert (am.groupby("asn_id")["period"].max() == am["period"].max()).all()
    cohorts = _read(run["raw"] / "_truth" / "cohorts.parquet").set_index("unit_id")["first_treat"]
    assert (am["first_treat"].to_numpy() == cohorts.reindex(am["unit_id"]).to_numpy()).all()
    tr = _read(run["interim"] / "training.parquet")
    in_window = tr["start_date"].between(start, am["month"].max() + pd.offsets.MonthEnd(1))
    assert am["training_jp"].sum() == tr.loc[in_window, "hours"].sum() > 0


def test_panels_contract(run):
    p = {k: _read(v) for k, v in run["panels"].items()}
    um = p["panel_unit_month"]
    assert list(um.columns)[:8] == ["unit_id", "unit_name", "unit_type", "opd", "kelurahan", "period", "month",
                                    "first_treat"]
    for col in ("ikm", "wait_minutes", "service_minutes", "share_within_1h", "online_share", "skp_good_share",
                "training_coverage", "assessment_score", "n_tickets", "n_asn", "baseline_staff", "distance_km"):
        assert col in um.columns
    assert len(um) == 34 * 36 and not um.duplicated(["unit_id", "period"]).any()
    assert um["period"].between(1, 36).all()
    assert set(um["unit_type"]) == {"disdukcapil", "kecamatan", "kelurahan", "puskesmas", "school"}
    cohorts = _read(run["raw"] / "_truth" / "cohorts.parquet").set_index("unit_id")["first_treat"]
    ft = um.groupby("unit_id")["first_treat"].first()
    assert (ft == cohorts.reindex(ft.index)).all()
    assert (ft == 0).sum() >= 4 and ft[ft > 0].nunique() == 4
    assert um.loc[um["unit_type"] == "school", "wait_minutes"].isna().all()
    assert um.loc[um["unit_type"] != "school", "assessment_score"].isna().all()
    assert um.loc[um["unit_type"] == "disdukcapil", "wait_minutes"].notna().all()
    hw = p["panel_unit_week_health"]
    assert (pd.to_datetime(hw["week_start"]).dt.day_of_week == 6).all()
    assert hw["unit_id"].nunique() == 7
    iq = p["ikm_unit_quarter"]
    assert iq["ikm"].between(25, 100).all() and (~iq["meets_sample"]).any() and iq["meets_sample"].any()
    sr = p["skm_respondents"]
    assert sr["ikm_resp"].between(25, 100).all() and len(sr) == len(_read(run["interim"] / "skm.parquet"))
    for name, df in p.items():
        assert list(df.columns) == list(PANEL_SCHEMAS[name].columns)


def test_panel_sql_agrees_with_measures(run):
    um = _read(run["panels"]["panel_unit_month"]).set_index(["unit_id", "period"])
    tickets = _read(run["interim"] / "tickets.parquet")
    t = tickets[(tickets["unit_id"] == "DUK01") & (tickets["issued_at"].dt.strftime("%Y-%m") == "2023-03")]
    row = um.loc[("DUK01", 3)]
    assert row["wait_minutes"] == pytest.approx(measures.waiting_minutes(t["issued_at"], t["called_at"]).mean())
    assert row["share_within_1h"] == pytest.approx(measures.within_target(t["issued_at"], t["finished_at"],
                                                                          t["priority"]))
    skm = _read(run["interim"] / "skm.parquet")
    s = skm[(skm["unit_id"] == "KEL01") & (skm["survey_date"].dt.strftime("%Y-%m") == "2024-05")]
    tab = measures.ikm_table(s.assign(g=1), ["g"])
    assert um.loc[("KEL01", 17), "ikm"] == pytest.approx(tab["ikm"].iat[0])
    asn = _read(run["interim"] / "asn.parquet")
    tr = _read(run["interim"] / "training.parquet")
    assert um.loc[("PKM01", 20), "training_coverage"] == pytest.approx(
        measures.training_coverage(asn, tr, "PKM01", pd.Timestamp("2024-08-31")))
    iq = _read(run["panels"]["ikm_unit_quarter"]).set_index(["unit_id", "quarter"])
    vol = _read(run["interim"] / "service_volume.parquet").set_index(["unit_id", "quarter"])["users_served"]
    assert iq.loc[("SCH03", 5), "required_n"] == measures.krejcie_morgan(vol.loc[("SCH03", "2024Q1")])


def test_truth_effects(run):
    att = _read(run["raw"] / "_truth" / "att_gt.parquet")
    agg = _read(run["raw"] / "_truth" / "aggregates.parquet")
    assert {"outcome", "group", "period", "att", "n_units"} <= set(att.columns)
    pre = att[att["period"] < att["group"]]
    assert (pre["att"].abs() < 1e-12).all()  # no anticipation by default
    simple = agg[agg["type"] == "simple"].set_index("outcome")["att"]
    assert simple["training_coverage"] > 0 and simple["wait_minutes"] < 0 and simple["online_share"] > 0
    assert simple["incidence_per_10k"] < 0
    dyn = agg[(agg["type"] == "dynamic") & (agg["outcome"] == "online_share") & agg["egt"].notna()]
    dyn = dyn.set_index("egt")["att"]
    assert dyn.loc[12] > dyn.loc[0] > 0  # effects grow with time since adoption
    grp = agg[(agg["type"] == "group") & (agg["outcome"] == "online_share") & agg["egt"].notna()]
    month_groups = att.loc[att["panel"] == "panel_unit_month", "group"]
    assert {int(g) for g in grp["egt"]} == {int(g) for g in month_groups.unique()} == {7, 13, 19, 25}
    assert set(agg["type"]) == {"simple", "group", "dynamic"}


def _ikm_unit_quarter_from_responses(resp: pd.DataFrame, volume: pd.DataFrame) -> pd.DataFrame:
    """The panel as the in-memory path built it before the panels went out of core (pandas over the
    respondents), kept here as the reference the engine's aggregation must reproduce."""
    qmap = resp.drop_duplicates("quarter_label").set_index("quarter_label")["quarter"]
    vol = volume[volume["quarter"].isin(qmap.index)]
    idx = pd.MultiIndex.from_arrays([vol["unit_id"].to_numpy(dtype=object),
                                     qmap.reindex(vol["quarter"]).to_numpy(dtype="int64")], names=["unit_id", "quarter"])
    pop = pd.Series(vol["users_served"].to_numpy(dtype="int64"), index=idx)
    tab = measures.ikm_table(resp, ["unit_id", "quarter"], population=pop)
    base = resp.groupby(["unit_id", "quarter"], sort=True)[["quarter_label", "first_treat_quarter"]].first()
    tab = tab.merge(base.reset_index(), on=["unit_id", "quarter"], how="left")
    keys = pd.MultiIndex.from_arrays([tab["unit_id"].to_numpy(dtype=object), tab["quarter"].to_numpy()])
    tab["users_served"] = pd.array(pop.reindex(keys).to_numpy(), dtype="Float64").astype("Int64")
    return schemas.conform(tab, PANEL_SCHEMAS["ikm_unit_quarter"])


def test_out_of_core_panels_are_the_in_memory_panels_byte_for_byte(run, tmp_path):
    from analysis.io import write_parquet
    from analysis.panels import compute_panels, connect_interim

    con = connect_interim(run["interim"])
    frames = compute_panels(con)  # every panel in pandas, as before the engine wrote the big ones
    resp, volume = frames["skm_respondents"], con.execute("select * from service_volume").df()
    pd.testing.assert_frame_equal(frames["ikm_unit_quarter"], _ikm_unit_quarter_from_responses(resp, volume),
                                  check_exact=True)
    assert list(run["panels"]) == list(PANEL_SCHEMAS)
    assert list(frames) == list(PANEL_SCHEMAS)
    for name, path in run["panels"].items():
        PANEL_SCHEMAS[name].validate(frames[name], lazy=True)
        want = write_parquet(frames[name], tmp_path / f"{name}.parquet").read_bytes()
        assert path.read_bytes() == want, f"{name}: the streamed file differs from the in-memory path's"


def test_panels_written_range_by_range_have_the_bytes_of_one_query(run, tmp_path, monkeypatch):
    import analysis.panels as panels

    con = panels.connect_interim(run["interim"])
    _, months = panels._window(con)
    monkeypatch.setattr(panels, "ASN_CHUNK_ROWS", months * 97)  # ranges of 97 employees, the last one shorter
    monkeypatch.setattr(panels, "UNIT_CHUNK_ROWS", months * 7)  # and of 7 units
    for ranges, table in ((panels.asn_ranges(con), "asn"), (panels.unit_ranges(con), "units")):
        (n,) = con.execute(f"select count(*) from {table}").fetchone()
        assert len(ranges) == -(-n // (97 if table == "asn" else 7)) > 3
        assert ranges[0][0] is None and ranges[-1][1] is None and all(a[1] == b[0] for a, b in zip(ranges, ranges[1:]))
    monkeypatch.setattr(panels, "SKM_CHUNK_ROWS", 640)  # and of about 640 responses, cut at sampled keys
    ranges = panels.skm_ranges(con)
    (n,) = con.execute("select count(*) from skm").fetchone()
    sizes = [con.execute(f"select count(*) from skm where {panels._in_range('response_id', r)}").fetchone()[0] for r in ranges]
    assert len(ranges) > 3 and sum(sizes) == n and max(sizes) < 3 * 640  # a partition of the responses
    assert ranges[0][0] is None and ranges[-1][1] is None and all(a[1] == b[0] for a, b in zip(ranges, ranges[1:]))
    got = panels.build_panels(run["interim"], tmp_path / "processed")
    for name, path in run["panels"].items():
        assert got[name].read_bytes() == path.read_bytes(), name


def test_staff_counts_follow_each_employees_first_full_month_and_first_course(run):
    """The unit-month staff (counted per employee's starting period, then summed) against the definition,
    counted directly: active at a month when ``active_from`` is on or before its first day; trained when the
    first course started before the month ended. Joins in mid-month and courses before the window included."""
    from analysis.panels import connect_frames, unit_month_panel

    tables = {n: _read(run["interim"] / f"{n}.parquet") for n in schemas.CANONICAL}
    asn, training = tables["asn"].copy(), tables["training"].copy()
    asn.loc[asn.index[::3], "active_from"] += pd.Timedelta(days=10)  # joined in mid-month: counted from the next
    asn.loc[asn.index[1::7], "active_from"] -= pd.DateOffset(years=5)  # joined before the window
    training.loc[training.index[::5], "start_date"] -= pd.DateOffset(years=4)  # trained before the window
    got = unit_month_panel(connect_frames({**tables, "asn": asn, "training": training}))
    first = training.groupby("asn_id")["start_date"].min()
    staff = asn.assign(first_training=asn["asn_id"].map(first))
    want_asn, want_trained = [], []
    for unit, month in zip(got["unit_id"], got["month"]):
        s = staff[(staff["unit_id"] == unit) & (staff["active_from"] <= month)]
        want_asn.append(len(s))
        want_trained.append(int((s["first_training"] < month + pd.DateOffset(months=1)).sum()))
    assert (asn["active_from"].dt.day > 1).any() and got["n_asn"].tolist() == want_asn
    want_cov = [t / a if a else float("nan") for t, a in zip(want_trained, want_asn)]
    pd.testing.assert_series_equal(got["training_coverage"], pd.Series(want_cov, name="training_coverage"),
                                   check_exact=True)


def test_a_streamed_panel_breaking_its_schema_names_table_column_rows_and_writes_nothing(run, tmp_path):
    import shutil

    from analysis.engine.checks import SchemaViolation

    interim = tmp_path / "interim"
    shutil.copytree(run["interim"], interim)
    skm = _read(interim / "skm.parquet")
    skm = pd.concat([skm, skm.iloc[[3]]], ignore_index=True)  # a response twice: the key repeats
    skm["age"] = skm["age"].astype("Float64")
    skm.loc[10, "age"] = None  # a non-nullable column with a gap
    skm.to_parquet(interim / "skm.parquet", index=False)
    processed = tmp_path / "processed"
    processed.mkdir()
    (processed / "keep.txt").write_text("untouched")
    with pytest.raises(SchemaViolation) as exc:
        build_panels(interim, processed)
    msg = str(exc.value)
    assert msg.startswith("skm_respondents: ") and "column 'age' fails not_nullable in 1 rows" in msg
    assert "key (response_id) not unique: 1 values repeated; first rows: " in msg
    resp_id = skm.loc[3, "response_id"]
    assert resp_id not in msg, "key values are named by row, not by value"
    assert sorted(p.name for p in processed.iterdir()) == ["keep.txt"]
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".processed-")], "no scratch left behind"


def test_sql_checks_pass_the_panels_pandera_passes_and_name_a_value_that_fails(run, tmp_path):
    import duckdb

    from analysis.engine.checks import SchemaViolation, check_parquet
    from analysis.io import write_parquet
    from analysis.panels import panel_arrow_schema

    con = duckdb.connect()
    for name, path in run["panels"].items():  # the SQL form of every panel schema accepts what pandera did
        check_parquet(con, path, PANEL_SCHEMAS[name], panel_arrow_schema(name))
    iq = _read(run["panels"]["ikm_unit_quarter"])
    iq.loc[4, "mutu"] = "E"
    bad = write_parquet(iq, tmp_path / "iq.parquet")
    with pytest.raises(SchemaViolation, match=r"ikm_unit_quarter: column 'mutu' fails isin in 1 rows; "
                                              r"first rows: 4 \('E'\)"):
        check_parquet(con, bad, PANEL_SCHEMAS["ikm_unit_quarter"], panel_arrow_schema("ikm_unit_quarter"))
    with pytest.raises(SchemaViolation, match="columns or types differ"):
        check_parquet(con, bad, PANEL_SCHEMAS["ikm_unit_quarter"], panel_arrow_schema("skm_respondents"))
