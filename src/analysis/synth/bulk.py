"""Bulk generator: a province or the nation as partitioned exports, written by DuckDB SQL in a process pool.

Above ``BULK_ABOVE_UNITS`` units (a parameter of :func:`analysis.synth.generate`) the generator writes the
exports the way regional systems dump them in bulk: gzip CSV per kabupaten/kota and period, at most about
2 million rows a file (``antrian/antrian_<kab>_<YYYY-MM>.csv.gz``, ``ekinerja/skp_<kab>_<YYYY>.csv.gz``,
``simpeg/pegawai_<kab>.csv.gz`` ...), with each file's header spelling drawn from the export profiles'
spellings, unit codes in the unit column, and the messy patterns of :class:`MessyConfig` (date, time and
NIP styles, label variants, duplicates, corrupt and test rows) at the configured rates. The unit master
list and the KPI schedule stay single CSV files.

How memory stays bounded: the roster (one row per ASN) is built once in DuckDB (spilling to disk if it
must); every other table is generated per kabupaten/kota and month or year, in worker processes that
each hold one DuckDB connection with a memory limit, so peak memory depends on the largest partition,
not on the area. Randomness is keyed by (seed, what, unit/employee/day/index) (:mod:`bulk_sql`), so the
bytes do not depend on the number of workers.

Written besides the exports (``_truth/``): ``cohorts.parquet`` (unit, first_treat, cohort multiplier,
pretrend loading), ``att_gt.parquet`` and ``aggregates.parquet`` (true ATT(g,t) of the monthly outcomes
on the generated rows: observed minus never-adopted world, same draws), and ``raw_rows.parquet`` (every
raw row that is not plain clean: duplicate, corrupt with the reason cleaning must give, test ticket), so
row accounting can be checked file by file. Not written in bulk mode: the expected clean tables
(``_truth/clean``, as big as the data), the uptake, single-office and per-unit truths (the bulk world
has no uptake variation and no single-office launch), and the weekly health truth.
"""

from __future__ import annotations

import hashlib
import shutil
import tempfile
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict
from multiprocessing import get_context
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from analysis import schemas
from analysis.synth import bulk_sql as Q
from analysis.synth import catalog as C
from analysis.synth import export as X
from analysis.synth.config import MessyConfig, SynthConfig

#: Studies with more units than this are written by the bulk generator: a kecamatan (34 units in the default
#: study) or a city (~200) keep today's generator; a province (~4,500) or the nation (~120,000) go bulk.
BULK_ABOVE_UNITS = 1000
#: Files hold at most about this many rows (SKP and ticket partitions are split by period before that).
MAX_ROWS = 2_000_000
WORKER_MEMORY = "1GB"
OUTCOMES = ["ikm", "wait_minutes", "service_minutes", "share_within_1h", "online_share", "skp_good_share",
            "assessment_score"]
_WAIT_CAP_S = 480 * 60 - 1  # plausibility.yaml durations: longer waits/services are rejected as implausible
_SERV_CAP_S = 240 * 60 - 1


def _connect(work: Path, threads: int = 1, memory: str = WORKER_MEMORY) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute(f"set threads = {threads}")
    con.execute(f"set memory_limit = '{memory}'")
    con.execute(f"set temp_directory = '{(work / 'spill').as_posix()}'")
    con.execute("set preserve_insertion_order = true")
    return con


# --------------------------------------------------------------------------- calendar
def calendar(cfg: SynthConfig) -> dict[str, pd.DataFrame]:
    start = pd.Timestamp(cfg.start + "-01")
    months = pd.date_range(start, periods=cfg.months, freq="MS")
    end = months[-1] + pd.offsets.MonthEnd(0)
    days = pd.bdate_range(start, end)
    surge = np.ones(len(days))
    for _, dt in C.LEBARAN.items():
        lb = pd.Timestamp(dt)
        surge[(days > lb) & (days <= lb + pd.Timedelta(days=30))] = C.LEBARAN_SURGE
    period = (days.year - start.year) * 12 + days.month - start.month + 1
    quarter = [f"{d.year}Q{d.quarter}" for d in days]
    day_df = pd.DataFrame({"day": days, "period": period, "quarter": quarter, "surge": surge})
    day_df["q_rank"] = day_df.groupby("quarter").cumcount()
    first_sun = start + pd.Timedelta(days=(6 - start.day_of_week) % 7)
    weeks = pd.date_range(first_sun, end - pd.Timedelta(days=6), freq="7D")
    sem = pd.date_range(months[0] - pd.offsets.MonthBegin(5), months[-1], freq="MS")
    sem = sem[sem.month.isin([1, 7])]
    return {"months": pd.DataFrame({"period": np.arange(1, len(months) + 1), "month": months}),
            "days": day_df, "weeks": pd.DataFrame({"week_start": weeks}),
            "semesters": pd.DataFrame({"semester_start": sem})}


# --------------------------------------------------------------------------- design (main process)
def _list(values) -> str:
    return "[" + ", ".join(repr(v) for v in values) + "]"


def design_units(study, cfg: SynthConfig, d: Q.Draw) -> pd.DataFrame:
    """Unit catalogue with sizes, kab/kota, cohort (adoption in waves by kecamatan), effects and unit draws."""
    cat = study.units
    units = C.units(study)
    units["kelurahan_code"] = cat["kelurahan_code"].to_numpy()
    units["given_km"] = cat["distance_km"].to_numpy()
    cohorts = sorted({int(round(f * cfg.months)) + 1 for f in cfg.cohort_fractions})
    cohorts = [c for c in cohorts if 2 <= c <= cfg.months]
    mults = np.linspace(1.3, 0.6, len(cohorts)) if len(cohorts) > 1 else np.array([1.0])
    con = duckdb.connect()
    con.register("cat", units)
    k = len(cohorts)
    coh = (f"floor(({d.u('cohort', 'kec')} - {cfg.never_share}) / (1 - {cfg.never_share}) * {k})::bigint")
    sql = f"""
    with base as (
      select *, kelurahan_code[1:5] as kab, kelurahan_code[1:8] as kec from cat
    ), c as (
      select *, case when {d.u('cohort', 'kec')} < {cfg.never_share} then -1 else least({coh}, {k - 1}) end as ci
      from base
    )
    select unit_id, unit_name, unit_type, opd, kelurahan, kelurahan_code, kab, kec,
           staff::bigint as staff, daily_tickets::bigint as daily_tickets, users_per_day::bigint as users_per_day,
           coalesce(given_km, round(0.3 + {d.u('dist', 'unit_id')} * 6.2, 1)) as distance_km,
           case when ci < 0 then 0 else {_list(cohorts)}[ci + 1] end as first_treat,
           case when ci < 0 then 0.0 else {_list([float(x) for x in mults])}[ci + 1] end as cohort_mult,
           case when ci < 0 then 0.0 else {cfg.pretrend_violation} * (ci + 1) / {k} end as pretrend,
           {d.n('fx_skp', 'unit_id')} * 0.3 as fx_skp,
           exp({d.n('fx_wait', 'unit_id')} * 0.2) as fx_wait,
           {d.n('fx_online', 'unit_id')} * 0.4 as fx_online,
           {d.n('fx_skm', 'unit_id')} * 0.15 as fx_skm,
           exp({d.n('fx_health', 'unit_id')} * 0.25) as fx_health,
           70 + {d.n('fx_school', 'unit_id')} * 6 as fx_school,
           {d.i('students', 150, 450, 'unit_id')} as fx_students,
           {d.i('pop0', C.CATCHMENT['puskesmas'][0], C.CATCHMENT['puskesmas'][1], 'unit_id')} as pop0
    from c order by unit_id
    """
    for m in Q.macros(cfg.seed, cfg):
        con.execute(m)
    out = con.execute(sql).df()
    con.close()
    return out


def build_roster(con: duckdb.DuckDBPyConnection, cfg: SynthConfig, d: Q.Draw, dest: Path) -> None:
    """One row per ASN (as world.make_roster); NIP serials numbered within birth date + TMT + sex, as
    real serials are, so NIPs are unique in the whole area whatever the partitioning."""
    start = pd.Timestamp(cfg.start + "-01")
    sy, nm = start.year, cfg.months
    key = "unit_id, j"
    gol = Q.pick_list(list(schemas.GOLONGAN_PNS))
    first, last = Q.pick_list(list(C.FIRST_NAMES)), Q.pick_list(list(C.LAST_NAMES))
    con.execute(f"""
    create or replace temp table roster0 as
    with e as (
      select u.unit_id, u.unit_type, u.kab, u.kec, unnest(range(u.staff)) as j from units u
    ), a as (
      select *, j = 0 as head,
             j > 0 and {d.u('joiner', key)} < 0.1 as joiner,
             case when unit_type in ('school', 'puskesmas') then 0.35 else 0.15 end as pppk_p,
             case when unit_type in ('school', 'puskesmas') then 0.65 else 0.5 end as female_p
      from e
    ), b as (
      select *, j > 0 and (joiner or {d.u('pppk', key)} < pppk_p) as pppk,
             case when {d.u('sex', key)} < female_p then 2 else 1 end as sex
      from a
    ), c as (
      select *,
        case when pppk then {d.i('by_pppk', 1975, 2000, key)} else {d.i('by_pns', 1966, 1997, key)} end as byear,
        make_date(0 + 2000, {d.i('bm', 1, 13, key)}::int, {d.i('bd', 1, 29, key)}::int) as bmd,
        case when joiner then (date '{start.date()}' + to_months({d.i('join', 1, nm, key)}::int))
             else (date '{start.date()}' - to_months({d.i('tenure', 1, 120, key)}::int)) end as active_from
      from b
    ), f as (
      select *,
        make_date(byear::int, month(bmd), day(bmd)) as birth,
        least(byear + {d.i('ty', 22, 31, key)}, {sy - 1}) as ty,
        case when joiner then year(active_from) else {d.i('pppk_y', 2021, max(2022, sy) + 1, key)} end as py
      from c
    )
    select unit_id, kab, kec, j, head, active_from, sex,
      case when pppk then 'PPPK' else 'PNS' end as status,
      strftime(birth, '%Y%m%d') ||
        case when pppk then py::varchar || '2' || {d.i('pppk_m', 1, 3, key)}::varchar
             else ty::varchar || lpad({d.i('tm', 1, 13, key)}::varchar, 2, '0') end || sex::varchar as prefix,
      case when pppk then ['V', 'VII', 'IX', 'X'][{d.i('golp', 0, 4, key)} + 1]
           else {gol}[least(4 + ({sy} - ty) // 4 + {d.i('golr', 0, 3, key)} + case when head then 6 else 0 end,
                            {len(schemas.GOLONGAN_PNS) - 1}) + 1] end as golongan,
      {first}[{d.i('fn', 0, len(C.FIRST_NAMES), key)} + 1] || ' ' || {last}[{d.i('ln', 0, len(C.LAST_NAMES), key)} + 1]
        as name,
      {d.n('person', key)} * 0.6 as person
    from f
    """)
    # supervisors: the unit head for staff; the camat for unit heads; for the camat, the kab/kota's
    # sekretaris daerah (an NIP outside the roster)
    con.execute(f"""
    copy (
      with r as (
        select * exclude (prefix), prefix || lpad(row_number() over (partition by prefix order by unit_id, j)::varchar,
                                                   3, '0') as nip
        from roster0
      ), heads as (select unit_id, kec, nip from r where head),
      camat as (select kec, nip from heads where unit_id like 'KEC%'),
      sekda as (
        select kab, strftime(make_date({d.i('sk_by', 1966, 1975, 'kab')}::int, {d.i('sk_bm', 1, 13, 'kab')}::int,
                                       {d.i('sk_bd', 1, 29, 'kab')}::int), '%Y%m%d')
                    || ({d.i('sk_by', 1966, 1975, 'kab')} + 25)::varchar || '031'
                    || lpad({d.i('sk_seq', 1, 1000, 'kab')}::varchar, 3, '0') as nip
        from (select distinct kab from units)
      )
      select r.*, case when not r.head then h.nip
                       when r.unit_id not like 'KEC%' then coalesce(c.nip, s.nip) else s.nip end as supervisor_nip
      from r left join heads h on h.unit_id = r.unit_id left join camat c on c.kec = r.kec
      left join sekda s on s.kab = r.kab
      order by r.unit_id, r.j
    ) to '{dest.as_posix()}' (format parquet)""")


# --------------------------------------------------------------------------- writing one file
def _headers(table: str, seed: int, rel: str, m: MessyConfig) -> dict[str, str]:
    """One header spelling per file (the export profiles' spellings, export.HEADERS), drawn by file name."""
    v = int(hashlib.sha256(f"{seed}:header:{rel}".encode()).hexdigest(), 16) % 3 if m.header_variants else 0
    return {k: spellings[v] for k, spellings in X.headers(table).items()}


def write_rows(con, raw_dir: Path, rel: str, table: str, source: str, cells: dict[str, str], order: str,
               cfg: SynthConfig) -> pd.DataFrame:
    """COPY ``cells`` (field -> SQL expression over ``source``) to ``rel`` as gzip CSV in ``order``;
    return the log of rows that are not plain clean (file, row_number, table, kind, reason, column)."""
    heads = _headers(table, cfg.seed, rel, cfg.messy)
    path = raw_dir / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    con.execute(f"create or replace temp table _out as select row_number() over (order by {order}) as _rn, * "
                f"from {source} _s")
    select = ", ".join(f"{expr} as \"{heads[f]}\"" for f, expr in cells.items())
    con.execute(f"copy (select {select} from _out order by _rn) to '{path.as_posix()}' "
                f"(format csv, header, compression gzip)")
    log = con.execute(f"""select {Q.lit(rel)} as file, _rn as row_number, {Q.lit(table)} as "table", _kind as kind,
                          _reason as reason, _column as "column" from _out where _kind <> 'ok' order by _rn""").df()
    con.execute("drop table _out")
    return log


# --------------------------------------------------------------------------- one kab/kota
def _partition(job: dict) -> dict:
    """Write every partitioned export of one kab/kota; return paths of its row log and truth parts."""
    cfg = SynthConfig(**{**job["cfg"], "messy": MessyConfig(**job["cfg"]["messy"]),
                         "cohort_fractions": tuple(job["cfg"]["cohort_fractions"])})
    raw_dir, work, kab = Path(job["raw_dir"]), Path(job["work"]), job["kab"]
    con = _connect(work)
    d = Q.Draw(cfg.seed)
    for m in Q.macros(cfg.seed, cfg):
        con.execute(m)
    con.execute(f"create temp table units as select * from read_parquet('{job['units']}') where kab = '{kab}'")
    con.execute(f"create temp table roster as select * from read_parquet('{job['roster']}') where kab = '{kab}'")
    for name in ("months", "days", "weeks", "semesters"):
        con.execute(f"create temp table {name} as select * from read_parquet('{work / (name + '.parquet')}')")
    con.execute(f"create temp table truth (unit_id varchar, period bigint, outcome varchar, y_obs double, y_cf double)")
    logs: list[pd.DataFrame] = []
    for fn in (_asn, _skp_training, _tickets, _skm, _health, _schools):
        logs += fn(con, d, cfg, raw_dir, kab, job["study_services"])
    log_path = work / "logs" / f"{kab}.parquet"
    truth_path = work / "truth" / f"{kab}.parquet"
    log = pd.concat(logs, ignore_index=True) if logs else pd.DataFrame()
    con.register("log_df", log.astype({"row_number": "int64"}) if len(log) else
                 pd.DataFrame({"file": [], "row_number": [], "table": [], "kind": [], "reason": [], "column": []}))
    con.execute(f"copy (select * from log_df) to '{log_path.as_posix()}' (format parquet)")
    con.execute(f"copy (select * from truth order by unit_id, period, outcome) to '{truth_path.as_posix()}' "
                f"(format parquet)")
    con.close()
    return {"kab": kab, "log": str(log_path), "truth": str(truth_path)}


def _flags(d: Q.Draw, key: str, corrupt: list[tuple[str, float, str]], dup: float) -> str:
    """SQL columns _kind, _reason, _column: corruptions in order (each on rows still clean), then duplicates."""
    u = d.u("corrupt", key)
    acc, whens_k, whens_r, whens_c = 0.0, [], [], []
    for reason, rate, column in corrupt:
        if rate <= 0:
            continue
        lo, acc = acc, acc + rate
        whens_r.append(f"when {u} >= {lo} and {u} < {acc} then {Q.lit(reason)}")
        whens_c.append(f"when {u} >= {lo} and {u} < {acc} then {column}")
    reason = f"(case {' '.join(whens_r)} else '' end)" if whens_r else "''"
    column = f"(case {' '.join(whens_c)} else '' end)" if whens_c else "''"
    kind = f"(case when {reason} <> '' then 'corrupt' else 'ok' end)"
    dup_flag = f"({kind} = 'ok' and {d.u('dup', key)} < {dup})" if dup > 0 else "false"
    return f"{kind} as _kind, {reason} as _reason, {column} as _column, {dup_flag} as _dup"


def _with_dups(source: str) -> str:
    """Rows plus a resubmitted copy of each ``_dup`` row right after it (kind 'dup')."""
    return (f"(select *, 0 as _copy from {source} union all by name "
            f"select * exclude (_kind, _reason, _column), 'dup' as _kind, '' as _reason, '' as _column, 1 as _copy "
            f"from {source} where _dup)")


def _asn(con, d, cfg, raw_dir, kab, services) -> list[pd.DataFrame]:
    m = cfg.messy
    con.execute(f"""create or replace temp table a as select *, 'ok' as _kind, '' as _reason, '' as _column
                    from roster""")
    st = Q.style(d, m.nip_spaces, "asn_nip", "nip")
    cells = {"nip": Q.fmt_nip("nip", st), "nama": "name", "status": "status", "gol": "golongan", "unit": "unit_id",
             "tmt": Q.fmt_date("active_from", Q.style(d, m.date_formats, "asn_tmt", "nip"))}
    return [write_rows(con, raw_dir, f"simpeg/pegawai_{kab}.csv.gz", "asn", "a", cells, "unit_id, j", cfg)]


def _skp_training(con, d, cfg, raw_dir, kab, services) -> list[pd.DataFrame]:
    """SKP per employee and active month, a file per year; training from the same rows (one file)."""
    m, logs = cfg.messy, []
    key = "_h"
    hz = "0.012 * (1 + 2.5 * e) * exp(0.3 * tr)"
    course = Q.by_cumulative("u_course", list(services["courses"]), list(C.COURSE_WEIGHTS))
    key2 = "_h"
    unknown = Q.lit(f"UPT Pelayanan Terpadu {kab} Seberang")  # matches no unit (export.unknown_unit)
    con.execute("""create or replace temp table tr_all (nip varchar, name varchar, unit_id varchar, j bigint,
                   period bigint, course varchar, start_date timestamp, end_date timestamp, hours bigint, _h ubigint)""")
    years = [y for (y,) in con.execute("select distinct year(month) from months order by 1").fetchall()]
    for year in years:
        con.execute(f"""
        create or replace temp table sk_all as
        with b0 as (
          select r.nip, r.name, r.unit_id, r.j, r.supervisor_nip, r.person, p.period, p.month, u.fx_skp,
                 u.first_treat, u.cohort_mult, u.pretrend, {d.row_hash('r.unit_id', 'r.j', 'p.period')}
          from roster r join months p on p.month >= r.active_from and year(p.month) = {year}
          join units u on u.unit_id = r.unit_id
        ), b as (
          select nip, name, unit_id, j, supervisor_nip, person, period, month, _h,
                 fx_skp, expo(first_treat, cohort_mult, period) as e,
                 pretrend * (period - 1) / 12.0 as tr,
                 {d.n('skp_n1', key)} * 0.7 as n1, {d.n('skp_n2', key)} * 0.7 as n2,
                 {d.i('lag', 1, 26, key)} as lag, {d.u('u_train', key)} as u_train, {d.u('u_course', key)} as u_course,
                 {d.i('train_day', 0, 20, key)} as train_day, {d.i('train_len', 1, 6, key)} as train_len
          from b0
        ), z as (
          select *, person + fx_skp + 0.05 * (period - 1) / 12 + 0.3 * tr + n1 as zh0,
                    0.6 * person + fx_skp + 0.3 * tr + n2 as zp0
          from b
        )
        select *,
          case when zh0 + 0.6 * e > 1.1 then 'di_atas' when zh0 + 0.6 * e < -1.2 then 'di_bawah' else 'sesuai' end
            as hasil,
          case when zp0 + 0.4 * e > 1.1 then 'di_atas' when zp0 + 0.4 * e < -1.3 then 'di_bawah' else 'sesuai' end
            as peril,
          case when zh0 > 1.1 then 'di_atas' when zh0 < -1.2 then 'di_bawah' else 'sesuai' end as hasil_cf,
          case when zp0 > 1.1 then 'di_atas' when zp0 < -1.3 then 'di_bawah' else 'sesuai' end as peril_cf,
          last_day(month) + lag::int as submitted_on
        from z
        """)
        con.execute(f"""insert into truth select unit_id, period, 'skp_good_share',
            avg(({Q.skp_predikat('hasil', 'peril')} in ({Q.GOOD}))::int),
            avg(({Q.skp_predikat('hasil_cf', 'peril_cf')} in ({Q.GOOD}))::int) from sk_all group by unit_id, period""")
        # training: a monthly hazard, more often under KPI management (as world.build_tables)
        con.execute(f"""insert into tr_all select nip, name, unit_id, j, period, {course},
                   month + to_days(train_day::int), month + to_days((train_day + train_len - 1)::int), train_len * 8, _h
                   from sk_all where u_train < {hz}""")
        con.execute(f"""create or replace temp table sk as select *, {Q.skp_predikat('hasil', 'peril')} as predikat,
                        {_flags(d, key2, [('invalid_nip', m.invalid_nip, "'asn_id'"),
                                          ('unknown_unit', m.unknown_unit, "'unit_id'")], m.duplicates)}
                        from sk_all""")
        nip_st = Q.style(d, m.nip_spaces, "skp_nip", key2)
        cells = {
            "nip": f"case when _reason = 'invalid_nip' then nip[1:17] else {Q.fmt_nip('nip', nip_st)} end",
            "nama": "name",
            "unit": f"case when _reason = 'unknown_unit' then {unknown} else unit_id end",
            "periode": Q.fmt_month("month", Q.style(d, m.date_formats, "skp_per", key2)),
            "hasil": Q.variant(d, "hasil", X.labels("rating"), m.category_variants, "skp_h", key2),
            "perilaku": Q.variant(d, "peril", X.labels("rating"), m.category_variants, "skp_p", key2),
            "predikat": Q.variant(d, "predikat", X.labels("predikat", schemas.PREDIKAT), m.category_variants,
                                  "skp_pr", key2),
            "atasan": Q.fmt_nip("supervisor_nip", Q.style(d, m.nip_spaces, "skp_at", key2)),
            "kirim": Q.fmt_date("submitted_on", Q.style(d, m.date_formats, "skp_kirim", key2))}
        logs.append(write_rows(con, raw_dir, f"ekinerja/skp_{kab}_{year}.csv.gz", "skp", _with_dups("sk"), cells,
                               "month, unit_id, nip, _copy", cfg))
        con.execute("drop table sk_all; drop table sk")
    titles = {c: (t, t.upper(), f"{t} Angkatan II") for c, t in services["courses"].items()}
    con.execute(f"create or replace temp table tr as select *, {_flags(d, key2, [], m.duplicates)} from tr_all")
    cells = {"nip": Q.fmt_nip("nip", Q.style(d, m.nip_spaces, "tr_nip", key2)), "nama": "name",
             "diklat": Q.variant(d, "course", titles, m.category_variants, "tr_c", key2),
             "mulai": Q.fmt_date("start_date", Q.style(d, m.date_formats, "tr_m", key2)),
             "selesai": Q.fmt_date("end_date", Q.style(d, m.date_formats, "tr_s", key2)),
             "jp": "hours::varchar"}
    logs.append(write_rows(con, raw_dir, f"diklat/riwayat_diklat_{kab}.csv.gz", "training", _with_dups("tr"), cells,
                           "start_date, nip, course, _copy", cfg))
    con.execute("drop table tr; drop table tr_all")
    return logs


def _tickets(con, d, cfg, raw_dir, kab, services) -> list[pd.DataFrame]:
    m, logs = cfg.messy, []
    if not con.execute("select count(*) from units where daily_tickets > 0").fetchone()[0]:
        return logs
    tkey = "_h"
    svc, mean_serv = Q.service_of(d, "unit_type", tkey)
    prio = ", ".join(Q.lit(s) for s, v in services["services"].items() if v)
    base_wait = Q.case_map("unit_type", C.BASE_WAIT, "0.0")
    svc_var = X.labels("service", services["services"])
    periods = [p for (p,) in con.execute("select period from months order by period").fetchall()]
    for p in periods:
        con.execute(f"""
        create or replace temp table tk as
        with ud as (
          select u.*, dd.day, dd.surge, dd.period,
                 u.daily_tickets * {cfg.scale} * 0.1 * dd.surge as lam
          from units u join days dd on dd.period = {p} where u.daily_tickets > 0
        ), n as (
          select *, greatest(0, round(lam + sqrt(lam) * {d.n('count', 'unit_id', 'day')}))::bigint as n from ud
        ), t as (
          select * exclude (n), unnest(range(n)) as k from n where n > 0
        ), t2 as (
          select *, {d.row_hash('unit_id', 'day', 'k')} from t
        ), b as (
          select unit_id, unit_type, day, period, k, surge, _h,
                 expo(first_treat, cohort_mult, period) as e, pretrend * (period - 1) / 12.0 as tr,
                 fx_wait, fx_online,
                 {d.i('issue_s', 0, 7 * 3600, tkey)} as issue_s, {d.u('channel', tkey)} as u_channel,
                 {d.gamma('g_wait', 2, 0.5, tkey)} as g_wait, {d.i('walk_s', 0, 181, tkey)} as walk_s,
                 {d.gamma('g_serv', 3, 1 / 3, tkey)} as g_serv, {svc} as service, {mean_serv} as mean_serv
          from t2
        ), w as (
          select *, service in ({prio}) as priority,
                 u_channel < logistic(-2.3 + 0.15 * (period - 1) / 12 + fx_online + 1.8 * e + 0.4 * tr) as online,
                 u_channel < logistic(-2.3 + 0.15 * (period - 1) / 12 + fx_online + 0.4 * tr) as online_cf,
                 {base_wait} * fx_wait * pow(surge, 0.8) * exp(0.15 * tr) as wait0
          from b
        ), s as (
          select *,
            least(round(wait0 * exp(-0.4 * e) * case when online then 0.6 else 1 end * g_wait * 60), {_WAIT_CAP_S})
              ::bigint as wait_s,
            least(round(wait0 * case when online_cf then 0.6 else 1 end * g_wait * 60), {_WAIT_CAP_S})::bigint
              as wait_cf,
            least(round(mean_serv * exp(-0.2 * e) * g_serv * 60), {_SERV_CAP_S})::bigint as serv_s,
            least(round(mean_serv * g_serv * 60), {_SERV_CAP_S})::bigint as serv_cf
          from w
        )
        select *, day + interval 27000 second + to_seconds(issue_s) as issued_at,
               row_number() over (partition by unit_id, day order by issue_s, k) as seq
        from s
        """)
        con.execute(f"""insert into truth
          select unit_id, period, unnest(['wait_minutes', 'service_minutes', 'share_within_1h', 'online_share']),
                 unnest(o), unnest(c) from (
            select unit_id, period,
                   [avg(wait_s) / 60.0, avg(serv_s) / 60.0,
                    avg(case when priority then ((wait_s + walk_s + serv_s) / 60.0 <= 60.0)::int end),
                    avg(online::int)] as o,
                   [avg(wait_cf) / 60.0, avg(serv_cf) / 60.0,
                    avg(case when priority then ((wait_cf + walk_s + serv_cf) / 60.0 <= 60.0)::int end),
                    avg(online_cf::int)] as c
            from tk group by unit_id, period)""")
        tk2 = "_h"
        con.execute(f"""create or replace temp table tkf as
          select *, case when {d.u('ts_col', tk2)} < 0.5 then 'panggil' else 'selesai' end as blank_col,
                 {d.i('early', 60, 1800, tk2)} as early_s,
                 {_flags(d, tk2, [('missing_timestamp', m.missing_timestamps,
                                   f"case when {d.u('ts_col', tk2)} < 0.5 then 'called_at' else 'finished_at' end"),
                                  ('timestamp_order', m.negative_waits, "'called_at'")], m.duplicates)},
                 {m.test_tickets > 0 and f"{d.u('test', tk2)} < {m.test_tickets}" or "false"} as _test
          from tk""")
        # test tickets written by the queue system: a row just before the chosen ticket of the same day
        src = f"""(select * exclude (_dup), seq::double as sk from {_with_dups('tkf')}
                   union all by name
                   select * exclude (_dup, _kind, _reason, _column), 'test' as _kind, 'test_ticket' as _reason,
                          'ticket_id' as _column, 0 as _copy, seq - 0.5 as sk from tkf where _test)"""
        ts = Q.style(d, m.date_formats, "tk_ts", tk2, 2)
        called = "issued_at + to_seconds(wait_s)"
        served = f"{called} + to_seconds(walk_s)"
        finished = f"{served} + to_seconds(serv_s)"
        test = "_kind = 'test'"
        no = "'A' || case when seq < 1000 then lpad(seq::varchar, 3, '0') else seq::varchar end"
        cells = {
            "no": f"case when {test} then 'TEST-' || lpad(seq::varchar, 2, '0') else {no} end",
            "unit": "unit_id",
            "tanggal": Q.fmt_date("day", Q.style(d, m.date_formats, "tk_day", tk2)),
            "layanan": f"case when {test} then 'TES SISTEM' else "
                       f"{Q.variant(d, 'service', svc_var, m.category_variants, 'tk_svc', tk2)} end",
            "jalur": f"case when {test} then {Q.lit(X.labels('channel')['online'][0])} else "
                     f"{Q.variant(d, 'case when online then ' + Q.lit('online') + ' else ' + Q.lit('walk_in') + ' end', X.labels('channel'), m.category_variants, 'tk_ch', tk2)} end",
            "ambil": f"case when {test} then '06:55:00' else {Q.fmt_time('issued_at', ts)} end",
            "panggil": f"""case when {test} then '06:55:30'
                                when _reason = 'missing_timestamp' and blank_col = 'panggil' then ''
                                when _reason = 'timestamp_order' then {Q.fmt_time('issued_at - to_seconds(early_s)', ts)}
                                else {Q.fmt_time(called, ts)} end""",
            "mulai": f"case when {test} then '06:56:00' else {Q.fmt_time(served, ts)} end",
            "selesai": f"""case when {test} then '06:56:10'
                                when _reason = 'missing_timestamp' and blank_col = 'selesai' then ''
                                else {Q.fmt_time(finished, ts)} end"""}
        month = con.execute(f"select strftime(month, '%Y-%m') from months where period = {p}").fetchone()[0]
        logs.append(write_rows(con, raw_dir, f"antrian/antrian_{kab}_{month}.csv.gz", "tickets", src, cells,
                               "unit_id, day, sk, _copy", cfg))
    con.execute("drop table if exists tk; drop table if exists tkf")
    return logs


def _skm(con, d, cfg, raw_dir, kab, services) -> list[pd.DataFrame]:
    m, logs = cfg.messy, []
    km = "floor(3.841 * n_served * 0.25 / (0.0025 * (n_served - 1) + 3.841 * 0.25) + 0.5)"
    qkey = "u.unit_id, q.quarter"
    con.execute(f"""create or replace temp table vol as
        select u.*, q.quarter, q.wd,
               round(u.users_per_day * q.wd * (0.9 + 0.25 * {d.u('served', qkey)}))::bigint as n_served
        from units u cross join (select quarter, count(*) as wd from days group by quarter) q""")
    con.execute(f"""create or replace temp table resp0 as
        with k as (
          select *, greatest(1, round({km} * (0.65 + 0.6 * {d.u('skm_k', 'unit_id', 'quarter')})
                                      * {cfg.skm_sample_scale}))::bigint as k from vol
        ), r as (select * exclude (k), unnest(range(1, k + 1)) as seq from k)
        select r.*, dd.day as survey_date, dd.period, {d.row_hash('r.unit_id', 'r.quarter', 'r.seq')} from r
        join days dd on dd.quarter = r.quarter and dd.q_rank = floor({d.u('skm_day', 'r.unit_id', 'r.quarter', 'r.seq')}
                                                                       * r.wd)::bigint""")
    rkey = "_h"
    offs = (0.0, -0.05, -0.25, 0.45, 0.05, 0.1, 0.15, -0.3, -0.1)
    edu = Q.by_cumulative(d.u("edu", rkey), list(schemas.EDUCATION), [.08, .14, .42, .12, .2, .04])
    occ = Q.by_cumulative(d.u("occ", rkey), list(schemas.OCCUPATION), [.1, .25, .22, .13, .2, .1])
    items = ", ".join(f"least(4, greatest(1, round(q + {o} + {d.n(f'skm_n{i}', rkey)} * 0.5)))::bigint as u{i}, "
                      f"least(4, greatest(1, round(q_cf + {o} + {d.n(f'skm_n{i}', rkey)} * 0.5)))::bigint as u{i}_cf"
                      for i, o in enumerate(offs, start=1))
    con.execute(f"""create or replace temp table resp as
        with b as (
          select *, expo(first_treat, cohort_mult, period) as e, pretrend * (period - 1) / 12.0 as tr,
                 {d.n('skm_r', rkey)} * 0.3 as r from resp0
        ), q as (
          select *, 3.05 + fx_skm + 0.04 * (period - 1) / 12 + 0.2 * tr + r as q_cf,
                    3.05 + fx_skm + 0.04 * (period - 1) / 12 + 0.3 * e + 0.2 * tr + r as q from b
        )
        select *, 'SKM-' || unit_id || '-' || quarter || '-' || lpad(seq::varchar, 4, '0') as response_id,
               least(80, greatest(17, round(38 + 12 * {d.n('age', rkey)})))::bigint as age,
               case when {d.u('sex', rkey)} < 0.52 then 'P' else 'L' end as sex, {edu} as education,
               {occ} as occupation, {Q.skm_service_of(d, 'unit_type', rkey)} as service, {items}
        from q""")
    avg = " + ".join(f"avg(u{i})" for i in range(1, 10))
    avg_cf = " + ".join(f"avg(u{i}_cf)" for i in range(1, 10))
    con.execute(f"""insert into truth select unit_id, period, 'ikm', ({avg}) / 9.0 * 25.0, ({avg_cf}) / 9.0 * 25.0
                    from resp group by unit_id, period""")
    svc_var = X.labels("service", services["services"])
    for (year,) in con.execute("select distinct year(survey_date) from resp order by 1").fetchall():
        con.execute(f"""create or replace temp table sm as select *, 'u' || {d.i('lik_col', 1, 10, rkey)}::varchar as bad_col,
                        ['0', '5', '9'][{d.i('lik_v', 0, 3, rkey)} + 1] as bad_val,
                        {_flags(d, rkey, [('likert_out_of_range', m.likert_out_of_range, "'u' || " + d.i('lik_col', 1, 10, rkey) + '::varchar'),
                                          ('missing_value', m.missing_values, "'u' || " + d.i('lik_col', 1, 10, rkey) + '::varchar')],
                                m.duplicates)}
                        from resp where year(survey_date) = {year}""")
        cells = {"id": "response_id", "unit": "unit_id",
                 "tanggal": Q.fmt_date("survey_date", Q.style(d, m.date_formats, "skm_d", rkey)),
                 "umur": "age::varchar", "jk": Q.variant(d, "sex", X.labels("sex"), m.category_variants, "skm_jk", rkey),
                 "pendidikan": Q.variant(d, "education", X.labels("education"), m.category_variants, "skm_ed", rkey),
                 "pekerjaan": Q.variant(d, "occupation", X.labels("occupation"), m.category_variants, "skm_oc", rkey),
                 "layanan": Q.variant(d, "service", svc_var, m.category_variants, "skm_sv", rkey)}
        for i in range(1, 10):
            cells[f"u{i}"] = (f"case when _kind = 'corrupt' and bad_col = 'u{i}' then "
                              f"(case when _reason = 'missing_value' then '' else bad_val end) else u{i}::varchar end")
        logs.append(write_rows(con, raw_dir, f"skm/skm_{kab}_{year}.csv.gz", "skm", _with_dups("sm"), cells,
                               "unit_id, quarter, seq, _copy", cfg))
    roman = "['I', 'II', 'III', 'IV']"
    tw = Q.style(d, m.date_formats, "tw", "unit_id, quarter", 2)
    con.execute("create or replace temp table v as select *, 'ok' as _kind, '' as _reason, '' as _column from vol")
    cells = {"unit": "unit_id",
             "tw": f"case when {tw} > 0 then 'TW ' || {roman}[quarter[6:6]::int] || ' ' || quarter[1:4] else quarter end",
             "n": "n_served::varchar"}
    logs.append(write_rows(con, raw_dir, f"skm/rekap_layanan_{kab}.csv.gz", "service_volume", "v", cells,
                           "unit_id, quarter", cfg))
    con.execute("drop table resp0; drop table resp; drop table vol")
    return logs


def _health(con, d, cfg, raw_dir, kab, services) -> list[pd.DataFrame]:
    m, logs = cfg.messy, []
    start = pd.Timestamp(cfg.start + "-01")
    rates = list(C.DISEASE_RATE.items())
    dis = Q.pick_list([k for k, _ in rates])
    rate = "[" + ", ".join(repr(v) for _, v in rates) + "]"
    hkey = "unit_id, week_start, dis"
    period = f"((year(week_start) - {start.year}) * 12 + month(week_start) - {start.month} + 1)"
    con.execute(f"""create or replace temp table h as
        with b as (
          select u.unit_id, u.first_treat, u.cohort_mult, u.pretrend, u.fx_health, u.pop0, w.week_start,
                 unnest(range(1, {len(rates) + 1})) as di
          from units u cross join weeks w where u.unit_type = 'puskesmas'
        ), c as (
          select *, {dis}[di] as dis, {rate}[di] as rate, {period} as period,
                 round(pop0 * pow(1.012, year(week_start) - {start.year}))::bigint as population
          from b
        )
        select *, greatest(0, round(mu + sqrt(mu) * {d.n('cases', hkey)}))::bigint as cases
        from (select *, rate * population / 1e4
                        * case when dis = 'suspek_dbd' and month(week_start) in (12, 1, 2, 3) then 2.5
                               when dis = 'ili' and month(week_start) in (11, 12, 1, 2) then 1.3 else 1.0 end
                        * fx_health * exp(0.1 * pretrend * (period - 1) / 12.0)
                        * exp(-0.2 * expo(first_treat, cohort_mult, period)) as mu from c)""")
    hk = "unit_id, week_start, dis"
    for (year,) in con.execute("select distinct year(week_start) from h order by 1").fetchall():
        con.execute(f"create or replace temp table hy as select *, 'ok' as _kind, '' as _reason, '' as _column "
                    f"from h where year(week_start) = {year}")
        cells = {"unit": "unit_id", "minggu": Q.fmt_date("week_start", Q.style(d, m.date_formats, "h_w", hk)),
                 "penyakit": Q.variant(d, "dis", X.labels("disease"), m.category_variants, "h_d", hk),
                 "kasus": "cases::varchar", "pop": "population::varchar"}
        logs.append(write_rows(con, raw_dir, f"skdr/skdr_{kab}_{year}.csv.gz", "health", "hy", cells,
                               "week_start, unit_id, di", cfg))
    return logs


def _schools(con, d, cfg, raw_dir, kab, services) -> list[pd.DataFrame]:
    m = cfg.messy
    start = pd.Timestamp(cfg.start + "-01")
    skey = "unit_id, semester_start"
    first = f"greatest((year(semester_start) - {start.year}) * 12 + month(semester_start) - {start.month} + 1, 1)"
    con.execute(f"""create or replace temp table sc as
        with b as (
          select u.*, s.semester_start, {first} as p0 from units u cross join semesters s where u.unit_type = 'school'
        ), c as (
          select *, fx_school + 0.8 * (p0 - 1) / 12.0 + 2.0 * pretrend * (p0 - 1) / 12.0
                    + {d.n('sc_noise', skey)} * 1.2 as s0,
                 3.0 * expo(first_treat, cohort_mult, p0::double) as eff
          from b
        )
        select *, round(least(100, greatest(0, s0 + eff)), 2) as score, round(least(100, greatest(0, s0)), 2) as score_cf,
               fx_students + {d.i('stud', -20, 21, skey)} as n_students,
               'ok' as _kind, '' as _reason, '' as _column
        from c""")
    con.execute("""insert into truth select sc.unit_id, p.period, 'assessment_score', sc.score, sc.score_cf
        from sc join months p on p.month >= sc.semester_start and p.month < sc.semester_start + interval 6 month""")
    st = Q.style(d, m.date_formats, "sem", skey)
    ay = ("case when month(semester_start) = 7 then year(semester_start)::varchar || '/' || "
          "(year(semester_start) + 1)::varchar else (year(semester_start) - 1)::varchar || '/' || "
          "year(semester_start)::varchar end")
    half = "case when month(semester_start) = 7 then 'Ganjil' else 'Genap' end"
    half_n = "case when month(semester_start) = 7 then '1' else '2' end"
    cells = {"unit": "unit_id",
             "sem": f"case {st} when 0 then {half} || ' ' || {ay} when 1 then {ay} || ' ' || {half} "
                    f"else 'Semester ' || {half_n} || ' ' || {ay} end",
             "nilai": "printf('%.2f', score)", "siswa": "n_students::varchar"}
    return [write_rows(con, raw_dir, f"sekolah/asesmen_sekolah_{kab}.csv.gz", "schools", "sc", cells,
                       "unit_id, semester_start", cfg)]


# --------------------------------------------------------------------------- master files (single CSVs)
def _master(con, d, cfg, raw_dir) -> None:
    m = cfg.messy
    types = [t for (t,) in con.execute("select distinct unit_type from units order by 1").fetchall()]
    con.execute("create or replace temp table mu as select *, 'ok' as _kind, '' as _reason, '' as _column from units")
    cells = {"code": "unit_id", "name": "unit_name",
             "type": Q.case_map("unit_type", {t: v[0] for t, v in X.labels("unit_type", types).items()}, "unit_type"),
             "opd": "opd", "kel": "kelurahan",
             "dist": "printf('%.1f', distance_km)"}
    _plain(con, raw_dir, "master/daftar_unit.csv", "units", "mu", cells, "unit_id", cfg)
    start = pd.Timestamp(cfg.start + "-01")
    con.execute(f"""create or replace temp table ad as select *, 'ok' as _kind, '' as _reason, '' as _column,
                    case when first_treat > 0 then date '{start.date()}' + to_months((first_treat - 1)::int) end
                      as adoption_month from units""")
    cells = {"name": "unit_id",
             "start": f"coalesce({Q.fmt_date('adoption_month', Q.style(d, m.date_formats, 'ad', 'unit_id'))}, '')"}
    _plain(con, raw_dir, "master/jadwal_kpi.csv", "adoption", "ad", cells, "unit_id", cfg)


def _plain(con, raw_dir, rel, table, source, cells, order, cfg) -> None:
    heads = _headers(table, cfg.seed, rel, cfg.messy)
    path = raw_dir / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    select = ", ".join(f"{expr} as \"{heads[f]}\"" for f, expr in cells.items())
    con.execute(f"copy (select {select} from {source} order by {order}) to '{path.as_posix()}' (format csv, header)")


# --------------------------------------------------------------------------- driver
def generate_bulk(raw_dir: Path, cfg: SynthConfig, study, workers: int = 2) -> dict:
    """Write the bulk exports and truth of ``study`` into ``raw_dir`` (already emptied by the caller)."""
    from analysis.synth.truth import aggregates

    raw_dir = Path(raw_dir)
    _check_file_sizes(study, cfg)
    work = Path(tempfile.mkdtemp(prefix=".bulk-", dir=raw_dir.parent))
    try:
        for sub in ("spill", "logs", "truth"):
            (work / sub).mkdir()
        d = Q.Draw(cfg.seed)
        units = design_units(study, cfg, d)
        cal = calendar(cfg)
        con = _connect(work, threads=max(1, workers), memory="2GB")
        for mac in Q.macros(cfg.seed, cfg):
            con.execute(mac)
        con.register("units_df", units)
        con.execute("create temp table units as select * from units_df")
        con.execute(f"copy units to '{(work / 'units.parquet').as_posix()}' (format parquet)")
        for name, df in cal.items():
            con.register(f"{name}_df", df)
            con.execute(f"copy (select * from {name}_df) to '{(work / (name + '.parquet')).as_posix()}' (format parquet)")
        build_roster(con, cfg, d, work / "roster.parquet")
        _master(con, d, cfg, raw_dir)
        con.close()
        cfg_dict = asdict(cfg)
        services = {"services": {s: v.priority for s, v in study.services.items()}, "courses": dict(study.courses)}
        jobs = [{"cfg": cfg_dict, "raw_dir": str(raw_dir), "work": str(work), "kab": kab,
                 "units": (work / "units.parquet").as_posix(), "roster": (work / "roster.parquet").as_posix(),
                 "study_services": services} for kab in sorted(units["kab"].unique())]
        if workers > 1:
            with ProcessPoolExecutor(max_workers=workers, mp_context=get_context("spawn")) as pool:
                done = list(pool.map(_partition, jobs))
        else:
            done = [_partition(j) for j in jobs]
        truth = raw_dir / "_truth"
        truth.mkdir()
        con = _connect(work, threads=max(1, workers), memory="2GB")
        logs = ", ".join(Q.lit(r["log"]) for r in done)
        con.execute(f"""copy (select file, row_number, "table", kind, reason, "column" from read_parquet([{logs}])
                        order by file, row_number) to '{(truth / 'raw_rows.parquet').as_posix()}' (format parquet)""")
        cells = _att_gt(con, [r["truth"] for r in done], work / "units.parquet")
        con.close()
        from analysis.io import write_parquet

        write_parquet(cells, truth / "att_gt.parquet")
        write_parquet(aggregates(cells), truth / "aggregates.parquet")
        cohorts = units[["unit_id", "first_treat", "cohort_mult", "pretrend"]].sort_values("unit_id")
        write_parquet(cohorts.reset_index(drop=True), truth / "cohorts.parquet")
        return {"bulk": True, "partitions": len(jobs), "workers": workers, "threshold_units": BULK_ABOVE_UNITS}
    except BaseException:
        for child in raw_dir.iterdir():  # no partial export set left behind (there is no marker yet)
            if child.is_dir():
                shutil.rmtree(child, ignore_errors=True)
            elif child.suffix in (".csv", ".gz"):
                child.unlink()
        raise
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _check_file_sizes(study, cfg: SynthConfig) -> None:
    """Refuse, before writing anything, a scale whose busiest kab/kota-month of tickets or kab/kota-year of
    SKP would exceed MAX_ROWS rows in one file (the bulk-export contract: at most about 2 million rows)."""
    u = study.units
    kab = u["kelurahan_code"].str[:5]
    tickets = (u["daily_tickets"].fillna(0).groupby(kab).sum() * cfg.scale * 0.1 * 23 * C.LEBARAN_SURGE).max()
    skp = (u["staff"].fillna(0).groupby(kab).sum() * 12 * (1 + cfg.messy.duplicates)).max()
    worst = max(tickets, skp)
    if worst > MAX_ROWS:
        raise ValueError(f"scale {cfg.scale}: the busiest kab/kota would write about {worst:,.0f} rows in one "
                         f"file (tickets a month or SKP a year), more than the {MAX_ROWS:,} rows a bulk export file "
                         "holds; use a smaller scale")


def _att_gt(con, parts: list[str], units: Path) -> pd.DataFrame:
    """True ATT(g,t) per monthly outcome: mean over the cohort's units of (observed - never adopted).

    The differences are summed as DECIMAL(38, 12): integer arithmetic, so the mean does not depend on the
    order the threads add them in (a parallel double sum differs in its last bits between thread counts)."""
    srcs = ", ".join(Q.lit(p) for p in parts)
    order = Q.case_map("outcome", {o: i for i, o in enumerate(OUTCOMES)}, "99")
    df = con.execute(f"""
        select * from (
          select t.outcome, 'panel_unit_month' as panel, u.first_treat as "group", t.period,
                 avg((t.y_obs - t.y_cf)::decimal(38, 12))::double as att, count(*) as n_units
          from read_parquet([{srcs}]) t join read_parquet('{units.as_posix()}') u using (unit_id)
          where u.first_treat > 0 and t.y_obs is not null and t.y_cf is not null
          group by all
        ) order by {order}, "group", period""").df()
    return df.astype({"group": "int64", "period": "int64", "n_units": "int64", "att": "float64",
                      "outcome": "str", "panel": "str"})


def use_bulk(study, threshold: int | None = None) -> bool:
    return len(study.units) > (BULK_ABOVE_UNITS if threshold is None else threshold)


__all__ = ["BULK_ABOVE_UNITS", "generate_bulk", "use_bulk", "MAX_ROWS"]
