"""DuckDB adapter: an on-disk scratch database with a memory limit and a spill directory.

Tables materialised here live in a database file under the run's temporary folder, and sorts,
joins and window functions spill to ``temp_directory`` past ``memory_limit``, so peak memory stays
near the limit however large the raw exports are.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pyarrow as pa

from analysis.engine import sql_literal


class DuckDBEngine:
    name = "duckdb"

    def __init__(self, cfg, temp_dir: Path):
        self.temp_dir = Path(temp_dir)
        self.con = duckdb.connect(str(self.temp_dir / "engine.duckdb"))
        self.con.execute(f"set memory_limit = {sql_literal(cfg.memory_limit)}")
        self.con.execute(f"set temp_directory = {sql_literal((self.temp_dir / 'spill').as_posix())}")
        self.con.execute("set preserve_insertion_order = true")
        self._registered: list[pa.Table] = []

    def sql(self, query: str) -> str:
        return query  # queries are written in DuckDB's dialect

    def execute(self, query: str) -> None:
        self.con.execute(query)

    def arrow(self, query: str) -> pa.Table:
        return self.con.sql(query).to_arrow_table()

    def rows(self, query: str) -> list[tuple]:
        return self.con.execute(query).fetchall()

    def register(self, name: str, table: pa.Table) -> None:
        self.con.register(f"_arrow_{name}", table)
        self.con.execute(f"create or replace table {name} as select * from _arrow_{name}")
        self.con.unregister(f"_arrow_{name}")

    def materialize(self, name: str, query: str) -> None:
        self.con.execute(f"create or replace table {name} as {query}")

    def drop(self, name: str) -> None:
        self.con.execute(f"drop table if exists {name}")
        self.con.execute(f"drop view if exists {name}")

    def scan_csv(self, name: str, files: list[Path], ncols: int, sep: str) -> None:
        """``name``: columns ``c0..`` (text, one header line skipped per file), ``_path`` and ``_ord``
        (increasing in file order within a file: the row id of an insertion-ordered table)."""
        cols = "{" + ", ".join(f"'c{i}': 'varchar'" for i in range(ncols)) + "}"
        srcs = "[" + ", ".join(sql_literal(Path(p).as_posix()) for p in files) + "]"
        self.con.execute(f"""create or replace table {name}_t as select * from read_csv({srcs}, delim = {sql_literal(sep)},
            quote = '"', escape = '"', header = false, skip = 1, columns = {cols}, filename = '_path',
            null_padding = true, auto_detect = false, encoding = 'utf-8')""")
        self.con.execute(f"create or replace view {name} as select *, rowid as _ord from {name}_t")

    def write_parts(self, query: str, folder: Path) -> list[Path]:
        folder.mkdir(parents=True, exist_ok=True)
        dest = folder / "part-00000.parquet"
        self.con.execute(f"copy ({query}) to {sql_literal(dest.as_posix())} (format parquet, compression zstd)")
        return [dest]

    def close(self) -> None:
        self.con.close()
