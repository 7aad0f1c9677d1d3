"""Spark adapter: a SparkSession (``local[2]`` by default, or a cluster via ``spark_master``).

Queries arrive in DuckDB's dialect and are transpiled to Spark SQL by sqlglot. Intermediate tables are
written as Parquet under the run's temporary folder (on a cluster, point ``spark_conf`` at shared
storage through ``spark.local.dir`` and use a temporary folder every executor can read).
Rows of a CSV file are numbered by ``monotonically_increasing_id`` within the file, which increases in
file order (a split's ids follow the previous split's).
"""

from __future__ import annotations

import atexit
import os
import re
import shutil
import sys
import tempfile
from pathlib import Path

import pyarrow as pa
import sqlglot

_SESSION = None


def _spark_memory(limit: str) -> str:
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([KMGT]i?B?)\s*", limit, re.I)
    if not m:
        return "4g"
    value, unit = float(m.group(1)), m.group(2)[0].lower()
    return f"{max(int(value), 1)}{unit}"


def _local_cores(master: str) -> int:
    """Shuffle partitions: the cores of a local master (few, large tasks), else Spark's default."""
    m = re.fullmatch(r"local(?:\[(\d+|\*)(?:,\d+)?\])?", master)
    if not m:
        return 200
    return os.cpu_count() or 1 if m.group(1) == "*" else int(m.group(1) or 1)


def session(cfg, temp_dir: Path):
    """One JVM per process (starting one takes seconds); each engine gets its own SQL session.

    The master and the non-SQL settings of the first engine hold for the whole process (a command or a
    notebook kernel serves one run); ``spark.sql.*`` settings are applied per session.
    """
    global _SESSION
    from pyspark.sql import SparkSession

    if _SESSION is None:
        local_dir = tempfile.mkdtemp(prefix="analysis-spark-")
        atexit.register(shutil.rmtree, local_dir, True)  # registered first, so it runs after Spark stops
        b = (SparkSession.builder.master(cfg.spark_master).appName("analysis-data-layer")
             .config("spark.sql.session.timeZone", "UTC")
             .config("spark.sql.ansi.enabled", "false")
             .config("spark.ui.enabled", "false")
             .config("spark.ui.showConsoleProgress", "false")
             .config("spark.sql.shuffle.partitions", str(_local_cores(cfg.spark_master)))
             .config("spark.driver.memory", _spark_memory(cfg.memory_limit))
             .config("spark.local.dir", local_dir)
             .config("spark.sql.parquet.outputTimestampType", "TIMESTAMP_MICROS")
             .config("spark.sql.execution.arrow.pyspark.enabled", "true"))
        if cfg.spark_master.startswith("local"):  # Python workers (UDFs, mapInPandas) import what we import
            b = b.config("spark.pyspark.python", sys.executable).config(
                "spark.executorEnv.PYTHONPATH", os.pathsep.join(p for p in sys.path if p))
        for k, v in (cfg.spark_conf or {}).items():
            b = b.config(str(k), str(v))
        _SESSION = b.getOrCreate()
        _SESSION.sparkContext.setLogLevel("ERROR")
    return _SESSION.newSession()


class SparkEngine:
    name = "spark"

    def __init__(self, cfg, temp_dir: Path):
        self.temp_dir = Path(temp_dir)
        self.spark = session(cfg, self.temp_dir)
        for k, v in (cfg.spark_conf or {}).items():  # SQL options may differ per session
            if str(k).startswith("spark.sql."):
                self.spark.conf.set(str(k), str(v))
        self.spark.conf.set("spark.sql.session.timeZone", "UTC")
        self.spark.conf.set("spark.sql.ansi.enabled", "false")

    def sql(self, query: str) -> str:
        return ";\n".join(sqlglot.transpile(query, read="duckdb", write="spark"))

    def _df(self, query: str):
        return self.spark.sql(self.sql(query))

    def execute(self, query: str) -> None:
        self._df(query).collect()

    def arrow(self, query: str) -> pa.Table:
        return self._df(query).toArrow()

    def rows(self, query: str) -> list[tuple]:
        return [tuple(r) for r in self._df(query).collect()]

    def register(self, name: str, table: pa.Table) -> None:
        df = self.spark.createDataFrame(table) if table.num_rows else self.spark.createDataFrame(
            table.to_pandas(), schema=_spark_schema(table.schema))
        df.createOrReplaceTempView(name)

    def materialize(self, name: str, query: str) -> None:
        dest = self.temp_dir / "tables" / name
        self._df(query).write.mode("overwrite").parquet(dest.as_posix())
        self.spark.read.parquet(dest.as_posix()).createOrReplaceTempView(name)

    def drop(self, name: str) -> None:
        self.spark.catalog.dropTempView(name)

    def scan_csv(self, name: str, files: list[Path], ncols: int, sep: str) -> None:
        from pyspark.sql import functions as F
        from pyspark.sql.types import StringType, StructField, StructType

        schema = StructType([StructField(f"c{i}", StringType()) for i in range(ncols)])
        df = self.spark.read.csv([Path(p).as_posix() for p in files], schema=schema, header=True, sep=sep,
                                 quote='"', escape='"', encoding="UTF-8", mode="FAILFAST", multiLine=False)
        df = df.select("*", F.col("_metadata.file_path").alias("_path"),
                       F.monotonically_increasing_id().alias("_ord"))
        df.createOrReplaceTempView(name)

    def write_parts(self, query: str, folder: Path) -> list[Path]:
        self._df(query).write.mode("overwrite").parquet(folder.as_posix())
        return sorted(folder.glob("part-*.parquet"))

    def close(self) -> None:
        for t in self.spark.catalog.listTables():
            if t.isTemporary:
                self.spark.catalog.dropTempView(t.name)


def _spark_schema(schema: pa.Schema):
    from pyspark.sql.types import (BooleanType, DoubleType, LongType, StringType, StructField, StructType)

    kinds = {pa.string(): StringType(), pa.large_string(): StringType(), pa.int64(): LongType(),
             pa.float64(): DoubleType(), pa.bool_(): BooleanType()}
    return StructType([StructField(f.name, kinds.get(f.type, StringType())) for f in schema])


class _Result:
    def __init__(self, df):
        self._df = df

    def to_arrow_table(self) -> pa.Table:
        t = self._df.toArrow()
        cols = {}
        for f in t.schema:  # Spark hands timestamps over with the session's zone (UTC): make them naive
            col = t.column(f.name)
            if pa.types.is_timestamp(f.type) and f.type.tz is not None:
                col = col.cast(pa.timestamp(f.type.unit))
            cols[f.name] = col
        return pa.table(cols)

    def df(self):
        import pandas as pd

        t = self.to_arrow_table()
        return t.to_pandas() if t.num_columns else pd.DataFrame()

    def fetchone(self):
        rows = self._df.take(1)
        return tuple(rows[0]) if rows else None

    def fetchall(self):
        return [tuple(r) for r in self._df.collect()]


class SparkConnection:
    """The part of a DuckDB connection the panel builders use (``execute().df()``, ``register``), on Spark:
    the panels' DuckDB SQL runs transpiled, so both engines share one definition."""

    def __init__(self, engine: SparkEngine):
        self.engine = engine

    def execute(self, query: str) -> _Result:
        return _Result(self.engine._df(query))

    sql = execute  # DuckDB's relation API, as far as the panels use it (``sql(q).to_arrow_table()``)

    def register(self, name: str, frame) -> None:
        self.engine.register(name, pa.Table.from_pandas(frame, preserve_index=False))

    def unregister(self, name: str) -> None:
        self.engine.drop(name)

    def view_parquet(self, name: str, path) -> None:
        self.engine.spark.read.parquet(Path(path).as_posix()).createOrReplaceTempView(name)

    def close(self) -> None:
        self.engine.close()
