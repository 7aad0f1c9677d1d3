"""Clean + panels per engine (DuckDB, Spark local[2], pandas): wall time and peak memory of the whole
process tree (Python plus Spark's JVM), at 1x and 10x the default data and on Palembang.

Each measurement runs ``python -m analysis.engine.run`` (:func:`analysis.engine.run.clean_and_panels`) in
a fresh subprocess; a sampler adds up the resident memory of the process and its descendants every
0.1 s from /proc (Linux), so Spark's JVM counts too. Raw data are generated once per scale into a cache
folder (``--cache``, default a temporary folder); Palembang needs the study (``analysis study create
--catalogue ../shared/data/wilayah/kode_wilayah.csv --area 16.71``) and is skipped without it.

    .venv/bin/python benchmarks/bench_engines.py                       # 1x, 10x, palembang; all engines
    .venv/bin/python benchmarks/bench_engines.py --scenarios 1x --engines duckdb pandas

Results: a table on stdout and JSON in benchmarks/results/engines.json (git-ignored).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = {"1x": {"scale": 1.0}, "10x": {"scale": 10.0}, "palembang": {"scale": 1.0, "study": "palembang"}}


def tree_rss_mb(pid: int) -> float:
    """Resident memory of ``pid`` and all its descendants (MB), from /proc."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            stat = (d / "stat").read_text()
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            pages = int((d / "statm").read_text().split()[1])
        except (OSError, ValueError, IndexError):
            continue
        children.setdefault(ppid, []).append(int(d.name))
        rss[int(d.name)] = pages
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        total += rss.get(p, 0)
        todo.extend(children.get(p, []))
    return total * os.sysconf("SC_PAGE_SIZE") / 2**20


def measure(raw: Path, engine: str, work: Path, *, study: str | None = None, memory_limit: str = "4GB") -> dict:
    out = work / f"out-{engine}"
    shutil.rmtree(out, ignore_errors=True)
    cmd = [sys.executable, "-m", "analysis.engine.run", str(raw), str(out), "--engine", engine,
           "--memory-limit", memory_limit] + (["--study", study] if study else [])
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=dict(os.environ, PYTHONHASHSEED="0"))
    peak = [0.0]

    def sample():
        while proc.poll() is None:
            peak[0] = max(peak[0], tree_rss_mb(proc.pid))
            time.sleep(0.1)

    th = threading.Thread(target=sample, daemon=True)
    th.start()
    stdout, stderr = proc.communicate()
    th.join()
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        return {"engine": engine, "failed": stderr.strip().splitlines()[-1] if stderr.strip() else "exit "
                + str(proc.returncode), "wall_s": round(wall, 1), "peak_rss_mb": round(peak[0])}
    res = json.loads(stdout.strip().splitlines()[-1])
    shutil.rmtree(out, ignore_errors=True)
    return {**res, "wall_s": round(wall, 1), "peak_rss_mb": round(peak[0])}


def raw_for(name: str, cache: Path) -> Path | None:
    spec = SCENARIOS[name]
    raw = cache / f"raw-{name}"
    if (raw / "SYNTHETIC.json").is_file():
        return raw
    if spec.get("study") and not (ROOT / "studies" / spec["study"] / "study.yaml").is_file():
        return None
    cmd = [sys.executable, "-m", "analysis.cli", "synth", "--out", str(raw), "--scale", str(spec["scale"])]
    if spec.get("study"):
        cmd += ["--study", spec["study"]]
    subprocess.run(cmd, cwd=ROOT, check=True, capture_output=True)
    return raw


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--scenarios", nargs="+", default=list(SCENARIOS), choices=list(SCENARIOS))
    ap.add_argument("--engines", nargs="+", default=["duckdb", "spark", "pandas"])
    ap.add_argument("--memory-limit", default="4GB")
    ap.add_argument("--cache", type=Path, default=None, help="folder keeping the generated raw data between runs")
    a = ap.parse_args()
    from analysis.engine import spark_available

    if "spark" in a.engines and spark_available():
        print(f"spark: skipped ({spark_available()})")
        a.engines = [e for e in a.engines if e != "spark"]
    cache = a.cache or Path(tempfile.mkdtemp(prefix="bench-engines-"))
    cache.mkdir(parents=True, exist_ok=True)
    rows = []
    for name in a.scenarios:
        raw = raw_for(name, cache)
        if raw is None:
            print(f"{name}: skipped (create the study first, see the module docstring)")
            continue
        for engine in a.engines:
            r = {"scenario": name, **measure(raw, engine, cache, study=SCENARIOS[name].get("study"),
                                             memory_limit=a.memory_limit)}
            rows.append(r)
            print(json.dumps(r), flush=True)
    info = {"machine": platform.platform(), "cpus": os.cpu_count(), "load_avg": os.getloadavg(), "rows": rows}
    dest = ROOT / "benchmarks" / "results"
    dest.mkdir(parents=True, exist_ok=True)
    (dest / "engines.json").write_text(json.dumps(info, indent=2))
    print(f"{'scenario':10} {'engine':7} {'wall s':>8} {'clean s':>8} {'panels s':>8} {'peak MB':>8} {'tickets':>9}")
    for r in rows:
        print(f"{r['scenario']:10} {r['engine']:7} {r['wall_s']:8} {r.get('clean_s', '-'):>8} "
              f"{r.get('panels_s', '-'):>8} {r['peak_rss_mb']:8} {r.get('rows_tickets', r.get('failed', '')):>9}")


if __name__ == "__main__":
    main()
