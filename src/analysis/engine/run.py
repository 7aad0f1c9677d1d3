"""Clean + panels on one engine, as one call (what benchmarks time per engine and scale).

    python -m analysis.engine.run RAW_DIR OUT_DIR --engine duckdb [--memory-limit 4GB]
        [--spark-master local[2]] [--spark-conf spark.x=y ...] [--key-env VAR]

prints one JSON line: seconds per step and row counts. ``OUT_DIR`` gets ``interim/`` and ``processed/``.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

from analysis.engine import EngineConfig


def clean_and_panels(raw_dir: Path, out_dir: Path, engine: str = "duckdb", *, memory_limit: str = "4GB",
                     spark_master: str = "local[2]", spark_conf: dict | None = None, key: bytes | None = None,
                     study: str | None = None) -> dict:
    """Clean ``raw_dir`` into ``out_dir/interim`` and build the panels into ``out_dir/processed``."""
    from analysis.clean import clean_raw
    from analysis.panels import build_panels

    cfg = EngineConfig(engine, memory_limit, spark_master, dict(spark_conf or {}))
    out_dir = Path(out_dir)
    t0 = time.perf_counter()
    report = clean_raw(Path(raw_dir), out_dir / "interim", key=key, study=study, engine=cfg)
    t1 = time.perf_counter()
    build_panels(out_dir / "interim", out_dir / "processed", engine=cfg)
    t2 = time.perf_counter()
    q = report.quality[report.quality["status"] == "cleaned"]
    return {"engine": engine, "clean_s": round(t1 - t0, 2), "panels_s": round(t2 - t1, 2),
            "total_s": round(t2 - t0, 2), "rows_raw": int(q["rows_raw"].sum()),
            "rows_clean": int(q["rows_clean"].sum()), "balanced": report.balanced(),
            "rows_tickets": int(q.loc[q["table"] == "tickets", "rows_clean"].sum())}


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("raw_dir", type=Path)
    ap.add_argument("out_dir", type=Path)
    ap.add_argument("--engine", default="duckdb", choices=["duckdb", "spark", "pandas"])
    ap.add_argument("--memory-limit", default="4GB")
    ap.add_argument("--spark-master", default="local[2]")
    ap.add_argument("--spark-conf", nargs="*", default=[], help="spark.key=value settings")
    ap.add_argument("--key-env", default="", help="environment variable holding the pseudonym key (real data)")
    ap.add_argument("--study", default=None)
    a = ap.parse_args(argv)
    conf = dict(kv.split("=", 1) for kv in a.spark_conf)
    key = os.environ[a.key_env].encode() if a.key_env else None
    print(json.dumps(clean_and_panels(a.raw_dir, a.out_dir, a.engine, memory_limit=a.memory_limit,
                                      spark_master=a.spark_master, spark_conf=conf, key=key, study=a.study)))


if __name__ == "__main__":
    main()
