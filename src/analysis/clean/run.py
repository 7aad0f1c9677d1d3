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

Nothing is written to ``interim_dir`` until every file has been cleaned: outputs
go to a temporary sibling directory and are moved in at the end, so a
DataInputError leaves ``interim_dir`` as it was.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from analysis import schemas
from analysis.clean import specs as S
from analysis.clean.errors import DataInputError
from analysis.clean.tables import CLEANERS, Context, RawTable
from analysis.io import UnreadableFileError, read_table, write_parquet
from analysis.pseudonym import resolve_key

SYNTHETIC_MARKER = "SYNTHETIC.json"


@dataclass
class CleanReport:
    quality: pd.DataFrame
    rejects: pd.DataFrame
    outputs: dict[str, Path]
    ignored: list[str] = field(default_factory=list)
    synthetic: bool = False

    def balanced(self) -> bool:
        q = self.quality
        return bool((q["rows_raw"] == q["rows_clean"] + q["rows_rejected"] + q["rows_duplicate"]).all())


def discover(raw_dir: Path) -> tuple[dict[str, list[Path]], list[str]]:
    """Raw files per table, sorted; files matching no pattern are returned as ignored."""
    found: dict[str, list[Path]] = {t: [] for t in S.TABLE_ORDER}
    claimed = set()
    for pattern, table in S.FILE_PATTERNS:
        for p in sorted(raw_dir.glob(pattern)):
            if p.is_file() and p.suffix.lower() in S.READABLE_SUFFIXES and p not in claimed:
                found[table].append(p)
                claimed.add(p)
    ignored = sorted(str(p.relative_to(raw_dir)) for p in raw_dir.rglob("*")
                     if p.is_file() and p not in claimed and "_truth" not in p.parts
                     and p.name not in (SYNTHETIC_MARKER, ".gitkeep"))
    return found, ignored


def _header_key(h: str) -> str:
    return S.key(str(h).replace("\ufeff", ""))


def map_headers(df: pd.DataFrame, table: str, rel: str) -> pd.DataFrame:
    """Rename raw headers to field ids; a required field without a matching header is fatal."""
    spec = S.HEADERS[table]
    lookup = {_header_key(a): fld for fld, aliases in spec.items() for a in (fld, *aliases)}
    rename, seen = {}, {}
    for h in df.columns:
        fld = lookup.get(_header_key(h))
        if fld and fld not in seen:
            rename[h] = fld
            seen[fld] = h
    missing = [f for f in spec if f not in seen and f not in S.OPTIONAL.get(table, set())]
    if missing:
        f = missing[0]
        raise DataInputError(rel, f, 0, f"required column '{f}' missing; expected a header like {list(spec[f])}, "
                             f"found {[str(c) for c in df.columns]}")
    return df[list(rename)].rename(columns=rename)


def read_cells(path: Path, raw_dir: Path, table: str) -> tuple[str, pd.DataFrame]:
    """One raw file as text cells under field ids (header mapping applied)."""
    rel = path.relative_to(raw_dir).as_posix()
    try:
        df, _ = read_table(path)
    except UnreadableFileError as exc:
        raise DataInputError(rel, exc.column, exc.row, str(exc)) from exc
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise DataInputError(rel, "-", 0, f"not a readable table: {exc}") from exc
    if len(df.columns) == 0 or len(df) == 0:
        raise DataInputError(rel, "-", 1, "file has a header but no data rows" if len(df.columns) else "file is empty")
    return rel, map_headers(df.fillna(""), table, rel)


def _quality_row(rel: str, table: str, n_raw: int, n_clean: int, n_dup: int, reasons: pd.Series) -> dict:
    row = {"file": rel, "table": table, "rows_raw": n_raw, "rows_clean": n_clean,
           "rows_rejected": int(reasons.sum()), "rows_duplicate": n_dup}
    row.update({f"rejected_{r}": int(reasons.get(r, 0)) for r in schemas.REASONS})
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
    rels, frames = zip(*(read_cells(p, raw_dir, table) for p in paths))
    fields = [f for f in S.HEADERS[table] if any(f in fr.columns for fr in frames)]
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
    schemas.validate(typed, sch)  # a failure here is a cleaning bug, not bad input: every bad cell was rejected
    typed = typed.assign(_file=np.array(rels, dtype=object)[df["_fi"].to_numpy()],
                                            _row=df["_row"].to_numpy())
    return typed, rj, quality


def clean_file(path: Path, raw_dir: Path, table: str, ctx: Context) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    """Clean one raw file (see :func:`clean_batch`)."""
    typed, rj, quality = clean_batch([path], raw_dir, table, ctx)
    return typed, rj, quality[0]


def clean_raw(raw_dir: Path, interim_dir: Path, *, key: bytes | None = None) -> CleanReport:
    """Clean every raw export under ``raw_dir`` into canonical Parquet tables in ``interim_dir``."""
    raw_dir, interim_dir = Path(raw_dir), Path(interim_dir)
    if not raw_dir.is_dir():
        raise DataInputError(str(raw_dir), "-", 0, "raw directory does not exist")
    synthetic = (raw_dir / SYNTHETIC_MARKER).is_file()
    # MissingKeyError for real data without a key, before anything is read or written
    secret = resolve_key(key, synthetic=synthetic, search=(raw_dir, raw_dir.parent, raw_dir.parent.parent))
    files, ignored = discover(raw_dir)
    for table in S.TABLE_ORDER:
        if not files[table]:
            raise DataInputError(str(raw_dir), "-", 0, f"no raw file for table '{table}' "
                                 f"(expected {[p for p, t in S.FILE_PATTERNS if t == table]})")
    interim_dir.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{interim_dir.name}-", dir=interim_dir.parent))
    try:
        report = _clean_into(raw_dir, tmp, files, secret)
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


def _clean_into(raw_dir: Path, out: Path, files: dict[str, list[Path]], secret: bytes) -> CleanReport:
    ctx = Context(key=secret)
    parts = out / "_parts"
    parts.mkdir()
    quality, rejects, part_files = [], [], {}
    for table in S.TABLE_ORDER:
        part_files[table] = []
        for i, batch in enumerate(batches(files[table])):
            typed, rj, qrows = clean_batch(batch, raw_dir, table, ctx)
            rejects.append(rj)
            quality.extend(qrows)
            part = parts / f"{table}-{i:05d}.parquet"
            write_parquet(typed, part)
            part_files[table].append(part)
            if table == "units":
                _register_units(ctx, typed, qrows[0]["file"])
            if table == "asn":
                ctx.roster.update(typed["asn_id"].tolist())
    quality_df = pd.DataFrame(quality)
    cross = _merge_parts(part_files, out)
    if cross:  # duplicates across files: count them on the later file's row
        for rel, n in cross.items():
            sel = quality_df["file"] == rel
            quality_df.loc[sel, "rows_duplicate"] += n
            quality_df.loc[sel, "rows_clean"] -= n
    quality_df = schemas.conform(quality_df, schemas.DATA_QUALITY)
    rejects_df = schemas.conform(pd.concat(rejects, ignore_index=True), schemas.REJECTS)
    shutil.rmtree(parts)
    write_parquet(rejects_df, out / "rejects.parquet")
    write_parquet(quality_df, out / "data_quality.parquet")
    quality_df.to_csv(out / "data_quality.csv", index=False, lineterminator="\n")
    return CleanReport(quality_df, rejects_df, {})


def _register_units(ctx: Context, units: pd.DataFrame, rel: str) -> None:
    for uid, name in zip(units["unit_id"], units["unit_name"]):
        k = S.unit_key(name)
        if k in ctx.unit_lookup and ctx.unit_lookup[k] != uid:
            raise DataInputError(rel, "unit_name", 0, f"two units normalise to the same name {k!r}")
        ctx.unit_lookup[k] = uid
        ctx.unit_lookup[uid] = uid


_SQL_TYPES = {"str": "varchar", "int64": "bigint", "float64": "double", "bool": "boolean",
              schemas.TS: "timestamp_ms"}


def _casts(sch) -> str:
    return ", ".join(f"cast({c} as {_SQL_TYPES[t]}) as {c}" for c, t in schemas.dtypes(sch).items())


def _merge_parts(part_files: dict[str, list[Path]], out: Path) -> dict[str, int]:
    """Union each table's parts in DuckDB, keep the first row per key (file order), sort, write Parquet."""
    con = duckdb.connect()
    con.execute("set preserve_insertion_order = true")
    cross: dict[str, int] = {}
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
            dest = (out / f"{table}.parquet").as_posix()
            con.execute(f"""copy (select {_casts(sch)} from ranked where _rn = 1 order by {pk})
                            to '{dest}' (format parquet, compression zstd, row_group_size 122880)""")
    finally:
        con.close()
    return cross
