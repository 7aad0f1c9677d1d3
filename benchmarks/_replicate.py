"""Run Monte Carlo replications in seeded chunks over a process pool (shared by the MC benchmarks).

Each replication gets its own seed from one ``SeedSequence``, so results do not depend on the
number of processes or on how the seeds are split into chunks.
"""

from __future__ import annotations

import argparse
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from functools import partial
from pathlib import Path

import numpy as np


def replicate(chunk, seed: int, reps: int, jobs: int, **kwargs) -> tuple[list[dict], float]:
    """Call ``chunk(seeds, **kwargs)`` on chunks of per-replication seeds; records and seconds taken."""
    seeds = np.random.SeedSequence(seed).generate_state(reps, dtype=np.uint32).astype(np.int64)
    chunks = np.array_split(seeds, max(1, min(reps, jobs * 10)))
    work = partial(chunk, **kwargs)
    t0 = time.time()
    recs: list[dict] = []
    with ProcessPoolExecutor(max_workers=jobs) if jobs > 1 else _Serial() as ex:
        for i, part in enumerate(ex.map(work, chunks)):
            recs += part
            print(f"\r{i + 1}/{len(chunks)} chunks, {time.time() - t0:.0f} s", end="", file=sys.stderr)
    print(file=sys.stderr)
    return recs, time.time() - t0


class _Serial:
    """The executor interface, in this process (``--jobs 1``: easier to profile and debug)."""

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def map(self, fn, items):
        return map(fn, items)


def parser(doc: str, *, reps: int, seed: int, quick: str) -> argparse.ArgumentParser:
    """The options every Monte Carlo benchmark takes; each adds its own (e.g. the number of draws)."""
    ap = argparse.ArgumentParser(description=doc.split("\n")[0])
    ap.add_argument("--reps", type=int, default=reps)
    ap.add_argument("--quick", action="store_true", help=quick)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--seed", type=int, default=seed)
    ap.add_argument("--out", type=Path, default=Path(__file__).parent / "results")
    return ap
