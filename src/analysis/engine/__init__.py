"""Query engines of the data layer: DuckDB (embedded, out of core) and Apache Spark (local or a cluster).

One definition of each transformation: cleaning and panel queries are written once, in DuckDB's SQL
dialect, and run unchanged on DuckDB; for Spark, sqlglot transpiles the same text to Spark SQL
(:meth:`SparkEngine.sql`). We chose transpiled SQL over Ibis because the panels were already DuckDB
SQL (one mechanism serves cleaning and panels), Ibis itself compiles through sqlglot, and sqlglot is
one small pure-Python dependency where Ibis brings many. The adapters below hold only what cannot be
shared: how each engine scans CSV files and numbers their rows, registers small Arrow tables,
materialises intermediate tables, and writes Parquet.

Timestamps travel through the engines as epoch milliseconds (``bigint``), so no session time zone can
shift them; :func:`write_parquet` casts them to the canonical ``timestamp[ms]`` at the end.

``pandas`` is not an engine here: it names today's per-file pandas path (:mod:`analysis.clean.run`),
kept as the peer for benchmarks and equality tests.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

ENGINES = ("duckdb", "spark", "pandas")


def sql_literal(s) -> str:
    """``s`` as a quoted SQL string literal (the same text in DuckDB's and Spark's dialects)."""
    return "'" + str(s).replace("'", "''") + "'"


@dataclass(frozen=True)
class EngineConfig:
    """How to run the data layer (run parameters ``engine``, ``memory_limit``, ``spark_master``, ``spark_conf``)."""

    engine: str = "duckdb"
    memory_limit: str = "4GB"
    spark_master: str = "local[2]"
    spark_conf: dict = field(default_factory=dict)

    def __post_init__(self):
        if self.engine not in ENGINES:
            raise ValueError(f"unknown engine {self.engine!r}; valid choices: {', '.join(ENGINES)}")


class EngineUnavailable(RuntimeError):
    """The chosen engine cannot start here (PySpark or Java missing)."""


def spark_available() -> str:
    """'' when PySpark and a Java runtime are present, else the reason Spark cannot run."""
    import importlib.util
    import shutil
    import os

    if importlib.util.find_spec("pyspark") is None:
        return "PySpark is not installed (pip install '.[spark]' or make env-spark)"
    if not (shutil.which("java") or os.environ.get("JAVA_HOME")):
        return "no Java runtime (install default-jre-headless or set JAVA_HOME)"
    return ""


def connect(cfg: EngineConfig, temp_dir: Path):
    """An engine session whose scratch files (spill, staged tables) live under ``temp_dir``."""
    temp_dir = Path(temp_dir)
    temp_dir.mkdir(parents=True, exist_ok=True)
    if cfg.engine == "duckdb":
        from analysis.engine.duck import DuckDBEngine

        return DuckDBEngine(cfg, temp_dir)
    if cfg.engine == "spark":
        why = spark_available()
        if why:
            raise EngineUnavailable(f"engine 'spark' cannot start: {why}")
        from analysis.engine.spark import SparkEngine

        return SparkEngine(cfg, temp_dir)
    raise ValueError(f"engine {cfg.engine!r} is not a query engine (pandas is the per-file path)")


def frame(con, query: str):
    """A query's rows as a pandas frame, through Arrow, on a DuckDB connection or a
    :class:`~analysis.engine.spark.SparkConnection`. Text stays in Arrow buffers: DuckDB's ``df()`` first
    makes a Python string per cell (the national unit-month panel: 4.3 M rows, five text columns), which
    pushed the panels step past its memory goal."""
    return con.sql(query).to_arrow_table().to_pandas()


__all__ = ["ENGINES", "EngineConfig", "EngineUnavailable", "connect", "frame", "spark_available"]
