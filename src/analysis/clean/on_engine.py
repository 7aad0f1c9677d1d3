"""Cleaning of the big tables (SKP, tickets, SKM) as queries on a query engine (DuckDB or Spark).

The per-file pandas cleaners (:mod:`analysis.clean.tables`) hold a whole file in memory; here the raw
files stay on disk and the engine does the row work, out of core:

1. **Scan.** Files are grouped by header signature (separator and header cells); each group is one
   engine scan, its columns renamed to field ids by the profiles' header spellings
   (:func:`analysis.clean.run.field_positions`). Rows are numbered within their file. UTF-8 CSV, plain or
   gzip-compressed (bulk exports), is scanned as it is; any other file (Excel, Windows-1252, UTF-16, stray
   CRs) is first read by the pandas reader (:func:`analysis.clean.run.read_cells`) and handed over as a
   table, since such exports are small by nature.
2. **Dictionaries.** Each parsed field's *distinct* raw values are parsed in Python by the very parsers
   of :mod:`analysis.clean.parse` (dates, times, numbers, labels through the alias tables of the profiles
   and the study, unit names, NIP checks and pseudonyms), with the same missing-value spellings and
   plausibility bounds, and joined back on the engine. The rules thus have one definition shared with the
   pandas path, and Python work grows with the number of distinct values (a few thousand dates and labels,
   one NIP per employee), not with rows.
   Pseudonyms: the distinct valid NIPs are pseudonymised by :func:`analysis.pseudonym.pseudonymise_series`
   (the one HMAC-SHA256 definition) rather than by a second HMAC built from the engines' ``sha256``: one
   implementation cannot drift from itself, and a national roster (4.3 million NIPs) takes seconds.
   NIP digits never reach the engine's outputs: dictionaries carry only the pseudonym and the reject reason.
3. **Checks.** One SQL statement per table gives each row the first failing check, in the order of the
   pandas cleaner (:mod:`analysis.clean.tables`): the fields' reasons from the dictionaries and the
   checks across fields (test tickets, timestamp order, queue-time maxima, predikat against the rating
   matrix, NIP not in the roster).
4. **Duplicates, accounting, output.** The first row per key in (file, row) order is kept, as on the
   pandas path; per file, raw = clean + rejected + merged. A column where most non-empty values of a file
   fail is "the wrong column": the file is then re-read by the pandas cleaner, which raises the same
   message (naming file, column, row) as the pandas path.

Where the result can differ from the pandas path (tests compare both on the default data, a bulk dump of
``.csv.gz`` partitions, a wrong column and a malformed row): the SKM form id, the one field not parsed
through a dictionary (it is unique per row), is trimmed of spaces by SQL's ``trim`` where Python's
``strip`` also drops tabs and non-breaking spaces; when several files are wrong, the file named first may
differ (an engine checks a table's files together); and the canonical tables are not re-validated with
pandera row by row (that would need them in memory), their values coming from the same dictionaries.

SQL is written in DuckDB's dialect and transpiled for Spark (:mod:`analysis.engine`). The small tables
(units, adoption, roster, training, service volume, health, schools) are cleaned by the pandas cleaners
and handed to the engine where it needs them (unit names, the roster).
"""

from __future__ import annotations

import codecs
import csv
import gzip
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlparse

import numpy as np
import pandas as pd
import pyarrow as pa

from analysis import schemas
from analysis.clean import parse as P
from analysis.clean.errors import DataInputError
from analysis.clean.tables import Context, Roster, out_of_bound, unit_ids
from analysis.engine import sql_literal
from analysis.engine.output import arrow_schema, finish_parquet
from analysis.io import guess_separator
from analysis.measures import SKP_MATRIX
from analysis.pseudonym import pseudonymise_series

BIG_TABLES = ("skp", "tickets", "skm")
#: Distinct values parsed per Python batch (bounds memory for a national roster of NIPs).
DICT_CHUNK = 250_000
_CHUNK_BYTES = 1 << 20


# --------------------------------------------------------------------------- which files the engine scans
def scannable(path: Path) -> tuple[str, list[str]] | None:
    """(separator, header cells) when the engine can scan the file as it is: UTF-8 text (BOM allowed),
    plain or gzip, with CRLF or LF line ends only and no NUL byte; None otherwise."""
    if Path(path).suffix.lower() in (".xlsx", ".xlsm", ".xls"):
        return None
    opener = gzip.open if Path(path).suffix.lower() == ".gz" else open
    dec = codecs.getincrementaldecoder("utf-8")()
    first = b""
    prev_cr = False
    try:
        with opener(path, "rb") as fh:
            while chunk := fh.read(_CHUNK_BYTES):
                if not first:
                    first = chunk[:65536]
                if b"\x00" in chunk:
                    return None
                dec.decode(chunk)
                if prev_cr and not chunk.startswith(b"\n"):
                    return None
                if chunk.count(b"\r") != chunk.count(b"\r\n") + chunk.endswith(b"\r"):
                    return None
                prev_cr = chunk.endswith(b"\r")
            dec.decode(b"", final=True)
    except (UnicodeDecodeError, OSError, EOFError):
        return None
    line = first.split(b"\n", 1)[0].rstrip(b"\r").decode("utf-8").removeprefix("\ufeff")
    if not line.strip() or b"\n" not in first:
        return None  # empty or header-only: the pandas reader names the problem
    sep = guess_separator(line)
    return sep, next(csv.reader([line], delimiter=sep, quotechar='"'))


# --------------------------------------------------------------------------- table definitions
@dataclass(frozen=True)
class F:
    """A raw field parsed through a dictionary: ``kind`` picks the parser, ``column`` the canonical column
    its reject reasons name."""

    fld: str
    kind: str  # date | month | time | int | float | category | unit | nip | predikat | ticket_no
    column: str
    vocabulary: str = ""
    empty_reason: str | None = "missing_value"
    reason: str = "invalid_date"
    known: bool = False  # nip: must be in the roster


@dataclass(frozen=True)
class Check:
    """A check across fields, as SQL over the dictionaries (aliases ``d_<field>``)."""

    cond: str
    reason: str
    column: str


@dataclass
class Spec:
    table: str
    steps: list  # F | Check, in the pandas cleaner's order
    outputs: dict[str, str]  # canonical column -> SQL

    @property
    def fields(self) -> list[F]:
        return [s for s in self.steps if isinstance(s, F)]


def _ts(day: str, time: str) -> str:
    return f"(d_{day}.v + d_{time}.v)"


def _specs() -> dict[str, Spec]:
    d = schemas.PLAUSIBILITY["durations"]
    stamps = {"issued_at": "ambil", "called_at": "panggil", "served_at": "mulai", "finished_at": "selesai"}
    ts = {c: _ts("tanggal", f) for c, f in stamps.items()}
    tickets = Spec("tickets", [
        Check("d_no.test or d_layanan.test", "test_ticket", "ticket_id"),
        F("no", "ticket_no", "ticket_id"),
        F("unit", "unit", "unit_id"),
        F("tanggal", "date", "issued_at"),
        F("layanan", "category", "service", "service"),
        F("jalur", "category", "channel", "channel"),
        *(F(f, "time", c, empty_reason="missing_timestamp") for c, f in stamps.items()),
        Check(f"{ts['called_at']} < {ts['issued_at']}", "timestamp_order", "called_at"),
        Check(f"{ts['served_at']} < {ts['called_at']}", "timestamp_order", "served_at"),
        Check(f"{ts['finished_at']} < {ts['served_at']}", "timestamp_order", "finished_at"),
        *(Check(f"({ts[x['to']]} - {ts[x['from']]}) / 60000.0 > {x['max_minutes']}", x["reason"], x["to"])
          for x in d.values()),
    ], {"ticket_id": "d_unit.v || '-' || d_tanggal.ymd || '-' || d_no.v", "unit_id": "d_unit.v",
        "service": "d_layanan.v", "priority": "d_layanan.priority", "channel": "d_jalur.v", **ts})
    skp = Spec("skp", [
        F("nip", "nip", "asn_id", known=True),
        Check("roster.asn_id is null", "unknown_asn", "asn_id"),
        F("unit", "unit", "unit_id"),
        F("periode", "month", "month"),
        F("hasil", "category", "hasil_kerja", "rating"),
        F("perilaku", "category", "perilaku", "rating"),
        F("predikat", "predikat", "predikat", "predikat", empty_reason=None, reason="invalid_value"),
        Check("d_predikat.v is not null and m.predikat is not null and d_predikat.v <> m.predikat",
              "invalid_value", "predikat"),
        F("atasan", "nip", "supervisor_id"),
        F("kirim", "date", "submitted_on"),
    ], {"asn_id": "d_nip.v", "unit_id": "d_unit.v", "month": "d_periode.v", "hasil_kerja": "d_hasil.v",
        "perilaku": "d_perilaku.v", "predikat": "m.predikat", "supervisor_id": "d_atasan.v",
        "submitted_on": "d_kirim.v"})
    missing = ", ".join(f"'{m}'" for m in sorted(schemas.MISSING_VALUES))
    skm = Spec("skm", [
        Check(f"lower(trim(s.id)) in ({missing})", "missing_value", "response_id"),
        F("unit", "unit", "unit_id"),
        F("tanggal", "date", "survey_date"),
        F("umur", "int", "age", reason="invalid_value"),
        F("jk", "category", "sex", "sex"),
        F("pendidikan", "category", "education", "education"),
        F("pekerjaan", "category", "occupation", "occupation"),
        F("layanan", "category", "service", "skm_service"),
        *(F(f"u{i}", "int", f"u{i}", reason="invalid_value") for i in range(1, 10)),
    ], {"response_id": "trim(s.id)", "unit_id": "d_unit.v", "survey_date": "d_tanggal.v", "age": "d_umur.v",
        "sex": "d_jk.v", "education": "d_pendidikan.v", "occupation": "d_pekerjaan.v", "service": "d_layanan.v",
        **{f"u{i}": f"d_u{i}.v" for i in range(1, 10)}})
    return {s.table: s for s in (tickets, skp, skm)}


SPECS = _specs()


# --------------------------------------------------------------------------- dictionaries (parse.py on distinct values)
def _ms(vals: pd.Series) -> pa.Array:
    """Datetimes or timedeltas as epoch / elapsed milliseconds (null where missing)."""
    if pd.api.types.is_timedelta64_dtype(vals):
        return pa.array((vals.dt.total_seconds() * 1000).round().astype("Int64"), type=pa.int64())
    return pa.array(vals.astype("datetime64[ms]"), type=pa.timestamp("ms")).cast(pa.int64())


def _strs(vals) -> pa.Array:
    return pa.array(pd.Series(vals, dtype=object).where(pd.notna(vals), None).tolist(), type=pa.string())


def _reasons(n: int, *rules: tuple[np.ndarray, str]) -> pa.Array:
    """First matching (mask, reason) per value, else null."""
    out = np.full(n, None, dtype=object)
    for mask, reason in rules:
        take = np.asarray(mask, dtype=bool) & pd.isna(out)
        out[take] = reason
    return pa.array(out.tolist(), type=pa.string())


def dictionary(f: F, table: str, raw: pd.Series, ctx: Context) -> pa.Table:
    """For each distinct raw text of a field: value ``v``, first reject ``reason`` of the field and the
    guard counts (``g_bad``, ``g_ne``: a failed non-empty value, a non-empty value)."""
    t = P.blank_missing(raw.astype(object).reset_index(drop=True), schemas.MISSING_VALUES)
    empty = P.is_empty(t)
    n = len(t)
    cols: dict[str, pa.Array] = {"raw": pa.array(raw.tolist(), type=pa.string())}
    empty_rule = [(empty, f.empty_reason)] if f.empty_reason else []
    if f.kind in ("date", "month", "time", "int", "float"):
        parser = {"date": P.parse_date, "month": P.parse_month, "time": P.parse_time, "float": P.parse_float,
                  "int": P.INT_PARSERS[schemas.CANONICAL[table].columns[f.column].metadata["locale"]]}[f.kind]
        vals, bad = parser(t)
        hit = out_of_bound(vals, table, f.column, ctx)
        rules = [*empty_rule, (bad, f.reason)] + ([hit] if hit is not None else [])
        cols["v"] = _ms(vals) if f.kind in ("date", "month", "time") else pa.array(vals, type=pa.float64())
        if f.kind == "date":
            cols["ymd"] = _strs(vals.dt.strftime("%Y%m%d"))
        g_bad = bad
    elif f.kind in ("category", "predikat"):
        aliases = ctx.aliases[f.vocabulary]
        vals, bad = P.parse_category(t, aliases)
        rules = [*empty_rule, (bad, "invalid_value")]
        cols["v"] = _strs(vals)
        if table == "tickets" and f.fld == "layanan":
            cols["test"] = pa.array(P.norm(t).isin(ctx.profile.test_services).to_numpy())
            prio = {k: v.priority for k, v in ctx.study.services.items()}
            cols["priority"] = pa.array(vals.map(prio).fillna(False).astype(bool).to_numpy())
        g_bad = bad
    elif f.kind == "unit":
        vals = unit_ids(t.astype(str), ctx)
        bad = vals.isna().to_numpy() & ~empty
        rules = [*empty_rule, (bad, "unknown_unit")]
        cols["v"] = _strs(vals)
        g_bad = bad
    elif f.kind == "nip":
        digits = P.nip_digits(t.astype(str))
        problems = P.nip_problems(digits, schemas.PLAUSIBILITY["nip"], ctx.window[1].year)
        rules = [*empty_rule, *((m, r) for r, m in problems)]
        valid = ~empty
        for _, m in problems:
            valid &= ~m
        cols["v"] = _strs(pseudonymise_series(digits.where(valid), ctx.key))
        g_bad = problems[0][1] & ~empty
        cols["g_serial"] = pa.array(problems[-1][1] & ~empty)
    elif f.kind == "ticket_no":
        s = t.astype(str).str.strip()
        cols["v"] = _strs(s)
        cols["test"] = pa.array(s.str.upper().str.startswith("TEST").to_numpy())
        rules, g_bad = empty_rule, np.zeros(n, bool)
    else:
        raise ValueError(f"unknown field kind {f.kind!r}")
    cols["reason"] = _reasons(n, *rules)
    cols["g_bad"] = pa.array(np.asarray(g_bad, dtype=bool))
    cols["g_ne"] = pa.array(~empty)
    return pa.table(cols)


# --------------------------------------------------------------------------- the engine run of one table
@dataclass
class TableResult:
    quality: list[dict]
    rejects: pd.DataFrame
    output: Path


def _local(p: str) -> Path:
    return Path(unquote(urlparse(p).path) if p.startswith("file:") else p).resolve()


def stage(engine, table: str, files: list[Path], rels: list[str], ctx: Context, raw_dir: Path) -> list[str]:
    """Materialise ``staged_<table>``: ``_fi`` (file index), ``_row`` (1-based data row) and the table's
    fields as text ('' where empty or absent). Returns the fields."""
    from analysis.clean.run import field_positions, read_cells

    groups: dict[tuple, list[int]] = {}
    odd: list[int] = []
    for fi, path in enumerate(files):
        s = scannable(path)
        if s is None:
            odd.append(fi)
        else:
            groups.setdefault((s[0], tuple(s[1])), []).append(fi)
    positions = {key: field_positions(list(key[1]), table, rels[fis[0]], ctx.profile) for key, fis in groups.items()}
    present = list(ctx.profile.headers[table])  # a field no file has reads as empty, as on the pandas path
    parts, scanned = [], {}
    for g, ((sep, header), fis) in enumerate(groups.items()):
        name = f"scan_{table}_{g}"
        try:
            engine.scan_csv(name, [files[fi] for fi in fis], len(header), sep)
            # the engine's spelling of each path; the full scan parses now, so a malformed row fails here
            seen = [p for p, _ in engine.rows(f"select _path, count(*) from {name} group by _path")]
        except Exception:  # noqa: BLE001 - any engine's parse error: the pandas reader reads the group,
            odd.extend(fis)  # and names the file, row and problem if the file is really malformed
            continue
        scanned[g] = (name, sep, header, fis, seen)
    odd_frames = {fi: read_cells(files[fi], raw_dir, table, ctx.profile)[1] for fi in sorted(odd)}
    for g, (name, sep, header, fis, seen) in scanned.items():
        local = {files[fi].resolve(): fi for fi in fis}
        engine.register(f"{name}_files", pa.table({"_path": pa.array(seen, pa.string()),
                                                   "_fi": pa.array([local[_local(p)] for p in seen], pa.int64())}))
        pos = positions[(sep, header)]
        cols = ", ".join(f"coalesce(s.c{pos[f]}, '') as {f}" if f in pos else f"'' as {f}" for f in present)
        parts.append(f"select m._fi, row_number() over (partition by s._path order by s._ord) as _row, {cols} "
                     f"from {name} s join {name}_files m on m._path = s._path")
    if odd:
        frames = []
        for fi in sorted(odd):
            fr = odd_frames[fi].reindex(columns=present, fill_value="").astype(str)
            frames.append(fr.assign(_fi=fi, _row=np.arange(1, len(fr) + 1)))
        odd_table = pa.Table.from_pandas(pd.concat(frames, ignore_index=True)[["_fi", "_row", *present]],
                                         preserve_index=False)
        engine.register(f"odd_{table}", odd_table)
        parts.append(f"select _fi, _row, {', '.join(present)} from odd_{table}")
    engine.materialize(f"staged_{table}", " union all ".join(parts))
    n_rows = dict(engine.rows(f"select _fi, count(*) from staged_{table} group by _fi"))
    for fi, rel in enumerate(rels):
        if not n_rows.get(fi):
            raise DataInputError(rel, "-", 1, "file has a header but no data rows")
    return present


def _guarded(f: F) -> bool:
    return f.kind not in ("ticket_no", "predikat")  # the pandas cleaners guard neither


def _guard_columns(spec: Spec) -> list[tuple[str, str, str]]:
    """(failed-value column, its dictionary source, non-empty column) per "wrong column" check."""
    out = [(f"_gb_{f.fld}", f"d_{f.fld}.g_bad", f"_gn_{f.fld}") for f in spec.fields if _guarded(f)]
    return out + [(f"_gs_{f.fld}", f"d_{f.fld}.g_serial", f"_gn_{f.fld}") for f in spec.fields if f.kind == "nip"]


def _check_sql(spec: Spec) -> str:
    steps = []
    for s in spec.steps:
        if isinstance(s, F):
            steps.append((f"d_{s.fld}.reason is not null", f"d_{s.fld}.reason", sql_literal(s.column)))
        else:
            steps.append((s.cond, sql_literal(s.reason), sql_literal(s.column)))
    reason = "case " + " ".join(f"when {c} then {r}" for c, r, _ in steps) + " end"
    column = "case " + " ".join(f"when {c} then {col}" for c, _, col in steps) + " end"
    joins = [f"left join d_{spec.table}_{f.fld} d_{f.fld} on d_{f.fld}.raw = s.{f.fld}" for f in spec.fields]
    if spec.table == "skp":
        joins.append("left join roster on roster.asn_id = d_nip.v")
        joins.append("left join skp_matrix m on m.hasil = d_hasil.v and m.perilaku = d_perilaku.v")
    guards = [f"d_{f.fld}.g_ne as _gn_{f.fld}" for f in spec.fields if _guarded(f)]
    guards += [f"{src} as {bad}" for bad, src, _ in _guard_columns(spec)]
    outs = ", ".join(f"{sql} as {c}" for c, sql in spec.outputs.items())
    return (f"select s._fi, s._row, {reason} as _reason, {column} as _column, {outs}, {', '.join(guards)} "
            f"from staged_{spec.table} s {' '.join(joins)}")


def _guard(engine, spec: Spec, files: list[Path], rels: list[str], raw_dir: Path, ctx: Context) -> None:
    """Stop on "the wrong column": in some file, most non-empty values of a checked field fail."""
    from analysis.clean.run import clean_batch
    from analysis.clean.tables import MAX_BAD_SHARE

    terms = [f"sum(cast({bad} as bigint)) > {MAX_BAD_SHARE} * sum(cast({ne} as bigint))"
             for bad, _, ne in _guard_columns(spec)]
    bad = engine.rows(f"select _fi from (select _fi, ({' or '.join(terms)}) as wrong from checked_{spec.table} "
                      f"group by _fi) x where wrong order by _fi limit 1")
    if bad:
        fi = int(bad[0][0])
        clean_batch([files[fi]], raw_dir, spec.table, ctx)  # raises the pandas path's message
        raise DataInputError(rels[fi], "-", 0, "most values of a column do not parse; is this the right column?")


def clean_table(engine, table: str, files: list[Path], rels: list[str], raw_dir: Path, ctx: Context,
                out: Path) -> TableResult:
    """Clean one big table on ``engine``; write ``out/<table>.parquet``; return accounting and rejects."""
    spec = SPECS[table]
    stage(engine, table, files, rels, ctx, raw_dir)
    # every field's distinct values in one query (one job on Spark), then one dictionary per field
    distinct = engine.arrow(" union all ".join(
        f"select {i} as _f, {f.fld} as raw from staged_{table} group by {f.fld}"
        for i, f in enumerate(spec.fields))).to_pandas()
    for i, f in enumerate(spec.fields):
        raw = distinct.loc[distinct["_f"] == i, "raw"].sort_values(kind="mergesort").reset_index(drop=True)
        pieces = [dictionary(f, table, raw.iloc[j:j + DICT_CHUNK], ctx) for j in range(0, max(len(raw), 1), DICT_CHUNK)]
        engine.register(f"d_{table}_{f.fld}", pa.concat_tables(pieces))
    # the dictionaries now live in the engine (under its memory limit); the Python copies of every distinct
    # raw value (one per NIP, name, date ...: gigabytes nationally) must not stay alive through the big queries
    distinct = raw = pieces = None
    engine.materialize(f"checked_{table}", _check_sql(spec))
    _guard(engine, spec, files, rels, raw_dir, ctx)
    sch = schemas.CANONICAL[table]
    pk = ", ".join(sch.metadata["key"])
    engine.materialize(f"ranked_{table}", f"select *, row_number() over (partition by {pk} order by _fi, _row) as _rn "
                                          f"from checked_{table} where _reason is null")
    cols = ", ".join(sch.columns)
    parts = engine.write_parts(f"select {cols} from ranked_{table} where _rn = 1 order by {pk}",
                               out / "_parts" / f"{table}-engine")
    dest = finish_parquet(parts, out / f"{table}.parquet", arrow_schema(sch))
    rj = engine.arrow(f"select _fi, _row, _reason, _column from checked_{table} where _reason is not null "
                      f"order by _fi, _row").to_pandas()
    rejects = pd.DataFrame({"file": np.array(rels, dtype=object)[rj["_fi"].to_numpy(dtype="int64")],
                            "row_number": rj["_row"].astype("int64"), "table": table,
                            "reason": rj["_reason"].astype(object), "column": rj["_column"].astype(object)})
    raw_n = dict(engine.rows(f"select _fi, count(*) from staged_{table} group by _fi"))
    kept = {int(fi): (int(c), int(d)) for fi, c, d in engine.rows(
        f"select _fi, sum(case when _rn = 1 then 1 else 0 end), sum(case when _rn > 1 then 1 else 0 end) "
        f"from ranked_{table} group by _fi")}
    from analysis.clean.run import _quality_row

    by_file = rejects.groupby("file")["reason"].value_counts() if len(rejects) else None
    quality = []
    for fi, rel in enumerate(rels):
        reasons = by_file.loc[rel] if by_file is not None and rel in by_file.index.get_level_values(0) else (
            pd.Series(dtype="int64"))
        c, dup = kept.get(fi, (0, 0))
        quality.append(_quality_row(rel, table, int(raw_n.get(fi, 0)), c, dup, reasons))
    for name in (f"staged_{table}", f"checked_{table}", f"ranked_{table}"):
        engine.drop(name)
    return TableResult(quality, rejects, dest)


def register_shared(engine, roster: Roster) -> None:
    """Tables every big table may join: the cleaned roster (pseudonyms only) and the SKP rating matrix."""
    engine.register("roster", pa.table({"asn_id": roster.ids}))
    (h, p), v = zip(*SKP_MATRIX.keys()), list(SKP_MATRIX.values())
    engine.register("skp_matrix", pa.table({"hasil": list(h), "perilaku": list(p), "predikat": v}))
