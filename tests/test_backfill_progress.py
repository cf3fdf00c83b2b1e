"""The back-fill's figures (pure): total, rate and ETA from what was handed over, what
waits in the queue and what the crawler has left; and their two views."""

from __future__ import annotations

import io

import structlog

from services.backfill_progress import BackfillProgress, RateMeter, format_duration
from services.crawler.progress import CrawlProgress
from services.progress_views import BarProgressView, LogProgressView, progress_view


def test_total_and_eta_follow_the_crawlers_report() -> None:
    progress = BackfillProgress(started=0.0)
    progress.poll_started()
    progress.crawled(None, queued=0)
    assert progress.total is None and progress.eta_seconds(1.0) is None  # nothing known yet
    # The crawler published 30 (20 handed over since, 10 queued) and has 70 to come.
    progress.handed_over(10.0, articles=20, evidence=5, dead_letters=1)
    progress.crawled(CrawlProgress(list_items=30, published=30, left=70, columns=1), queued=10)
    assert progress.total == 100 and progress.left == 80
    assert progress.rate(10.0) == 2.0  # 20 articles in 10 s
    assert progress.eta_seconds(10.0) == 40.0  # 80 to come at 2/s
    fields = progress.fields(10.0)
    assert fields["articles"] == 20 and fields["evidence"] == 5 and fields["eta"] == "0:40"
    # The report is a second old and the queue has grown since: nothing is counted twice.
    progress.crawled(CrawlProgress(list_items=30, published=30, left=70, columns=1), queued=25)
    assert progress.total == 100


def test_list_items_and_totals_carry_over_polls() -> None:
    progress = BackfillProgress(started=0.0)
    progress.poll_started()
    progress.crawled(CrawlProgress(list_items=300, published=290, left=700, finished=True), 0)
    progress.handed_over(1.0, 290, 0, 0)
    progress.poll_finished()
    progress.poll_started()
    # The next poll's child has not reached its columns yet: what the last one left stands.
    progress.crawled(CrawlProgress(list_items=0, left=None, columns=0), 0)
    assert progress.list_items == 300 and progress.total == 990 and progress.left == 700
    progress.crawled(CrawlProgress(list_items=120, published=100, left=600, columns=4), 0)
    assert progress.list_items == 420 and progress.total == 990 and progress.polls == 1


def test_the_rate_is_over_the_last_half_minute_once_there_is_one() -> None:
    progress = BackfillProgress(started=0.0)
    progress.handed_over(1.0, 1000, 0, 0)  # a fast start
    for second in range(2, 62):
        progress.handed_over(float(second), 10, 0, 0)  # then 10/s
    assert abs(progress.rate(61.0) - 10.0) < 0.5


def test_the_rate_meter_keeps_a_bounded_number_of_samples() -> None:
    meter = RateMeter(window=1e9)
    for i in range(10_000):
        meter.add(float(i), i)
    assert len(meter.samples) <= 256 and meter.rate() == 1.0


def test_durations_read_as_clock_times() -> None:
    assert format_duration(5) == "0:05"
    assert format_duration(3 * 3600 + 61) == "3:01:01"


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_a_terminal_gets_a_bar_with_the_figures() -> None:
    stream = Terminal()
    view = progress_view(10.0, stream)
    assert isinstance(view, BarProgressView)
    progress = BackfillProgress(started=0.0)
    progress.crawled(CrawlProgress(list_items=60, left=0, columns=2, finished=True), 0)
    progress.handed_over(5.0, articles=60, evidence=42, dead_letters=0)
    view.show(progress)
    view.close(progress)
    shown = stream.getvalue()
    assert "60/60" in shown and "42 evidence" in shown and "回填" in shown


def test_elsewhere_log_lines_at_intervals_and_one_at_the_end() -> None:
    assert isinstance(progress_view(10.0, io.StringIO()), LogProgressView)
    now = [0.0]
    view = LogProgressView(10.0, clock=lambda: now[0])
    progress = BackfillProgress(started=0.0)
    with structlog.testing.capture_logs() as logs:
        for second in range(25):
            now[0] = float(second)
            progress.handed_over(now[0], 1, 0, 0)
            view.show(progress)
        view.close(progress)
    lines = [e for e in logs if e["event"] == "back-fill progress"]
    assert [e["articles"] for e in lines] == [1, 11, 21, 25]
    assert lines[-1]["done"] is True
