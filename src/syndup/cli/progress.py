"""One progress bar per stage for the whole run, on stderr, with logs printed above it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import (
    BarColumn,
    Progress,
    SpinnerColumn,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)

#: The Detector's stages, in the order they run.
STAGES = ("read", "signatures", "candidates", "verify", "cluster")


class StageProgress:
    """``progress(stage, done, total)`` callback drawing one bar per stage.

    Every stage is shown from the start (waiting stages with an empty bar), so a long
    read is not a silent pause. Each stage's bar is finished when the next one starts.
    """

    def __init__(self, console: Console):
        self.bar = Progress(
            SpinnerColumn(),
            TextColumn("[bold]{task.description:<10}"),
            BarColumn(),
            TextColumn("{task.fields[count]:>19}"),
            TimeElapsedColumn(),
            console=console,
            transient=False,
        )
        self.tasks: dict[str, TaskID] = {}
        for stage in STAGES:
            self.tasks[stage] = self.bar.add_task(
                stage, total=None, start=stage == "read", count=""
            )

    def __call__(self, stage: str, done: int, total: int) -> None:
        if stage not in self.tasks:
            self.tasks[stage] = self.bar.add_task(stage, total=total, count="")
        index = STAGES.index(stage) if stage in STAGES else len(STAGES)
        for earlier in STAGES[:index]:  # earlier stages are over
            task = self.bar.tasks[self.tasks[earlier]]
            if not task.finished:
                self.bar.start_task(self.tasks[earlier])
                total_ = task.total if task.total is not None else max(task.completed, 1)
                self.bar.update(self.tasks[earlier], total=total_, completed=total_)
        self.bar.start_task(self.tasks[stage])
        count = f"{done:,}/{total:,}"
        self.bar.update(self.tasks[stage], completed=done, total=max(total, 1), count=count)

    def finish(self) -> None:
        self("cluster", 1, 1)


@contextmanager
def stage_progress(console: Console, *, enabled: bool) -> Iterator[StageProgress | None]:
    if not enabled:
        yield None
        return
    progress = StageProgress(console)
    with progress.bar:
        yield progress
