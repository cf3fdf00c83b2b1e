"""Showing a :class:`~services.backfill_progress.BackfillProgress`: a bar on a terminal,
structured log lines elsewhere (a service's log, a container, a file).

The bar is rich's (typer already brings it); its text carries the same figures as the
log lines, so what a person sees and what a log keeps agree.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import IO, TYPE_CHECKING, Protocol

import structlog

from services.backfill_progress import BackfillProgress

if TYPE_CHECKING:
    from rich.progress import TaskID

log = structlog.get_logger("embedded")


class ProgressView(Protocol):
    def show(self, progress: BackfillProgress) -> None:
        """The figures changed; show them if it is time."""

    def close(self, progress: BackfillProgress) -> None:
        """The session ended (no more polls until the next interval): the last figures."""


class LogProgressView:
    """One ``back-fill progress`` log line every ``every`` seconds, and one at the end."""

    def __init__(self, every: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.every = every
        self.clock = clock
        self.last: float | None = None

    def show(self, progress: BackfillProgress) -> None:
        now = self.clock()
        if self.last is not None and now - self.last < self.every:
            return
        self.last = now
        log.info("back-fill progress", **progress.fields(now))

    def close(self, progress: BackfillProgress) -> None:
        log.info(
            "back-fill progress", done=True, polls=progress.polls, **progress.fields(self.clock())
        )
        self.last = None


class BarProgressView:
    """A rich progress bar on the terminal ``stream``: seen / total, evidence, rate, ETA."""

    def __init__(self, stream: IO[str], clock: Callable[[], float] = time.monotonic) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

        self.clock = clock
        self.bar = Progress(
            TextColumn("回填 back-fill"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn(
                "articles · {task.fields[evidence]} evidence · {task.fields[rate]}/s"
                " · ETA {task.fields[eta]}"
            ),
            console=Console(file=stream),
            transient=False,
            # Log lines (services.log_config writes to the current sys.stderr) print above it.
            redirect_stderr=True,
            redirect_stdout=False,
        )
        self.task: TaskID | None = None

    def show(self, progress: BackfillProgress) -> None:
        now = self.clock()
        figures = progress.fields(now)
        evidence, rate, eta = progress.evidence, figures["rate_per_s"], figures["eta"] or "?"
        if self.task is None:
            self.bar.start()
            self.task = self.bar.add_task(
                "back-fill", total=progress.total, evidence=evidence, rate=rate, eta=eta
            )
        self.bar.update(
            self.task,
            completed=progress.articles,
            total=progress.total,
            evidence=evidence,
            rate=rate,
            eta=eta,
        )

    def close(self, progress: BackfillProgress) -> None:
        if self.task is not None:
            self.show(progress)
            self.bar.stop()
            self.task = None
        # The scrollback keeps the session's figures as a log line too.
        log.info(
            "back-fill progress", done=True, polls=progress.polls, **progress.fields(self.clock())
        )


def progress_view(every: float, stream: IO[str] | None = None) -> ProgressView:
    """A bar when ``stream`` (stderr by default) is a terminal, else log lines."""
    stream = stream or sys.stderr
    if stream.isatty():
        return BarProgressView(stream)
    return LogProgressView(every)
