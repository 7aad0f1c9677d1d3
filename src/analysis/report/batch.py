"""Every brief of a run for many areas or units, in one process pool, without a kernel per brief.

Each worker process imports the brief's code once and then builds brief after brief: the
notebook is filled in the worker (:mod:`analysis.report.inprocess`) and rendered by
:func:`analysis.render.render_brief`, so every brief keeps what a single brief has (its
claims.csv, the identifier guard and ``min_cell`` suppression of every section, the
synthetic-data warning, the renderer's contract). Standard-library
:class:`concurrent.futures.ProcessPoolExecutor` with ``spawn`` workers (no fork of a process
that may hold threads). A brief that fails does not stop the others: it is reported with
the first line of its reason, and its folder is removed when the batch made it (also when
its worker died). The run's ``since_previous`` table is written once, before the workers
start, so they only read it.
"""

from __future__ import annotations

import os
import shutil
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from multiprocessing import get_context
from pathlib import Path


@dataclass(frozen=True)
class Job:
    """One brief: a unit (``unit_id``) or an area (``area``) in one language."""

    language: str
    unit_id: str = ""
    area: str = ""

    @property
    def name(self) -> str:
        return self.unit_id or self.area


@dataclass
class Outcome:
    job: Job
    status: str  # "complete" or "failed"
    folder: Path
    outputs: dict[str, Path] = field(default_factory=dict)
    seconds: float = 0.0
    error: str = ""


def jobs_for(run_dir: str | Path, level: str, language: str) -> list[Job]:
    """A job per unit (``level="units"``) or per area of the study's grouping level (``"areas"``)."""
    from analysis.report.areas import run_areas
    from analysis.report.cli import run_units

    if level == "units":
        return [Job(language, unit_id=u) for u in run_units(Path(run_dir))]
    if level == "areas":
        return [Job(language, area=a) for a in run_areas(run_dir)]
    raise ValueError(f"level must be 'units' or 'areas' (got {level!r})")


def _warm() -> None:
    """Worker start: the heavy imports once per process, figures without a display."""
    os.environ.setdefault("MPLBACKEND", "Agg")
    import analysis.render  # noqa: F401
    import analysis.report.brief  # noqa: F401


def _reason(exc: BaseException) -> str:
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text.splitlines()[0]}" if text else type(exc).__name__


def build_one(run_dir: Path, job: Job, options: dict) -> Outcome:
    """Build and render one brief in this process; never raises (a failure is returned with its reason)."""
    from analysis.report.cli import build_brief
    from analysis.report.common import brief_dir

    folder = brief_dir(run_dir, job.unit_id, job.language, job.area)
    start = time.perf_counter()
    try:
        outputs = build_brief(run_dir, job.unit_id, job.language, area=job.area, kernel=False, **options)
    except Exception as exc:  # the batch goes on; the reason is reported (messages never hold identifiers)
        return Outcome(job, "failed", folder, seconds=time.perf_counter() - start, error=_reason(exc))
    return Outcome(job, "complete", folder, outputs, time.perf_counter() - start)


def build_all(run_dir: str | Path, jobs: list[Job], *, workers: int | None = None, min_cell: int | None = None,
              alp: float | None = None, render: bool = True, root: Path | None = None,
              done=lambda outcome: None) -> list[Outcome]:
    """Build ``jobs`` in a pool of ``workers`` processes (default: the machine's cores); outcomes in job order.

    ``done`` is called in this process as each brief finishes (progress).
    """
    from analysis.continuity import write_since_table
    from analysis.report.common import brief_dir
    from analysis.runner import project_root

    run_dir = Path(run_dir).resolve()
    options = {"min_cell": min_cell, "alp": alp, "render": render, "root": root or project_root()}
    write_since_table(run_dir)  # once, here: the workers' briefs then only read it
    existed = {job: brief_dir(run_dir, job.unit_id, job.language, job.area).exists() for job in jobs}
    workers = max(1, min(workers or os.cpu_count() or 1, len(jobs) or 1))
    outcomes: dict[Job, Outcome] = {}
    with ProcessPoolExecutor(max_workers=workers, mp_context=get_context("spawn"), initializer=_warm) as pool:
        futures = {pool.submit(build_one, run_dir, job, options): job for job in jobs}
        for future in as_completed(futures):
            job = futures[future]
            try:
                outcome = future.result()
            except BrokenProcessPool as exc:  # a worker died (killed, out of memory): its briefs failed
                outcome = Outcome(job, "failed", brief_dir(run_dir, job.unit_id, job.language, job.area),
                                  error=f"the worker process stopped ({_reason(exc)})")
            if outcome.status == "failed" and not existed[job]:
                shutil.rmtree(outcome.folder, ignore_errors=True)  # no partial folder, whoever failed
            outcomes[job] = outcome
            done(outcome)
    return [outcomes[job] for job in jobs]
