"""Progress per step for long commands (``analysis run``, ``analysis brief``), drawn by rich.

On a terminal each step gets a line with a spinner, its state and elapsed time; in a
log (not a terminal) a plain line is printed when a step starts and when it ends, so
CI logs and ``nohup`` files still show where a run is.
"""

from __future__ import annotations

import time
from contextlib import contextmanager
from typing import Iterator

from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

STATES = {"waiting": "[dim]waiting[/dim]", "running": "[cyan]running[/cyan]", "complete": "[green]done[/green]",
          "failed": "[red]failed[/red]"}


class StepProgress:
    """``update(name, state)`` with state in :data:`STATES`; steps are added on first sight."""

    def __init__(self, console: Console, live: Progress | None):
        self.console, self.live = console, live
        self.tasks: dict[str, int] = {}
        self.started: dict[str, float] = {}

    def update(self, name: str, state: str) -> None:
        if state == "running":
            self.started[name] = time.perf_counter()
        if self.live is None:
            if state != "waiting":
                seconds = time.perf_counter() - self.started.get(name, time.perf_counter())
                suffix = f" in {seconds:.1f} s" if state in ("complete", "failed") else " ..."
                self.console.print(f"{name}: {STATES[state]}{suffix}")
            return
        if name not in self.tasks:
            self.tasks[name] = self.live.add_task(name, total=1, start=False, state=STATES[state])
        task = self.tasks[name]
        if state == "running":
            self.live.start_task(task)
        self.live.update(task, state=STATES[state], completed=1 if state in ("complete", "failed") else 0)
        if state in ("complete", "failed"):
            self.live.stop_task(task)


@contextmanager
def step_progress(console: Console, names: list[str] = ()) -> Iterator[StepProgress]:
    """A progress display for ``names`` (more may be added); plain lines when not on a terminal."""
    if not console.is_terminal:
        yield StepProgress(console, None)
        return
    columns = (SpinnerColumn(finished_text="•"), TextColumn("{task.description:<18}"),
               TextColumn("{task.fields[state]}"), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=False) as live:
        progress = StepProgress(console, live)
        for name in names:
            progress.update(name, "waiting")
        yield progress
