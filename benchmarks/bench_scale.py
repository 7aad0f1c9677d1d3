"""Scale curve (issue 12): time and peak memory of each pipeline step at growing data sizes.

Scales: 1x, 10x and 100x the default study's ticket volume (``plaju-1x`` ...), one small kota forced
into bulk mode (``kota-bulk``: Kota Pagar Alam, 60 units), Sumatera Selatan (``sumsel``,
province 16: 17 kab/kota, ~4,500 units, ~137k ASN) and Indonesia (``national``: 514 kab/kota, ~120,000
units, ~4.3M ASN, >=100M queue tickets over 36 months), the last two created from the Kemendagri code
list and population in ``../shared/data/wilayah`` (skipped with the reason when absent).

Every (scale, step, engine) runs in its own subprocess; a sampler sums the resident memory of that
process and all its children (the generator's worker pool) every 0.1 s, so "peak RSS" is what the step
held at once on the machine. Steps are functions ``step_<name>(scale, work, engine)`` registered in
``STEPS``; a step that depends on an engine (clean, panels: duckdb, spark, pandas) takes it as the
argument, so adding those columns is adding a function here.

    .venv/bin/python benchmarks/bench_scale.py --scales plaju-1x,plaju-10x,plaju-100x,sumsel \
        [--steps generate,clean,panels --engines duckdb,spark,pandas] [--keep]
Writes benchmarks/results/<name>.json and <name>.md (a Markdown table; --name, default scale).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WILAYAH = ROOT / ".." / "shared" / "data" / "wilayah"
RESULTS = ROOT / "benchmarks" / "results"


@dataclass(frozen=True)
class Scale:
    name: str
    study: str  # study name under studies/, or "@<area code>" to create from the Kemendagri catalogue
    scale: float = 1.0
    skm_sample_scale: float = 1.0
    bulk_above_units: int | None = None  # None: analysis.synth.bulk.BULK_ABOVE_UNITS; 0 forces bulk
    months: int = 36


SCALES = {s.name: s for s in (
    Scale("plaju-1x", "plaju", 1.0), Scale("plaju-10x", "plaju", 10.0), Scale("plaju-100x", "plaju", 100.0),
    Scale("kota-bulk", "@16.72", bulk_above_units=0), Scale("sumsel", "@16"),
    # the nation at scale 1 (124M tickets, 155M SKP rows over 36 months) with SKM samples x0.25: about 85M
    # responses, a yearly Krejcie-Morgan survey per unit rather than a quarterly one (the full quarterly
    # samples, 340M rows, add generation and cleaning time but no new kind of row)
    Scale("national", "@ID", skm_sample_scale=0.25),
    # the national breadth (all 514 kab/kota, 4.3M ASN) over 4 months with a tenth of the SKM samples:
    # what fits in a busy hour on 2 cores; peak memory is that of the full run (partitions are per kab/kota)
    Scale("national-4m", "@ID", months=4, skm_sample_scale=0.1),
)}


def study_folder(s: Scale, work: Path) -> str:
    """The study to generate: a shipped one, or one created from ../shared/data/wilayah (once per work dir)."""
    if not s.study.startswith("@"):
        return s.study
    area = s.study[1:]
    out = work / "studies" / area
    if not (out / "study.yaml").is_file():
        subprocess.run([str(Path(sys.executable).with_name("analysis")), "study", "create", "--catalogue",
                        str(WILAYAH / "kode_wilayah.csv"), "--population", str(WILAYAH / "penduduk.csv"),
                        "--area", area, "--out", str(out)], check=True, cwd=ROOT, stdout=subprocess.DEVNULL)
    return str(out)


# --------------------------------------------------------------------------- steps (run in the child)
def step_generate(s: Scale, work: Path, engine: str | None) -> dict:
    """The synthetic raw exports of the scale (bulk mode above analysis.synth.bulk.BULK_ABOVE_UNITS)."""
    from analysis.synth import SynthConfig, generate

    raw = work / "raw" / s.name
    generate(raw, SynthConfig(study=study_folder(s, work), scale=s.scale, skm_sample_scale=s.skm_sample_scale,
                              months=s.months), bulk_above_units=s.bulk_above_units)
    files = [p for p in raw.rglob("*") if p.is_file()]
    marker = json.loads((raw / "SYNTHETIC.json").read_text(encoding="utf-8"))
    return {"files": len(files), "disk_mb": round(sum(p.stat().st_size for p in files) / 2**20, 1),
            "bulk": bool(marker.get("bulk"))}


#: The engines' memory_limit in the child (``--memory-limit``; the run parameter's default).
MEMORY_LIMIT = "4GB"


def _engine_cfg(engine: str | None):
    from analysis.engine import EngineConfig

    return EngineConfig(engine or "duckdb", MEMORY_LIMIT, "local[2]", {})


def step_clean(s: Scale, work: Path, engine: str | None) -> dict:
    """Clean the scale's raw exports (made by the generate step, run first) on ``engine`` into
    ``out/<scale>-<engine>/interim``, kept for the panels step."""
    from analysis.clean import clean_raw

    out = work / "out" / f"{s.name}-{engine}"
    shutil.rmtree(out, ignore_errors=True)
    t0 = time.perf_counter()
    report = clean_raw(work / "raw" / s.name, out / "interim", study=study_folder(s, work), engine=_engine_cfg(engine))
    q = report.quality[report.quality["status"] == "cleaned"]
    return {"clean_s": round(time.perf_counter() - t0, 1), "rows_raw": int(q["rows_raw"].sum()),
            "rows_clean": int(q["rows_clean"].sum()), "balanced": report.balanced(),
            "rows_tickets": int(q.loc[q["table"] == "tickets", "rows_clean"].sum()),
            "rows_skp": int(q.loc[q["table"] == "skp", "rows_clean"].sum())}


def step_panels(s: Scale, work: Path, engine: str | None) -> dict:
    """The analysis panels from the clean step's tables (same engine)."""
    from analysis.panels import build_panels

    out = work / "out" / f"{s.name}-{engine}"
    shutil.rmtree(out / "processed", ignore_errors=True)
    t0 = time.perf_counter()
    paths = build_panels(out / "interim", out / "processed", engine=_engine_cfg(engine))
    return {"panels_s": round(time.perf_counter() - t0, 1), "panels": len(paths),
            "disk_mb": round(sum(p.stat().st_size for p in (out / "processed").rglob("*") if p.is_file()) / 2**20, 1)}


STEPS = {"generate": step_generate, "clean": step_clean, "panels": step_panels}
ENGINE_STEPS: set[str] = {"clean", "panels"}  # steps that take an engine


# --------------------------------------------------------------------------- measuring (parent)
def _tree_rss(proc) -> int:
    total = 0
    for p in [proc, *proc.children(recursive=True)]:
        try:
            total += p.memory_info().rss
        except Exception:  # a worker that just ended
            pass
    return total


def _stop(proc) -> None:
    for p in [*proc.children(recursive=True), proc]:
        try:
            p.kill()
        except Exception:  # already gone
            pass


def measure(scale: str, step: str, engine: str | None, work: Path, rss_cap_gb: float = 16.0,
            timeout_min: float = 60.0, memory_limit: str = MEMORY_LIMIT) -> dict:
    """Run one cell in a subprocess; stop it (and say so) past ``rss_cap_gb`` of resident memory, so an
    engine that cannot cope fails here rather than through the kernel's OOM killer, or past ``timeout_min``
    (given for Spark cells only, the issue's rule: the largest scale it completes in an hour)."""
    import psutil

    out = work / f"result-{scale}-{step}-{engine}.json"
    out.unlink(missing_ok=True)
    cmd = [sys.executable, __file__, "--child", step, scale, engine or "-", str(work), str(out), memory_limit]
    start = time.perf_counter()
    child = subprocess.Popen(cmd, cwd=ROOT)
    proc, peak, stopped = psutil.Process(child.pid), 0, ""
    while child.poll() is None:
        peak = max(peak, _tree_rss(proc))
        if peak > rss_cap_gb * 2**30:
            stopped = f"stopped above {rss_cap_gb:g} GB resident"
        elif time.perf_counter() - start > timeout_min * 60:
            stopped = f"stopped after {timeout_min:g} min"
        if stopped:
            _stop(proc)
            child.wait()
            break
        time.sleep(0.1)
    wall = time.perf_counter() - start
    row = {"scale": scale, "step": step, "engine": engine or "", "memory_limit": memory_limit if engine else "",
           "ok": child.returncode == 0 and not stopped,
           "wall_s": round(wall, 1), "peak_rss_mb": round(peak / 2**20)}
    if stopped or child.returncode != 0:
        row["failed"] = stopped or f"exit {child.returncode}"
    if out.is_file():
        row.update(json.loads(out.read_text(encoding="utf-8")))
    return row


def child_main(step: str, scale: str, engine: str, work: str, out: str, memory_limit: str) -> None:
    global MEMORY_LIMIT
    MEMORY_LIMIT = memory_limit
    res = STEPS[step](SCALES[scale], Path(work), None if engine == "-" else engine)
    Path(out).write_text(json.dumps(res), encoding="utf-8")


def table(rows: list[dict]) -> str:
    cols = ["scale", "step", "engine", "memory_limit", "ok", "wall_s", "peak_rss_mb", "files", "disk_mb", "bulk", "rows_raw",
            "rows_clean", "clean_s", "panels_s", "balanced", "failed"]
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    lines += ["| " + " | ".join(str(r.get(c, "")) for c in cols) + " |" for r in rows]
    return "\n".join(lines) + "\n"


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child_main(*sys.argv[2:8])
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scales", default="plaju-1x,plaju-10x,plaju-100x,sumsel")
    parser.add_argument("--steps", default="generate")
    parser.add_argument("--engines", default="duckdb", help="engines of the engine-dependent steps")
    parser.add_argument("--work", type=Path, default=Path(os.environ.get("TMPDIR", "/tmp")) / "bench_scale")
    parser.add_argument("--keep", action="store_true", help="keep the data generated and cleaned by this call")
    parser.add_argument("--name", default="scale", help="results file stem under benchmarks/results/")
    parser.add_argument("--rss-cap-gb", type=float, default=16.0,
                        help="stop a cell whose processes hold more than this (the pandas path's failure)")
    parser.add_argument("--memory-limit", default=MEMORY_LIMIT, help="the engines' memory_limit")
    parser.add_argument("--timeout-min", type=float, default=60.0, help="stop a Spark cell after this many minutes (the issue's rule)")
    args = parser.parse_args()
    scales = [s for s in args.scales.split(",") if s]
    if any(SCALES[s].study.startswith("@") for s in scales) and not (WILAYAH / "penduduk.csv").is_file():
        print(f"skipping {[s for s in scales if SCALES[s].study.startswith('@')]}: no {WILAYAH}/penduduk.csv")
        scales = [s for s in scales if not SCALES[s].study.startswith("@")]
    args.work.mkdir(parents=True, exist_ok=True)
    rows = []
    for scale in scales:
        for step in args.steps.split(","):
            for engine in (args.engines.split(",") if step in ENGINE_STEPS else [None]):
                row = measure(scale, step, engine, args.work, args.rss_cap_gb,
                              args.timeout_min if engine == "spark" else float("inf"), args.memory_limit)
                print(json.dumps(row), flush=True)
                rows.append(row)
        if not args.keep and "generate" in args.steps.split(","):  # only data this call made (not a kept world)
            shutil.rmtree(args.work / "raw" / scale, ignore_errors=True)
            for out in (args.work / "out").glob(f"{scale}-*"):
                shutil.rmtree(out, ignore_errors=True)
    RESULTS.mkdir(parents=True, exist_ok=True)
    meta = {"machine": f"{platform.node()} {os.cpu_count()} cores", "python": platform.python_version(),
            "load_avg_at_end": os.getloadavg()}
    (RESULTS / f"{args.name}.json").write_text(json.dumps({"meta": meta, "rows": rows}, indent=2) + "\n",
                                                encoding="utf-8")
    (RESULTS / f"{args.name}.md").write_text(table(rows), encoding="utf-8")
    print(table(rows))


if __name__ == "__main__":
    main()
