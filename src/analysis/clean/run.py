"""``clean_raw()``: raw exports -> canonical interim tables, rejects and data-quality summary.

Flow per raw file (files are independent, so memory is bounded by the largest
file, and files could be cleaned in parallel): read all cells as text -> map
headers -> parse, validate and pseudonymise (NIP/NI are replaced in memory,
names are dropped) -> drop in-file duplicates -> write a Parquet part to a
temporary directory. DuckDB then unions the parts of each table, drops
duplicates across files, sorts by the key and writes the final Parquet; DuckDB
sorts out of core, so the big tables (tickets, SKP) never need to fit in pandas
at once, and the same SQL runs on a cluster engine (Spark SQL, Trino) when one
machine is not enough.

Every file under ``raw_dir`` is accounted for: cleaned, or listed as ignored with its
reason (:func:`discover`, patterns matched ignoring case) in ``CleanReport.ignored`` and
the data-quality summary. ``SYNTHETIC.json`` counts only when its manifest matches the
files (:mod:`analysis.synth.marker`); it decides the pseudonym key and the study window.

With ``engine`` ``duckdb`` (the default) or ``spark``, the big tables (tickets, SKP, SKM) are not read
into pandas at all: they are cleaned by engine queries over the raw files
(:mod:`analysis.clean.on_engine`), giving the same rows; the small tables take the path above.

Nothing is written to ``interim_dir`` until every file has been cleaned: outputs
go to a temporary sibling directory and are moved in at the end, so a
DataInputError leaves ``interim_dir`` as it was.
"""

from __future__ import annotations

import fnmatch
import os
import shutil
import tempfile
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePosixPath

import numpy as np
import pandas as pd

from analysis import schemas
from analysis.clean.profile import MAPPING_FILE, MappingError, Profile, for_raw_dir, shipped
from analysis.study import DEFAULT as DEFAULT_STUDY, Study, load as load_study
from analysis.clean import specs as S
from analysis.clean.errors import DataInputError
from analysis.clean.tables import CLEANERS, Context, RawTable
from analysis.clean.parse import blank_missing
from analysis.clean.safe import is_safe, shown
from analysis.clean.on_engine import BIG_TABLES, clean_table, register_shared
from analysis.engine import EngineConfig, connect
from analysis.io import UnreadableFileError, data_suffix, read_table, write_parquet
from analysis.pseudonym import resolve_key
from analysis.synth.marker import MARKER as SYNTHETIC_MARKER
from analysis.synth.marker import NOT_DATA, check_marker, stale_reason


@dataclass
class CleanReport:
    quality: pd.DataFrame
    rejects: pd.DataFrame
    outputs: dict[str, Path]
    ignored: dict[str, str] = field(default_factory=dict)  # file -> reason it was not read
    synthetic: bool = False
    flagged: pd.DataFrame | None = None  # file, row_number, table, column: counts far outside the unit's history

    def balanced(self) -> bool:
        q = self.quality[self.quality["status"] == "cleaned"]
        return bool((q["rows_raw"] == q["rows_clean"] + q["rows_rejected"] + q["rows_duplicate"]).all())


def _match(rel: PurePosixPath, pattern: str) -> bool:
    """Case-insensitive glob on the folder and the file name separately (``*`` never crosses folders)."""
    folder, _, name = pattern.rpartition("/")
    return rel.parent.as_posix().lower() == folder.lower() and fnmatch.fnmatchcase(rel.name.lower(), name.lower())


def discover(raw_dir: Path, generator_files: bool = False, profile: Profile | None = None
             ) -> tuple[dict[str, list[Path]], dict[str, str]]:
    """Raw files per table, sorted, and every other file under ``raw_dir`` with the reason it is ignored.

    ``generator_files``: the synthetic generator's own files (``_truth/``) are accounted for by its
    verified manifest, not listed.
    """
    found: dict[str, list[Path]] = {t: [] for t in S.TABLE_ORDER}
    ignored: dict[str, str] = {}
    for p in sorted(raw_dir.rglob("*")):
        rel = PurePosixPath(p.relative_to(raw_dir).as_posix())
        if not p.is_file() or p.name in NOT_DATA or (generator_files and rel.parts[0] == "_truth"):
            continue
        if str(rel) == MAPPING_FILE:  # the user's spellings, read by for_raw_dir(), not an export
            continue
        table = next((t for pattern, t in (profile or shipped()).file_patterns if _match(rel, pattern)), None)
        if p.name.startswith(("~$", ".")):
            ignored[str(rel)] = S.IGNORED_NOTES["ignored_temporary"]
        elif table is None:
            ignored[str(rel)] = S.IGNORED_NOTES["ignored_unknown_name"]
        elif data_suffix(p) not in S.READABLE_SUFFIXES or (p.suffix.lower() == ".gz" and data_suffix(p) not in S.GZIP_TEXT):
            ignored[str(rel)] = S.IGNORED_NOTES["ignored_unreadable"].format(
                table=table, suffix=p.suffix or "(none)", readable=", ".join(S.READABLE_SUFFIXES))
        else:
            found[table].append(p)
    return found, ignored


def _header_key(h: str) -> str:
    return S.key(str(h).replace("\ufeff", ""))


def field_positions(headers: list[str], table: str, rel: str, profile: Profile | None = None) -> dict[str, int]:
    """Field id -> position of the first header that spells it; a required field without one is fatal."""
    profile = profile or shipped()
    spec = profile.headers[table]
    lookup = {_header_key(a): fld for fld, aliases in spec.items() for a in (fld, *aliases)}
    seen: dict[str, int] = {}
    for i, h in enumerate(headers):
        fld = lookup.get(_header_key(h))
        if fld and fld not in seen:
            seen[fld] = i
    missing = [f for f in spec if f not in seen and f not in profile.optional.get(table, set())]
    if missing:
        f = missing[0]
        found = [str(c) for c in headers]
        safe = [repr(c) for c in found if is_safe(c)]
        hidden = len(found) - len(safe)
        note = (f" and {hidden} not shown (they look like data, not headers: is the header row missing?)"
                if hidden else "")
        raise DataInputError(rel, f, 0, f"required column '{f}' missing; expected a header like {list(spec[f])}, "
                             f"found [{', '.join(safe)}]{note}; add the file's header to {MAPPING_FILE} "
                             f"(tables: {table}: headers: {f}: [...])")
    return seen


def map_headers(df: pd.DataFrame, table: str, rel: str, profile: Profile | None = None) -> pd.DataFrame:
    """Rename raw headers to field ids; a required field without a matching header is fatal."""
    pos = field_positions([str(c) for c in df.columns], table, rel, profile)
    return pd.DataFrame({f: df.iloc[:, i] for f, i in pos.items()}, index=df.index)


def read_cells(path: Path, raw_dir: Path, table: str, profile: Profile | None = None) -> tuple[str, pd.DataFrame]:
    """One raw file as text cells under field ids (header mapping applied)."""
    rel = path.relative_to(raw_dir).as_posix()
    try:
        df, _ = read_table(path)
    except UnreadableFileError as exc:
        raise DataInputError(rel, exc.column, exc.row, str(exc)) from exc
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise DataInputError(rel, "-", 0, f"not a readable table ({type(exc).__name__})") from exc
    if len(df.columns) == 0 or len(df) == 0:
        raise DataInputError(rel, "-", 1, "file has a header but no data rows" if len(df.columns) else "file is empty")
    df.columns = [str(c) for c in df.columns]
    df = map_headers(df.fillna(""), table, rel, profile)
    return rel, df.apply(lambda col: blank_missing(col.astype(str), schemas.MISSING_VALUES))


def _quality_row(rel: str, table: str, n_raw: int, n_clean: int, n_dup: int, reasons: pd.Series,
                 status: str = "cleaned", note: str = "") -> dict:
    row = {"file": rel, "table": table, "status": status, "rows_raw": n_raw, "rows_clean": n_clean,
           "rows_rejected": int(reasons.sum()), "rows_duplicate": n_dup}
    row.update({f"rejected_{r}": int(reasons.get(r, 0)) for r in schemas.REASONS})
    row.update(rows_flagged=0, note=note)
    return row


#: Files are cleaned in batches of at most this many bytes: one pandas pass per batch keeps
#: per-file overhead low for many small exports while memory stays bounded for big ones.
BATCH_BYTES = 64 << 20


def batches(paths: list[Path], limit: int | None = None) -> list[list[Path]]:
    limit = BATCH_BYTES if limit is None else limit
    out, cur, size = [], [], 0
    for p in paths:
        n = p.stat().st_size
        if cur and size + n > limit:
            out.append(cur)
            cur, size = [], 0
        cur.append(p)
        size += n
    return out + ([cur] if cur else [])


def clean_batch(paths: list[Path], raw_dir: Path, table: str, ctx: Context
                ) -> tuple[pd.DataFrame, pd.DataFrame, list[dict]]:
    """Clean raw files of one table: (canonical rows + ``_file``/``_row``, rejects, data-quality rows)."""
    sch = schemas.CANONICAL[table]
    pk = sch.metadata["key"]
    rels, frames = zip(*(read_cells(p, raw_dir, table, ctx.profile) for p in paths))
    fields = [f for f in ctx.profile.headers[table] if any(f in fr.columns for fr in frames)]
    cells = pd.concat([fr.reindex(columns=fields, fill_value="") for fr in frames], ignore_index=True)
    sizes = np.array([len(fr) for fr in frames])
    file_idx = np.repeat(np.arange(len(frames)), sizes)
    rows = np.concatenate([np.arange(1, n + 1) for n in sizes])
    raw = RawTable(list(rels), table, cells, file_idx, rows, memo=ctx.memo)
    df = CLEANERS[table](raw, ctx)
    # rows are in file order, so the first submission wins, within a file and across files of the batch
    # (across batches, _merge_parts applies the same rule)
    dup = df.duplicated(subset=pk, keep="first").to_numpy()
    n_dup = np.bincount(df["_fi"].to_numpy()[dup], minlength=len(rels))
    df = df[~dup]
    rj = pd.DataFrame({"file": np.array(rels, dtype=object)[file_idx], "row_number": rows, "table": table,
                       "reason": raw.reason, "column": raw.column})
    rj = rj[rj["reason"].notna()].reset_index(drop=True)
    n_clean = np.bincount(df["_fi"].to_numpy(), minlength=len(rels))
    quality = []
    for i, rel in enumerate(rels):
        reasons = rj.loc[rj["file"] == rel, "reason"].value_counts()
        quality.append(_quality_row(rel, table, int(sizes[i]), int(n_clean[i]), int(n_dup[i]), reasons))
    df = df.sort_values(pk, kind="mergesort")
    typed = schemas.conform(df, sch)
    schemas.validate(typed, sch, ctx.study)  # a failure here is a cleaning bug, not bad input: every bad cell was rejected
    typed = typed.assign(_file=np.array(rels, dtype=object)[df["_fi"].to_numpy()],
                                            _row=df["_row"].to_numpy())
    return typed, rj, quality


def clean_file(path: Path, raw_dir: Path, table: str, ctx: Context) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    """Clean one raw file (see :func:`clean_batch`)."""
    typed, rj, quality = clean_batch([path], raw_dir, table, ctx)
    return typed, rj, quality[0]


def study_window(marker_info: dict | None, study: Study | None = None) -> tuple[pd.Timestamp, pd.Timestamp]:
    """First and last day of the study's window (study.yaml), or for verified synthetic data of
    the generator's own months (each date column adds its tolerance, plausibility.yaml)."""
    w = (study or load_study()).window
    if marker_info:
        p = marker_info["parameters"]
        start = pd.Timestamp(f"{p['start']}-01")
        end = start + pd.DateOffset(months=int(p["months"])) - pd.Timedelta(days=1)
    else:
        start, end = pd.Timestamp(w.start), pd.Timestamp(w.end)
    return start, end


def clean_raw(raw_dir: Path, interim_dir: Path, *, key: bytes | None = None, study: str | None = None,
              engine: EngineConfig | str | None = None) -> CleanReport:
    """Clean every raw export under ``raw_dir`` into canonical Parquet tables in ``interim_dir``.

    ``study`` (a name or folder, see :mod:`analysis.study`) supplies the vocabularies and the window;
    by default the study the synthetic marker records, else the default study. ``engine``: ``duckdb``
    (default) or ``spark``: the big tables as engine queries (:mod:`analysis.clean.on_engine`); ``pandas``:
    every file by the pandas cleaners (the peer for comparisons); or an :class:`~analysis.engine.EngineConfig`.
    """
    cfg = engine if isinstance(engine, EngineConfig) else EngineConfig(engine or "duckdb")
    raw_dir, interim_dir = Path(raw_dir), Path(interim_dir)
    if not raw_dir.is_dir():
        raise DataInputError(str(raw_dir), "-", 0, "raw directory does not exist")
    marker = check_marker(raw_dir)
    if marker.present and not marker.valid:
        raise DataInputError(SYNTHETIC_MARKER, "", 0, stale_reason(marker, raw_dir))
    synthetic = marker.synthetic
    # MissingKeyError for real data without a key, before anything is read or written
    secret = resolve_key(key, synthetic=synthetic, search=(raw_dir, raw_dir.parent, raw_dir.parent.parent))
    recorded = (marker.info or {}).get("parameters", {}).get("study") if synthetic else None
    st = load_study(study or recorded or DEFAULT_STUDY)
    try:
        profile = for_raw_dir(raw_dir, S.vocabularies(st))
    except MappingError as exc:
        raise DataInputError(MAPPING_FILE, "-", 0, str(exc).removeprefix(f"{MAPPING_FILE}: ")) from None
    files, ignored = discover(raw_dir, generator_files=synthetic, profile=profile)
    for table in S.TABLE_ORDER:
        if not files[table]:
            near = [r for r, why in ignored.items() if f"'{table}'" in why]
            raise DataInputError(str(raw_dir), "-", 0, f"no raw file for table '{table}' "
                                 f"(expected {[p for p, t in profile.file_patterns if t == table]}"
                                 + (f"; ignored: {near}" if near else "") + ")")
    ctx = Context(key=secret, window=study_window(marker.info if synthetic else None, st), study=st, profile=profile)
    interim_dir.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{interim_dir.name}-", dir=interim_dir.parent))
    try:
        report = _clean_into(raw_dir, tmp, files, ctx, ignored, cfg)
        report.ignored, report.synthetic = ignored, synthetic
        outputs = {}
        for p in sorted(tmp.iterdir()):
            if p.is_file():
                os.replace(p, interim_dir / p.name)
                outputs[p.stem] = interim_dir / p.name
        report.outputs = outputs
        return report
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _clean_into(raw_dir: Path, out: Path, files: dict[str, list[Path]], ctx: Context,
                ignored: dict[str, str], cfg: EngineConfig) -> CleanReport:
    parts = out / "_parts"
    parts.mkdir()
    on_engine = [t for t in S.TABLE_ORDER if t in BIG_TABLES] if cfg.engine != "pandas" else []
    by_table: dict[str, tuple[list, list]] = {t: ([], []) for t in S.TABLE_ORDER}  # quality rows, rejects
    part_files: dict[str, list[Path]] = {}
    scratch, eng = out / "_engine", None
    try:
        for table in S.TABLE_ORDER:  # in order, so the first problem reported is the pandas path's
            if table in on_engine:
                if eng is None:
                    eng = connect(cfg, scratch)
                    register_shared(eng, ctx.roster)
                rels = [p.relative_to(raw_dir).as_posix() for p in files[table]]
                res = clean_table(eng, table, files[table], rels, raw_dir, ctx, out)
                by_table[table] = (res.quality, [res.rejects])
            else:
                _clean_small(raw_dir, table, files[table], ctx, parts, part_files, by_table[table])
    finally:
        if eng is not None:
            eng.close()
        shutil.rmtree(scratch, ignore_errors=True)
    cross, flagged = _merge_parts(part_files, out, cfg)
    quality = [q for t in S.TABLE_ORDER for q in by_table[t][0]]
    rejects = [r for t in S.TABLE_ORDER for r in by_table[t][1]]
    quality.extend(_quality_row(rel, "", 0, 0, 0, pd.Series(dtype="int64"), "ignored", why)
                   for rel, why in ignored.items())
    quality_df = pd.DataFrame(quality)
    if cross:  # duplicates across files: count them on the later file's row
        for rel, n in cross.items():
            sel = quality_df["file"] == rel
            quality_df.loc[sel, "rows_duplicate"] += n
            quality_df.loc[sel, "rows_clean"] -= n
    for rel, part in flagged.groupby("file", sort=True):
        sel = quality_df["file"] == rel
        quality_df.loc[sel, "rows_flagged"] = len(part)
        quality_df.loc[sel, "note"] = "count far outside the unit's history: " + ", ".join(
            f"{c} row {r}" for c, r in zip(part["column"], part["row_number"]))
    quality_df = schemas.conform(quality_df, schemas.DATA_QUALITY)
    rejects_df = schemas.conform(pd.concat(rejects, ignore_index=True), schemas.REJECTS)
    shutil.rmtree(parts)
    write_parquet(rejects_df, out / "rejects.parquet")
    write_parquet(quality_df, out / "data_quality.parquet")
    quality_df.to_csv(out / "data_quality.csv", index=False, lineterminator="\n")
    return CleanReport(quality_df, rejects_df, {}, flagged=flagged)


def _clean_small(raw_dir: Path, table: str, paths: list[Path], ctx: Context, parts: Path,
                 part_files: dict[str, list[Path]], into: tuple[list, list]) -> None:
    """One table by the pandas cleaners, in batches, into Parquet parts (merged by :func:`_merge_parts`)."""
    quality, rejects = into
    part_files[table] = []
    for i, batch in enumerate(batches(paths)):
        typed, rj, qrows = clean_batch(batch, raw_dir, table, ctx)
        rejects.append(rj)
        quality.extend(qrows)
        part = parts / f"{table}-{i:05d}.parquet"
        write_parquet(typed, part)
        part_files[table].append(part)
        if table == "units":
            _register_units(ctx, typed, qrows[0]["file"])
        if table == "asn":
            ctx.roster.update(typed["asn_id"])


def _register_units(ctx: Context, units: pd.DataFrame, rel: str) -> None:
    for uid, name in zip(units["unit_id"], units["unit_name"]):
        k = S.unit_key(name, ctx.city_words)
        if k in ctx.unit_lookup and ctx.unit_lookup[k] != uid:
            raise DataInputError(rel, "unit_name", 0, f"two units normalise to the same name "
                                 f"({shown(k, 'unit_name', 0)})")
        ctx.unit_lookup[k] = uid
        ctx.unit_lookup[uid] = uid
    for uid, spellings in ctx.profile.labels.get("unit", {}).items():  # mapping.yaml: labels: unit: {id: [...]}
        for spelling in spellings:
            k = S.unit_key(spelling, ctx.city_words)
            if ctx.unit_lookup.get(k, uid) != uid:
                raise DataInputError(MAPPING_FILE, "unit", 0, f"labels.unit.{uid}: {spelling!r} is already the "
                                     f"name of unit {ctx.unit_lookup[k]}")
            ctx.unit_lookup[k] = uid


_SQL_TYPES = {"str": "varchar", "int64": "bigint", "float64": "double", "bool": "boolean",
              schemas.TS: "timestamp_ms"}


def _casts(sch) -> str:
    return ", ".join(f"cast({c} as {_SQL_TYPES[t]}) as {c}" for c, t in schemas.dtypes(sch).items())


def _history_flags(frame: pd.DataFrame, table: str, column: str) -> pd.DataFrame:
    """Rows whose count is more than ``factor`` times off the median of the unit's other rows."""
    cfg = schemas.PLAUSIBILITY["history_flags"]
    g = frame.groupby("unit_id")[column]
    n = g.transform("size")
    med = g.transform("median")  # robust: one wild value barely moves the median of >= min_history values
    v = frame[column].astype("float64")
    far = (n >= cfg["min_history"]) & (med > 0) & ((v > cfg["factor"] * med) | (v * cfg["factor"] < med))
    hit = frame[far.to_numpy()]
    return pd.DataFrame({"file": hit["_file"].astype(str), "row_number": hit["_row"].astype("int64"),
                         "table": table, "column": column})


def _merge_parts(part_files: dict[str, list[Path]], out: Path, cfg: EngineConfig) -> tuple[dict[str, int], pd.DataFrame]:
    """Union each table's parts in DuckDB, keep the first row per key (file order), sort, write Parquet.

    DuckDB runs under the run's ``memory_limit`` and spills to a scratch folder: on the pandas path the
    parts hold every big table (nationally 147 M SKP rows ranked by key), which an unbounded connection
    took past 16 GB. Also returns the rows flagged as far outside their unit's history (columns marked in
    the schema).
    """
    scratch = out / "_merge"
    eng = connect(replace(cfg, engine="duckdb"), scratch)
    con = eng.con
    cross: dict[str, int] = {}
    flags = [pd.DataFrame(columns=["file", "row_number", "table", "column"])]
    try:
        for table, parts in part_files.items():
            sch = schemas.CANONICAL[table]
            pk = ", ".join(sch.metadata["key"])
            cols = ", ".join(sch.columns)
            srcs = ", ".join(f"'{p.as_posix()}'" for p in parts)
            con.execute(f"""create or replace temp view ranked as
                select *, row_number() over (partition by {pk} order by _file, _row) as _rn
                from read_parquet([{srcs}], union_by_name = true)""")
            for rel, n in con.execute("select _file, count(*) from ranked where _rn > 1 group by _file").fetchall():
                cross[rel] = int(n)
            for c, col in sch.columns.items():
                if col.metadata["flag_history"]:
                    frame = con.execute(f"select unit_id, {c}, _file, _row from ranked where _rn = 1").df()
                    flags.append(_history_flags(frame, table, c))
            dest = (out / f"{table}.parquet").as_posix()
            con.execute(f"""copy (select {_casts(sch)} from ranked where _rn = 1 order by {pk})
                            to '{dest}' (format parquet, compression zstd, row_group_size 122880)""")
    finally:
        eng.close()
        shutil.rmtree(scratch, ignore_errors=True)
    flagged = pd.concat(flags, ignore_index=True).sort_values(["file", "row_number", "column"]).reset_index(drop=True)
    return cross, flagged
