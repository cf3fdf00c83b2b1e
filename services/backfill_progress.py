"""How far the embedded mode's polls have got: counts, rate and ETA (pure; no I/O).

A new user's first run back-fills years of news, which takes hours; this is what the
progress bar and the progress log lines (``services.progress_views``) show. Counts
are cumulative over a *session*: the polls that follow one another without waiting
(a back-fill continues at once while a column's is unfinished). The total is an
estimate taken from one consistent snapshot, the crawl child's report: the articles
handed over before the current poll, plus what the poll has published, plus what it has
still to come (the list items left down to the back-fill's end, from the lists' own item
counts, and the articles asked for and not answered; see ``services.crawler.progress``),
each list item taken as one article. Adding the queue's length to a report a second old
would count the articles published in between twice. Unknown until every column's list
has been reached.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

from services.crawler.progress import CrawlProgress

RATE_WINDOW_SECONDS = 30.0
MAX_SAMPLES = 256


@dataclass
class RateMeter:
    """Articles per second over the last ``window`` seconds (a bounded list of samples)."""

    window: float = RATE_WINDOW_SECONDS
    samples: deque[tuple[float, int]] = field(default_factory=lambda: deque(maxlen=MAX_SAMPLES))

    def add(self, now: float, count: int) -> None:
        self.samples.append((now, count))
        while len(self.samples) > 2 and now - self.samples[1][0] >= self.window:
            self.samples.popleft()

    def rate(self) -> float | None:
        if len(self.samples) < 2:
            return None
        (t0, c0), (t1, c1) = self.samples[0], self.samples[-1]
        return (c1 - c0) / (t1 - t0) if t1 > t0 else None


@dataclass
class BackfillProgress:
    started: float
    articles: int = 0  # handed to the extractor and the tracker (stored) this session
    evidence: int = 0
    dead_letters: int = 0
    queued: int = 0  # waiting in the hand-off queue
    polls: int = 0  # finished polls this session
    crawled_before: int = 0  # list items read by the finished polls
    crawling: int = 0  # list items read by the current poll
    crawl_left: int | None = None  # articles the crawler has still to come, as last known
    poll_base: int = 0  # articles handed over before the current poll's crawl began
    crawl_published: int = 0  # articles the current poll's crawl has published
    meter: RateMeter = field(default_factory=RateMeter)

    def handed_over(self, now: float, articles: int, evidence: int, dead_letters: int) -> None:
        self.articles += articles
        self.evidence += evidence
        self.dead_letters += dead_letters
        self.meter.add(now, self.articles)

    def crawled(self, report: CrawlProgress | None, queued: int) -> None:
        """The crawl child's latest report (None: none yet) and the queue's length."""
        self.queued = queued
        if report is None:
            return
        self.crawling = report.list_items
        # A poll's report says nothing of a column until its first list page is asked
        # for; until then what the last poll left stands.
        if report.left is not None or self.crawl_left is None:
            self.crawl_left = report.left
            self.crawl_published = report.published

    def poll_started(self) -> None:
        """A crawl child starts (what an earlier crash left in the queue is handed over)."""
        self.poll_base = self.articles
        self.crawl_published = 0

    def poll_finished(self) -> None:
        self.crawled_before += self.crawling
        self.crawling = 0
        self.polls += 1

    @property
    def list_items(self) -> int:
        return self.crawled_before + self.crawling

    @property
    def total(self) -> int | None:
        if self.crawl_left is None:
            return None
        return max(self.poll_base + self.crawl_published + self.crawl_left, self.articles)

    @property
    def left(self) -> int | None:
        """Articles still to come (queued, or not yet published); None: unknown."""
        total = self.total
        return None if total is None else total - self.articles

    def rate(self, now: float) -> float:
        """Articles per second: over the last half-minute, else since the start."""
        recent = self.meter.rate()
        if recent is not None and (now - self.started) > self.meter.window:
            return recent
        elapsed = now - self.started
        return self.articles / elapsed if elapsed > 0 else 0.0

    def eta_seconds(self, now: float) -> float | None:
        left, rate = self.left, self.rate(now)
        if left is None:
            return None
        if left == 0:
            return 0.0
        return left / rate if rate > 0 else None

    def fields(self, now: float) -> dict[str, object]:
        """The figures as a log line's fields (also the bar's text)."""
        eta = self.eta_seconds(now)
        return {
            "articles": self.articles,
            "evidence": self.evidence,
            "dead_letters": self.dead_letters,
            "rate_per_s": round(self.rate(now), 1),
            "total": self.total,
            "queued": self.queued,
            "list_items_read": self.list_items,
            "eta": format_duration(eta) if eta is not None else None,
            "elapsed": format_duration(now - self.started),
        }


def format_duration(seconds: float) -> str:
    """``1:02:03`` (hours:minutes:seconds), ``0:05`` under an hour."""
    whole = max(int(round(seconds)), 0)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"
