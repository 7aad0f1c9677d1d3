"""Chunk sources for :func:`analysis.did.streamed.streamed_att_gt`.

A source is re-iterable (the estimator reads it twice) and every chunk holds all
rows of its units. Units go to chunks by a hash of their id, so a chunk is one
filtered scan of the data wherever it lives:

* :func:`frame_chunks`: a pandas frame split by unit (tests, small data);
* :class:`DuckDBChunks`: a DuckDB table, view or Parquet files, one query per chunk
  (``hash(id) % n_chunks = k``, or ranges of a whole-number id, which lets DuckDB
  skip the Parquet row groups of other chunks when the files are sorted by id),
  under a memory limit; DuckDB spills to disk;
* :class:`SparkChunks`: a Spark DataFrame repartitioned by unit; the estimator's
  per-chunk work runs on the executors (``mapInPandas``) and only its small partial
  sums travel to the driver. PySpark is an optional extra (``pip install .[spark]``).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import numpy as np
import pandas as pd


def frame_chunks(data: pd.DataFrame, idname: str, n_chunks: int, *, seed: int | None = None) -> list[pd.DataFrame]:
    """Split ``data`` into ``n_chunks`` frames by unit; ``seed`` shuffles units and rows."""
    codes, _ = pd.factorize(data[idname])
    n_units = codes.max() + 1
    rng = np.random.default_rng(seed)
    perm = rng.permutation(n_units) if seed is not None else np.arange(n_units)
    part = perm[codes] * n_chunks // n_units
    out = []
    for k in range(n_chunks):
        chunk = data[part == k]
        if seed is not None:
            chunk = chunk.sample(frac=1.0, random_state=int(rng.integers(2**31)))
        out.append(chunk)
    return out


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


class DuckDBChunks:
    """Chunks of a panel held by DuckDB: a table/view name, a Parquet path or glob, or a query.

    ``relation`` ending in ``.parquet`` (or containing ``*``) is read with
    ``read_parquet``; text starting with ``SELECT`` or ``WITH`` is used as a subquery; anything
    else is a table or view of ``database``. ``memory_limit`` (e.g. ``"4GB"``) and
    ``threads`` are DuckDB settings; ``temp_directory`` is where it spills.
    ``split="hash"`` assigns units by ``hash(id)``; ``"range"`` by equal ranges of
    a whole-number id (cheap on files sorted by id: each query reads its row groups only).
    ``order=False`` skips DuckDB's ``ORDER BY id, period`` (for data already stored in
    that order; the estimator sorts a chunk itself when it is not).
    """

    def __init__(self, relation: str, columns: Sequence[str], idname: str, tname: str, *, n_chunks: int = 8,
                 database: str = ":memory:", memory_limit: str | None = "4GB", threads: int | None = None,
                 temp_directory: str | None = None, split: str = "hash", order: bool = True):
        if n_chunks < 1:
            raise ValueError("n_chunks must be positive")
        if split not in ("hash", "range"):
            raise ValueError(f"split must be 'hash' or 'range', got {split!r}")
        self.split, self.order = split, order
        self.relation, self.columns, self.idname, self.tname = relation, list(columns), idname, tname
        self.n_chunks, self.database = int(n_chunks), database
        self.settings = {"memory_limit": memory_limit, "threads": threads, "temp_directory": temp_directory}

    def _from(self) -> str:
        rel = self.relation.strip()
        if rel.lower().startswith(("select", "with")):  # before the glob test: a query may hold "select *"
            return f"({rel})"
        if rel.lower().endswith(".parquet") or "*" in rel:
            return "read_parquet('" + rel.replace("'", "''") + "')"
        return rel

    def _connect(self):
        import duckdb

        con = duckdb.connect(self.database, read_only=self.database != ":memory:")
        for key, val in self.settings.items():
            if val is not None:
                con.execute(f"SET {key} = '{val}'" if isinstance(val, str) else f"SET {key} = {int(val)}")
        return con

    def __iter__(self) -> Iterator[dict[str, np.ndarray]]:
        con = self._connect()
        try:
            cols = ", ".join(_quote(c) for c in self.columns)
            idq, tq = _quote(self.idname), _quote(self.tname)
            if self.split == "range":
                lo, hi = con.execute(f"SELECT min({idq}), max({idq}) FROM {self._from()}").fetchone()
                if lo is None:
                    return
                cuts = [int(lo) + (int(hi) + 1 - int(lo)) * k // self.n_chunks for k in range(self.n_chunks + 1)]
            for k in range(self.n_chunks):
                if self.n_chunks == 1:
                    where = ""
                elif self.split == "range":
                    where = f" WHERE {idq} >= {cuts[k]} AND {idq} < {cuts[k + 1]}"
                else:
                    where = f" WHERE hash({idq}) % {self.n_chunks} = {k}"
                order = f" ORDER BY {idq}, {tq}" if self.order else ""
                yield con.execute(f"SELECT {cols} FROM {self._from()}{where}{order}").fetchnumpy()
        finally:
            con.close()


class SparkChunks:
    """A Spark DataFrame as ``n_chunks`` partitions of whole units (``repartition(n_chunks, id)``).

    :meth:`map_partitions` runs a function on each partition on the executors and
    returns its (pickled) results to the driver; that is how the streamed
    estimator uses it, so no chunk of rows is ever collected. Iterating pulls each
    chunk to the driver instead (``toPandas`` of ``pmod(xxhash64(id), n) = k``).
    The executors' Python (``spark.pyspark.python``) must have this package installed.
    """

    def __init__(self, frame, columns: Sequence[str], idname: str, *, n_chunks: int = 8):
        self.frame, self.columns, self.idname, self.n_chunks = frame, list(columns), idname, int(n_chunks)

    def map_partitions(self, fn) -> Iterator:
        import pickle

        def run(batches):
            frames = list(batches)
            if frames:
                chunk = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
                yield pd.DataFrame({"blob": [pickle.dumps(fn(chunk, "Spark partition"))]})

        df = self.frame.select(*self.columns).repartition(self.n_chunks, self.idname)
        for row in df.mapInPandas(run, "blob binary").toLocalIterator():
            yield pickle.loads(row.blob)

    def __iter__(self) -> Iterator[pd.DataFrame]:
        from pyspark.sql import functions as F

        part = F.pmod(F.xxhash64(F.col(self.idname)), F.lit(self.n_chunks))
        df = self.frame.select(*self.columns).withColumn("__chunk", part)
        for k in range(self.n_chunks):
            yield df.where(F.col("__chunk") == k).drop("__chunk").toPandas()


def local_spark(master: str = "local[2]", app: str = "analysis", conf: dict | None = None):
    """A local Spark session whose Python workers import what this interpreter imports.

    Spark starts its workers with the resolved interpreter (outside a virtual
    environment), so the driver's ``sys.path`` is handed to them; on a cluster, install
    the package on the executors instead.
    """
    import os
    import sys

    from pyspark.sql import SparkSession

    path = os.pathsep.join(p for p in sys.path if p)
    builder = (SparkSession.builder.master(master).appName(app).config("spark.pyspark.python", sys.executable)
               .config("spark.executorEnv.PYTHONPATH", path))
    for key, val in (conf or {}).items():
        builder = builder.config(key, val)
    return builder.getOrCreate()
