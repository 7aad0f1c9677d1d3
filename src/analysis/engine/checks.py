"""A pandera schema's checks as SQL over a Parquet file, for tables too large to validate in pandas.

Panels with one row per raw row (a national SKM has hundreds of millions of responses) are written by the
query engine straight to Parquet (:func:`analysis.panels.build_panels`); this validates the written file
with DuckDB, out of core under the connection's memory limit, against the same schema pandera applies to
the small panels: the file's columns and Arrow types (what :func:`analysis.io.write_parquet` would give
the frame), no null (or NaN) in a non-nullable column, the key unique, and the columns' value checks
(``isin``, ``notin``, comparisons and ranges; any other check is an error here, not a silent pass).
One scan counts every violation; only a failing check is scanned again, for its first rows.

Errors name the table, the column, the check and the first rows (0-based, in the file's order, which is
the row index a pandas reader gives). Failing values are shown for value checks only; key values and
null rows are named by row, so no identifier reaches a message.
"""

from __future__ import annotations

from pathlib import Path

import pandera.pandas as pa
import pyarrow.parquet as pq

from analysis.engine import sql_literal

SHOW_ROWS = 5


class SchemaViolation(ValueError):
    """A streamed table breaks its schema: the message names table, column, check and rows."""


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _lit(v) -> str:
    return sql_literal(v) if isinstance(v, str) else repr(v)


def _check_sql(col: str, chk: pa.Check) -> str:
    """SQL true where a non-null value fails ``chk`` (pandera ignores nulls in value checks)."""
    s, c = chk.statistics, _q(col)
    if chk.name == "isin":
        return f"{c} not in ({', '.join(map(_lit, s['allowed_values']))})"
    if chk.name == "notin":
        return f"{c} in ({', '.join(map(_lit, s['forbidden_values']))})"
    ops = {"greater_than_or_equal_to": ("<", "min_value"), "greater_than": ("<=", "min_value"),
           "less_than_or_equal_to": (">", "max_value"), "less_than": (">=", "max_value"),
           "equal_to": ("<>", "value"), "not_equal_to": ("=", "value")}
    if chk.name in ops:
        op, key = ops[chk.name]
        return f"{c} {op} {_lit(s[key])}"
    if chk.name == "in_range":
        lo = f"{c} {'<' if s['include_min'] else '<='} {_lit(s['min_value'])}"
        hi = f"{c} {'>' if s['include_max'] else '>='} {_lit(s['max_value'])}"
        return f"({lo} or {hi})"
    raise ValueError(f"check {chk.name!r} of column {col!r} has no SQL form here: add it to "
                     "analysis.engine.checks or validate this table in pandas")


def rules(schema: pa.DataFrameSchema) -> list[tuple[str, str, str, bool]]:
    """(column, check label, SQL true on a failing row, show the value) for every column check."""
    out = []
    for name, col in schema.columns.items():
        c = _q(name)
        if not col.nullable:
            nan = f" or isnan({c})" if str(col.dtype).startswith("float") else ""
            out.append((name, "not_nullable", f"{c} is null{nan}", False))
        for chk in col.checks:
            out.append((name, chk.name, f"{c} is not null and {_check_sql(name, chk)}", True))
    return out


def check_parquet(con, path: Path, schema: pa.DataFrameSchema, arrow_schema) -> None:
    """Raise :class:`SchemaViolation` unless the Parquet file at ``path`` meets ``schema``.

    ``con``: a DuckDB connection (its memory limit and spill directory bound the scans);
    ``arrow_schema``: the columns and types the file must have.
    """
    table = schema.name
    got = pq.read_schema(path).remove_metadata()
    if got != arrow_schema:
        diff = [f"{f.name}: {f.type}" for f in got if f not in arrow_schema] or ["columns differ"]
        raise SchemaViolation(f"{table}: columns or types differ from the schema (expected "
                              f"{', '.join(f'{f.name}: {f.type}' for f in arrow_schema)}; got {', '.join(diff)})")
    src = f"read_parquet('{Path(path).as_posix()}', file_row_number = true)"
    checks = rules(schema)
    problems = []
    if checks:
        counts = con.execute("select " + ", ".join(f"count(*) filter (where {sql})" for _, _, sql, _ in checks)
                             + f" from {src}").fetchone()
        for (col, label, sql, show), n in zip(checks, counts):
            if n:
                rows = con.execute(f"select file_row_number, {_q(col)} from {src} where {sql} "
                                   f"order by file_row_number limit {SHOW_ROWS}").fetchall()
                cases = ", ".join(f"{r} ({v!r})" if show else str(r) for r, v in rows)
                problems.append(f"column {col!r} fails {label} in {n} rows; first rows: {cases}")
    key = list(schema.unique or [])
    if key:
        k = ", ".join(map(_q, key))
        dup = f"select {k} from {src} group by {k} having count(*) > 1"
        (n,) = con.execute(f"select count(*) from ({dup})").fetchone()
        if n:
            on = " and ".join(f"t.{c} = d.{c}" for c in map(_q, key))
            rows = con.execute(f"select t.file_row_number from {src} t join ({dup} limit {SHOW_ROWS}) d on {on} "
                               f"order by t.file_row_number limit {2 * SHOW_ROWS}").fetchall()
            problems.append(f"key ({', '.join(key)}) not unique: {n} values repeated; first rows: "
                            f"{', '.join(str(r) for (r,) in rows)}")
    if problems:
        raise SchemaViolation(f"{table}: " + "; ".join(problems))


__all__ = ["SchemaViolation", "check_parquet", "rules"]
