"""Final Parquet files of the engines: one file per table, canonical Arrow types, fixed row groups.

Both engines write their ordered result as Parquet parts (DuckDB one file, Spark one per partition);
:func:`finish_parquet` streams the parts in order into the table's single file with the project's
writer options (:data:`analysis.io.PARQUET_OPTIONS`), casting epoch-millisecond columns to
``timestamp[ms]``. Row groups have a fixed number of rows whatever the parts' batch sizes, so equal
rows give equal bytes on either engine; memory is bounded by one row group.
"""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from analysis import schemas
from analysis.io import PARQUET_OPTIONS

ROW_GROUP = 122_880  # rows, as the pandas path's DuckDB writer; bounds the buffer to one group
_ARROW = {"str": pa.string(), "int64": pa.int64(), "float64": pa.float64(), "bool": pa.bool_(),
          schemas.TS: pa.timestamp("ms")}


def arrow_schema(sch) -> pa.Schema:
    return pa.schema([(c, _ARROW[t]) for c, t in schemas.dtypes(sch).items()])


def _cast(batch: pa.RecordBatch, schema: pa.Schema) -> pa.RecordBatch:
    cols = []
    for f in schema:
        col = batch.column(batch.schema.get_field_index(f.name))
        if pa.types.is_timestamp(f.type) and pa.types.is_integer(col.type):
            col = col.cast(pa.int64()).cast(f.type)
        elif pa.types.is_timestamp(col.type):
            col = col.cast(pa.timestamp(col.type.unit)).cast(f.type)  # drop a session time zone
        else:
            col = col.cast(f.type)
        cols.append(col)
    return pa.RecordBatch.from_arrays(cols, schema=schema)


def finish_parquet(parts: list[Path], dest: Path, schema: pa.Schema, row_group: int = ROW_GROUP) -> Path:
    """``row_group``: rows per row group (the panels pass :data:`analysis.io.ROW_GROUP_ROWS`, the groups of
    :func:`analysis.io.write_parquet`, so a streamed panel has the bytes of its in-memory twin)."""
    buf: list[pa.RecordBatch] = []
    n = written = 0
    with pq.ParquetWriter(dest, schema, **PARQUET_OPTIONS) as w:
        for part in parts:
            for batch in pq.ParquetFile(part).iter_batches(batch_size=65536):
                buf.append(_cast(batch, schema))
                n += batch.num_rows
                while n >= row_group:
                    t = pa.Table.from_batches(buf, schema)
                    w.write_table(t.slice(0, row_group).combine_chunks(), row_group_size=row_group)
                    written += row_group
                    rest = t.slice(row_group)
                    buf, n = rest.to_batches(), rest.num_rows
        if n or not written:
            w.write_table(pa.Table.from_batches(buf, schema).combine_chunks() if buf else schema.empty_table(),
                          row_group_size=row_group)
    return dest
