"""Helpers of the engine tests: a digest of a table's rows, and a bulk-export copy of a raw folder."""

from __future__ import annotations

import gzip
import hashlib
import shutil
from pathlib import Path

import pandas as pd

from analysis import schemas

OUTPUTS = [*schemas.CANONICAL, "rejects", "data_quality"]


def digest(df: pd.DataFrame) -> str:
    """SHA-256 of a table's rows after sorting by every column: same rows and values <=> same digest."""
    df = df.sort_values(list(df.columns), kind="mergesort").reset_index(drop=True)
    text = df.to_csv(index=False, lineterminator="\n", date_format="%Y-%m-%dT%H:%M:%S.%f")
    return hashlib.sha256(f"{list(df.dtypes.astype(str))}\n{text}".encode()).hexdigest()


def digests(interim: Path) -> dict[str, str]:
    return {name: digest(pd.read_parquet(Path(interim) / f"{name}.parquet")) for name in OUTPUTS}


def assert_same_outputs(a: Path, b: Path) -> None:
    """Every canonical table, the rejects and the data-quality table are equal, row for row."""
    for name in OUTPUTS:
        x, y = pd.read_parquet(Path(a) / f"{name}.parquet"), pd.read_parquet(Path(b) / f"{name}.parquet")
        pd.testing.assert_frame_equal(x, y, obj=name)


def bulk_copy(raw: Path, dest: Path, region: str = "16.71") -> Path:
    """``raw`` with the big tables as a bulk dump (the shared contract): gzip CSV partitions named
    ``<stem>_<kab/kota code>_<period>.csv.gz``; SKP split in two partitions per file. Other files copied.
    The copy is no longer the generator's output: no synthetic marker, no truth (clean it with a key)."""
    shutil.copytree(raw, dest, ignore=shutil.ignore_patterns("SYNTHETIC.json", "_truth"))
    for p in sorted((dest / "antrian").glob("*.csv")):
        unit, year = p.stem.split("_")[1:3]
        _gz(p.read_bytes(), p.with_name(f"antrian_{region}_{year}-{unit}.csv.gz"))
        p.unlink()
    for p in sorted((dest / "ekinerja").glob("skp_*.csv")):
        lines = p.read_bytes().splitlines(keepends=True)
        half = 1 + (len(lines) - 1) // 2
        _gz(b"".join(lines[:half]), p.with_name(f"skp_{region}_{p.stem.split('_')[1]}-a.csv.gz"))
        _gz(lines[0] + b"".join(lines[half:]), p.with_name(f"skp_{region}_{p.stem.split('_')[1]}-b.csv.gz"))
        p.unlink()
    for p in sorted((dest / "skm").glob("skm_*.csv")):
        _gz(p.read_bytes(), p.with_name(f"skm_{region}_{p.stem.split('_')[1]}.csv.gz"))
        p.unlink()
    return dest


def _gz(data: bytes, path: Path) -> None:
    with gzip.GzipFile(path, "wb", mtime=0) as fh:
        fh.write(data)
