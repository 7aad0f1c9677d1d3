"""``generate()``: simulate a study area, write messy raw exports and the truth next to them.

Layout of ``raw_dir``::

    SYNTHETIC.json                      marker: generator version, seed, parameters
    master/daftar_unit.xlsx             unit master list
    master/jadwal_kpi.csv               KPI rollout schedule
    simpeg/pegawai.csv                  ASN roster (NIP/NI, golongan, unit)
    ekinerja/skp_<year>.csv             monthly SKP appraisals
    diklat/riwayat_diklat.xlsx          training records
    antrian/antrian_<unit>_<year>.csv   queue tickets per ticketing unit
    skm/skm_<unit>.csv                  SKM responses per unit
    skm/rekap_layanan.csv               users served per unit and quarter
    skdr/skdr_<year>.csv                weekly disease counts
    sekolah/asesmen_sekolah.xlsx        school assessment per semester
    _truth/clean/<table>.parquet        what cleaning must output (pseudonymised)
    _truth/raw_rows.parquet             every raw row that is not plain clean: corrupt/test/dup + reason
    _truth/att_gt.parquet, aggregates.parquet, cohorts.parquet   true effects (unit panels; skp_good on
                                        the employee panel, panel_asn_month)
    _truth/single_office.parquet        true effect of the online-queue launch at one office
    _truth/uptake.parquet               each unit's true uptake and effect multiplier
    _truth/unit_effects.parquet         each adopting unit's true effect (mean over its post-adoption months)
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd

from analysis import schemas
from analysis import study as St
from analysis.io import write_parquet
from analysis.panels import OUTCOMES_MONTH, compute_panels, connect_frames
from analysis.pseudonym import DEMO_KEY, pseudonymise_series
from analysis.synth import catalog
from analysis.synth import export as X
from analysis.synth.config import SynthConfig
from analysis.synth.marker import MARKER, write_marker
from analysis.synth.queue import apply_launch, launch_of, single_office_truth
from analysis.synth.truth import aggregates, asn_att_gt, att_gt
from analysis.synth.uptake import apply_uptake, assign_uptake, unit_truth
from analysis.synth.world import build_tables, make_design, make_draws, make_roster

GENERATOR_VERSION = "1.0.0"


def canonical(tables: dict[str, pd.DataFrame], key: bytes = DEMO_KEY) -> dict[str, pd.DataFrame]:
    """Pseudonymise NIPs, drop names and helper columns, cast to the canonical schemas."""
    out = {}
    for name, df in tables.items():
        df = df.copy()
        if "nip" in df:
            df["asn_id"] = pseudonymise_series(df["nip"], key)
        if "supervisor_nip" in df:
            df["supervisor_id"] = pseudonymise_series(df["supervisor_nip"], key)
        out[name] = schemas.conform(df, schemas.CANONICAL[name])
    return out


def _txt(s: pd.Series) -> np.ndarray:
    """Numbers as text cells (numpy formatting, no pandas string dtype round trip)."""
    return s.to_numpy().astype(str).astype(object)


def _raw_files(t: dict[str, pd.DataFrame], m, rng: np.random.Generator, sink, study) -> None:
    """Build each raw file and hand ``sink(file, canonical source rows)`` the finished one.

    Source rows align with the file's rows before messing. A file is finished when the
    next one starts, so only one file's text cells are held at a time.
    """
    pending = []
    units = t["units"]
    name_of = units.set_index("unit_id")["unit_name"]
    variants = {n: X.name_variants(n, study.city) for n in units["unit_name"]}

    def unit_cells(ids: pd.Series) -> pd.Series:
        return X.pick(ids.map(name_of), variants, m.unit_name_variants, rng)

    def dates(s):
        return X.fmt_date(s, X.styles(len(s), m.date_formats, rng))

    def new(relpath, table, src, cells, **kw):
        src = src.reset_index(drop=True)
        cells = {k: np.array(v.to_numpy(dtype=object) if isinstance(v, pd.Series) else v, dtype=object)
                 for k, v in cells.items()}  # writable copies: corruptions edit cells in place
        f = X.RawFile(relpath, table, cells, **kw)
        if pending:
            sink(*pending.pop())
        pending.append((f, src))
        return f

    types = X.labels("unit_type", units["unit_type"].unique())
    new("master/daftar_unit", "units", units, {
        "code": units["unit_id"], "name": units["unit_name"], "type": units["unit_type"].map(lambda u: types[u][0]),
        "opd": units["opd"], "kel": units["kelurahan"], "dist": units["distance_km"].map(lambda v: f"{v:.1f}")},
        excel=True, numeric=("dist",))
    ad = t["adoption"]
    new("master/jadwal_kpi", "adoption", ad, {"name": unit_cells(ad["unit_id"]), "start": dates(ad["adoption_month"])})
    asn = t["asn"]
    new("simpeg/pegawai", "asn", asn, {
        "nip": X.fmt_nip(asn["nip"], X.styles(len(asn), m.nip_spaces, rng)), "nama": asn["name"],
        "status": asn["status"], "gol": asn["golongan"], "unit": unit_cells(asn["unit_id"]),
        "tmt": dates(asn["active_from"])})
    # SKP per year, in export order (month, unit, NIP)
    skp = t["skp"].sort_values(["month", "unit_id", "nip"], kind="mergesort")
    nama = t["asn"].set_index("nip")["name"]
    rating, predikat = X.labels("rating"), X.labels("predikat", schemas.PREDIKAT)
    for year, part in skp.groupby(skp["month"].dt.year, sort=True):
        n = len(part)
        f = new(f"ekinerja/skp_{year}", "skp", part, {
            "nip": X.fmt_nip(part["nip"], X.styles(n, m.nip_spaces, rng)), "nama": part["nip"].map(nama),
            "unit": unit_cells(part["unit_id"]), "periode": X.fmt_month(part["month"], X.styles(n, m.date_formats, rng)),
            "hasil": X.pick(part["hasil_kerja"], rating, m.category_variants, rng),
            "perilaku": X.pick(part["perilaku"], rating, m.category_variants, rng),
            "predikat": X.pick(part["predikat"], predikat, m.category_variants, rng),
            "atasan": X.fmt_nip(part["supervisor_nip"], X.styles(n, m.nip_spaces, rng)),
            "kirim": dates(part["submitted_on"])})

        def bad_nip(i, f=f):
            f.cells["nip"][i] = "".join(ch for ch in f.cells["nip"][i] if ch.isdigit())[:-1]
            return "asn_id"

        def bad_unit(i, f=f):
            f.cells["unit"][i] = X.unknown_unit(study)
            return "unit_id"

        X.corrupt(f, rng, m.invalid_nip, "invalid_nip", bad_nip)
        X.corrupt(f, rng, m.unknown_unit, "unknown_unit", bad_unit)
        X.add_duplicates(f, rng, m.duplicates)
    tr = t["training"].sort_values(["start_date", "nip", "course"], kind="mergesort")
    titles = {c: (title, title.upper(), f"{title} Angkatan II") for c, title in study.courses.items()}
    f = new("diklat/riwayat_diklat", "training", tr, {
        "nip": X.fmt_nip(tr["nip"], X.styles(len(tr), m.nip_spaces, rng)), "nama": tr["nip"].map(nama),
        "diklat": X.pick(tr["course"], titles, m.category_variants, rng), "mulai": dates(tr["start_date"]),
        "selesai": dates(tr["end_date"]), "jp": _txt(tr["hours"])}, excel=True, numeric=("jp",))
    X.add_duplicates(f, rng, m.duplicates)
    # tickets per unit and year
    tk = t["tickets"]
    svc_var = X.labels("service", study.services)
    for (uid, year), part in tk.groupby([tk["unit_id"], tk["issued_at"].dt.year], sort=True):
        n = len(part)
        ts = X.styles(n, m.date_formats, rng, 2)
        f = new(f"antrian/antrian_{uid}_{year}", "tickets", part, {
            "no": part["ticket_no"], "unit": unit_cells(part["unit_id"]), "tanggal": dates(part["issued_at"]),
            "layanan": X.pick(part["service"], svc_var, m.category_variants, rng),
            "jalur": X.pick(part["channel"], X.labels("channel"), m.category_variants, rng),
            "ambil": X.fmt_time(part["issued_at"], ts), "panggil": X.fmt_time(part["called_at"], ts),
            "mulai": X.fmt_time(part["served_at"], ts), "selesai": X.fmt_time(part["finished_at"], ts)})
        issued = part["issued_at"].reset_index(drop=True)

        def missing_ts(i, f=f):
            col = ("panggil", "selesai")[int(rng.integers(0, 2))]
            f.cells[col][i] = ""
            return {"panggil": "called_at", "selesai": "finished_at"}[col]

        def negative_wait(i, f=f, issued=issued):
            early = issued.iloc[i] - pd.Timedelta(seconds=int(rng.integers(60, 1800)))
            f.cells["panggil"][i] = early.strftime("%H:%M:%S")
            return "called_at"

        X.corrupt(f, rng, m.missing_timestamps, "missing_timestamp", missing_ts)
        X.corrupt(f, rng, m.negative_waits, "timestamp_order", negative_wait)
        X.add_duplicates(f, rng, m.duplicates)
        n_test = int(rng.binomial(n, m.test_tickets)) if m.test_tickets > 0 else 0
        if n_test:
            day = f.cells["tanggal"][rng.integers(0, f.n, n_test)]
            const = {"unit": f.cells["unit"][0], "layanan": "TES SISTEM", "jalur": X.labels("channel")["online"][0],
                     "ambil": "06:55:00", "panggil": "06:55:30", "mulai": "06:56:00", "selesai": "06:56:10"}
            test = {"no": np.array([f"TEST-{k + 1:02d}" for k in range(n_test)], dtype=object), "tanggal": day,
                    **{k: np.full(n_test, v, dtype=object) for k, v in const.items()}}
            X.insert_rows(f, test, "test_ticket", "ticket_id", rng)
    # SKM per unit
    skm = t["skm"]
    for uid, part in skm.groupby("unit_id", sort=True):
        n = len(part)
        f = new(f"skm/skm_{uid}", "skm", part, {
            "id": part["response_id"], "unit": unit_cells(part["unit_id"]), "tanggal": dates(part["survey_date"]),
            "umur": _txt(part["age"]), "jk": X.pick(part["sex"], X.labels("sex"), m.category_variants, rng),
            "pendidikan": X.pick(part["education"], X.labels("education"), m.category_variants, rng),
            "pekerjaan": X.pick(part["occupation"], X.labels("occupation"), m.category_variants, rng),
            "layanan": X.pick(part["service"], svc_var, m.category_variants, rng),
            **{f"u{i}": _txt(part[f"u{i}"]) for i in range(1, 10)}})

        def likert(i, f=f):
            col = f"u{int(rng.integers(1, 10))}"
            f.cells[col][i] = ("0", "5", "9")[int(rng.integers(0, 3))]
            return col

        def blank(i, f=f):
            col = f"u{int(rng.integers(1, 10))}"
            f.cells[col][i] = ""
            return col

        X.corrupt(f, rng, m.likert_out_of_range, "likert_out_of_range", likert)
        X.corrupt(f, rng, m.missing_values, "missing_value", blank)
        X.add_duplicates(f, rng, m.duplicates)
    vol = t["service_volume"]
    roman = {1: "I", 2: "II", 3: "III", 4: "IV"}
    tw_style = X.styles(len(vol), m.date_formats, rng, 2)
    tw = [f"TW {roman[int(q[-1])]} {q[:4]}" if s else q for q, s in zip(vol["quarter"], tw_style)]
    new("skm/rekap_layanan", "service_volume", vol, {"unit": unit_cells(vol["unit_id"]), "tw": tw,
                                                     "n": _txt(vol["users_served"])})
    h = t["health"]
    for year, part in h.groupby(h["week_start"].dt.year, sort=True):
        new(f"skdr/skdr_{year}", "health", part, {
            "unit": unit_cells(part["unit_id"]), "minggu": dates(part["week_start"]),
            "penyakit": X.pick(part["disease"], X.labels("disease"), m.category_variants, rng),
            "kasus": _txt(part["cases"]), "pop": _txt(part["population"])})
    sc = t["schools"]
    st = X.styles(len(sc), m.date_formats, rng)
    sem = []
    for d, s in zip(sc["semester_start"], st):
        ay = f"{d.year}/{d.year + 1}" if d.month == 7 else f"{d.year - 1}/{d.year}"
        half = ("Ganjil", "1") if d.month == 7 else ("Genap", "2")
        sem.append((f"{half[0]} {ay}", f"{ay} {half[0]}", f"Semester {half[1]} {ay}")[s])
    new("sekolah/asesmen_sekolah", "schools", sc, {
        "unit": unit_cells(sc["unit_id"]), "sem": sem, "nilai": sc["assessment_score"].map(lambda v: f"{v:.2f}"),
        "siswa": _txt(sc["n_students"])}, numeric=("nilai",))
    sink(*pending.pop())


def generate(raw_dir: Path, config: SynthConfig = SynthConfig(), *, bulk_above_units: int | None = None,
             workers: int = 2) -> Path:
    """Simulate the data set of ``config`` into ``raw_dir`` (replacing what the generator wrote before).

    A study with more units than ``bulk_above_units`` (default :data:`analysis.synth.bulk.BULK_ABOVE_UNITS`)
    is written as partitioned bulk exports by :mod:`analysis.synth.bulk` with ``workers`` processes;
    smaller studies (a kecamatan, a city) by the generator below, byte for byte as before.
    """
    raw_dir = Path(raw_dir)
    cfg = config
    if raw_dir.exists():
        leftovers = [p.name for p in raw_dir.iterdir() if p.name not in (".gitkeep", MARKER)]
        if leftovers and not (raw_dir / MARKER).is_file():
            raise FileExistsError(f"{raw_dir} holds files that the generator did not write ({leftovers[:3]}...); "
                                  "refusing to overwrite what may be real exports")
        for child in raw_dir.iterdir():  # keep e.g. .gitkeep, drop earlier synthetic exports
            if child.is_dir():
                shutil.rmtree(child)
            elif child.suffix in (".csv", ".xlsx", ".json"):
                child.unlink()
    raw_dir.mkdir(parents=True, exist_ok=True)
    from analysis.synth import bulk

    study = St.load(cfg.study)
    if bulk.use_bulk(study, bulk_above_units):
        info = bulk.generate_bulk(raw_dir, cfg, study, workers=workers)
        write_marker(raw_dir, {**_marker_info(cfg), "bulk": info})
        return raw_dir
    rng = np.random.default_rng(np.random.SeedSequence([cfg.seed, 1]))
    design = make_design(cfg, rng)
    uptake = assign_uptake(design, cfg.seed, cfg.paper_share)  # scales each adopter's effect by its uptake
    roster = make_roster(design, rng)
    draws = make_draws(design, roster, rng)
    launch = launch_of(cfg, design.cal)
    no_launch = apply_uptake(build_tables(design, roster, draws, treated=True), design, uptake, cfg.seed, True)
    observed = apply_launch(no_launch, design.cal, launch)
    untreated = apply_launch(apply_uptake(build_tables(design, roster, draws, treated=False), design, uptake,
                                          cfg.seed, False), design.cal, launch)

    # truth: effects on the panels built from both worlds
    obs_c, cf_c = canonical(observed), canonical(untreated)
    p_obs = compute_panels(connect_frames(obs_c))
    p_cf = compute_panels(connect_frames(cf_c))
    cells = pd.concat([att_gt(p_obs, p_cf), asn_att_gt(p_obs, p_cf)], ignore_index=True)
    truth = raw_dir / "_truth"
    (truth / "clean").mkdir(parents=True)
    if launch is not None:
        p_nl = compute_panels(connect_frames(canonical(no_launch)))
        write_parquet(single_office_truth(p_obs["panel_unit_month"], p_nl["panel_unit_month"], launch),
                      truth / "single_office.parquet")
    write_parquet(unit_truth(p_obs["panel_unit_month"], p_cf["panel_unit_month"], OUTCOMES_MONTH),
                  truth / "unit_effects.parquet")
    del untreated, cf_c, p_cf, p_obs, no_launch  # only the observed world is exported
    write_parquet(cells, truth / "att_gt.parquet")
    write_parquet(aggregates(cells), truth / "aggregates.parquet")
    cohorts = design.units[["unit_id", "first_treat", "cohort_mult", "pretrend"]]
    write_parquet(cohorts.sort_values("unit_id").reset_index(drop=True), truth / "cohorts.parquet")
    write_parquet(uptake.sort_values("unit_id").reset_index(drop=True), truth / "uptake.parquet")

    # raw exports + expected clean tables
    mrng = np.random.default_rng(np.random.SeedSequence([cfg.seed, 2]))
    logs, dropped = [], {}

    def write(f: X.RawFile, src: pd.DataFrame) -> None:
        rel = X.write_file(f, raw_dir, cfg.messy, mrng)
        logs.append(X.log_rows(f, rel))
        bad = f.status["src"][f.status["kind"] == "corrupt"]
        dropped.setdefault(f.table, []).append(src.iloc[np.sort(bad)])

    _raw_files(observed, cfg.messy, mrng, write, St.load(cfg.study))
    for name, df in obs_c.items():
        gone = pd.concat(dropped.get(name, []), ignore_index=True) if dropped.get(name) else None
        if gone is not None and len(gone):
            key = schemas.CANONICAL[name].metadata["key"]
            gone_c = canonical({name: gone})[name][key]
            df = df.merge(gone_c.assign(_gone=True), on=key, how="left")
            df = df[df["_gone"].isna()].drop(columns="_gone")
        write_parquet(schemas.conform(df, schemas.CANONICAL[name]), truth / "clean" / f"{name}.parquet")
    log = pd.concat(logs, ignore_index=True).sort_values(["file", "row_number"]).reset_index(drop=True)
    write_parquet(log.astype({"file": "str", "table": "str", "kind": "str", "reason": "str", "column": "str"}),
                  truth / "raw_rows.parquet")
    write_marker(raw_dir, _marker_info(cfg))  # with the hash of every file written, so a changed export is noticed
    return raw_dir


def _marker_info(cfg: SynthConfig) -> dict:
    return {"synthetic": True, "generator": "analysis.synth", "version": GENERATOR_VERSION, "seed": cfg.seed,
            "parameters": cfg.to_dict(),
            "pseudonym_key": "public demo key analysis.pseudonym.DEMO_KEY (synthetic data only)"}
