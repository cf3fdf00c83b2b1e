"""Embedded back-fill benchmark: a new user's first `luqiao-monitor run` on a big site.

Run from the repository root:  .venv/bin/python -m bench.backfill_bench [--articles 100000]

A generated fixture site (``tests/fixture_site/generated.py``, the portal's four columns
on both list engines, texts of the labelled articles) is served on 127.0.0.1 from this
process. The real ``luqiao-monitor run`` process is started against it with an empty
database and crawler state (the crawler's waits shortened as in the crawler tests, the
other settings as they are), and left to back-fill once: it polls again at once while a
column's back-fill is unfinished, and the benchmark stops it after the first "back-fill
progress ... done" line. Reported: articles stored and evidence found (from the last
progress line), wall time and articles/s, the peak resident memory of the process tree
(the run process and its crawl children, from /proc every 0.5 s; aim < 1 GB), and the
progress lines themselves (stderr is not a terminal here, so these are the log lines).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.fixture_site import FixtureSite, GeneratedSiteData, fast_environment  # noqa: E402

SITE_DATA = ROOT / "tests" / "data" / "site_generated"
DONE = re.compile(r"back-fill progress.*done")
PAGE_BYTES = os.sysconf("SC_PAGE_SIZE")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _children() -> dict[int, list[int]]:
    tree: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            stat = Path(entry.path, "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        tree.setdefault(ppid, []).append(int(entry.name))
    return tree


def _rss(pid: int) -> int:
    try:
        return int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * PAGE_BYTES
    except (OSError, IndexError, ValueError):
        return 0


def tree_rss(root: int) -> tuple[int, int]:
    """Resident bytes of ``root`` and of ``root`` with all its descendants."""
    tree, total, stack = _children(), 0, [root]
    while stack:
        pid = stack.pop()
        total += _rss(pid)
        stack.extend(tree.get(pid, []))
    return _rss(root), total


@dataclass
class Watch:
    peak_tree: int = 0
    peak_main: int = 0
    samples: int = 0
    articles: int = 0  # stored so far, from the last progress line
    # Peak RSS of the tree per tenth of the site's articles stored: flat if memory is bounded.
    by_tenth: dict[int, int] = field(default_factory=dict)


def run_backfill(
    articles: int,
    max_list_pages: int,
    progress_every: float,
    timeout: float,
    terminal: bool = False,
) -> dict[str, Any]:
    data = GeneratedSiteData(SITE_DATA, articles)
    with FixtureSite(data) as site, tempfile.TemporaryDirectory(prefix="backfill-bench-") as tmp:
        work = Path(tmp)
        env = {
            **os.environ,
            "DATABASE_URL": f"sqlite:///{work / 'luqiao.db'}",
            **fast_environment(work),
            "LUQIAO_CRAWLER_MAX_LIST_PAGES": str(max_list_pages),
            "LUQIAO_CRAWLER_LOG_LEVEL": "WARNING",
            "LUQIAO_LOG_FORMAT": "console",
        }
        stderr_path = work / "stderr.log"
        command = [
            str(ROOT / ".venv" / "bin" / "luqiao-monitor"),
            "run",
            "--site-url",
            site.url,
            "--poll-minutes",
            "600",
            "--port",
            str(free_port()),
            "--progress-every",
            str(progress_every),
        ]
        watch = Watch()
        started = time.perf_counter()
        with stderr_path.open("wb") as err:
            if terminal:  # the run's stderr is a terminal: it draws the bar
                leader, follower = os.openpty()
                proc = subprocess.Popen(command, cwd=work, env=env, stdout=err, stderr=follower)
                os.close(follower)
                threading.Thread(target=_copy, args=(leader, err), daemon=True).start()
            else:
                proc = subprocess.Popen(command, cwd=work, env=env, stdout=err, stderr=err)
            try:
                done_at = _watch(proc, stderr_path, watch, site, timeout, articles)
            finally:
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
        raw = stderr_path.read_text("utf-8", "replace")
        log_lines = ANSI.sub("", raw).splitlines()
        bar_frames = _frames(raw) if terminal else []
    progress = [line for line in log_lines if "back-fill progress" in line]
    final = _fields(progress[-1]) if progress else {}
    seconds = (done_at or time.perf_counter()) - started
    stored = int(final.get("articles", 0))
    return {
        "articles_on_site": articles,
        "articles_stored": stored,
        "evidence": int(final.get("evidence", 0)),
        "dead_letters": int(final.get("dead_letters", 0)),
        "polls": int(final.get("polls", 0)),
        "finished": done_at is not None,
        "wall_seconds": round(seconds, 1),
        "articles_per_second": round(stored / seconds, 1) if seconds else 0.0,
        "peak_rss_tree_mb": round(watch.peak_tree / 2**20, 1),
        "peak_rss_run_process_mb": round(watch.peak_main / 2**20, 1),
        "rss_samples": watch.samples,
        "peak_rss_tree_mb_by_tenth": [
            round(watch.by_tenth[t] / 2**20) if t in watch.by_tenth else None for t in range(10)
        ],
        "max_list_pages": max_list_pages,
        "progress_lines": progress,
        "bar_frames": bar_frames,
        "errors": [line for line in log_lines if "[error" in line or "Traceback" in line][:10],
    }


def _watch(
    proc: subprocess.Popen[bytes],
    stderr_path: Path,
    watch: Watch,
    site: FixtureSite,
    timeout: float,
    total: int,
) -> float | None:
    """Sample memory until the back-fill's last progress line, the process's end or the timeout."""
    deadline = time.perf_counter() + timeout
    offset = 0
    while time.perf_counter() < deadline and proc.poll() is None:
        main, tree = tree_rss(proc.pid)
        watch.peak_main, watch.peak_tree = max(watch.peak_main, main), max(watch.peak_tree, tree)
        watch.samples += 1
        tenth = min(watch.articles * 10 // max(total, 1), 9)
        watch.by_tenth[tenth] = max(watch.by_tenth.get(tenth, 0), tree)
        site.reset_log()  # the fixture server's request log is not what is measured
        with stderr_path.open("rb") as f:
            f.seek(offset)
            chunk = f.read()
        offset += len(chunk)
        for line in chunk.decode("utf-8", "replace").splitlines():
            if "back-fill progress" in line:
                print(line, file=sys.stderr, flush=True)
                watch.articles = int(_fields(line).get("articles", watch.articles))
            if DONE.search(line):
                return time.perf_counter()
        time.sleep(0.5)
    return None


def _copy(leader: int, sink: Any) -> None:
    """What the run writes to its terminal, into the log file."""
    while True:
        try:
            data = os.read(leader, 65536)
        except OSError:
            return
        if not data:
            return
        sink.write(data)
        sink.flush()


ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def _frames(raw: str) -> list[str]:
    """The bar as drawn, one line per redraw, without the terminal's control codes."""
    text = ANSI.sub("", raw)
    frames = [part.strip() for part in re.split(r"[\r\n]+", text) if "回填" in part]
    return list(dict.fromkeys(f for f in frames if f))


def _fields(line: str) -> dict[str, str]:
    return dict(re.findall(r"(\w+)=(\S+)", line))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument(
        "--max-list-pages", type=int, default=20, help="LUQIAO_CRAWLER_MAX_LIST_PAGES"
    )
    parser.add_argument("--progress-every", type=float, default=30.0)
    parser.add_argument("--timeout", type=float, default=4 * 3600.0, help="give up after, s")
    parser.add_argument("--json", action="store_true", help="print raw figures as JSON")
    parser.add_argument(
        "--terminal", action="store_true", help="give the run a terminal: it shows the bar"
    )
    args = parser.parse_args()
    figures = run_backfill(
        args.articles, args.max_list_pages, args.progress_every, args.timeout, args.terminal
    )
    if args.json:
        print(json.dumps(figures, indent=2, ensure_ascii=False))
        return
    print(
        f"\narticles on the site {figures['articles_on_site']:,}, stored {figures['articles_stored']:,}"
        f" in {figures['polls']} polls, evidence {figures['evidence']:,}, dead letters"
        f" {figures['dead_letters']}; finished: {figures['finished']}"
    )
    print(
        f"wall {figures['wall_seconds']} s = {figures['articles_per_second']} articles/s;"
        f" peak RSS: process tree {figures['peak_rss_tree_mb']} MB, run process"
        f" {figures['peak_rss_run_process_mb']} MB ({figures['rss_samples']} samples)"
    )
    print(
        "peak RSS of the tree (MB) per tenth of the articles stored:",
        figures["peak_rss_tree_mb_by_tenth"],
    )
    for frame in figures["bar_frames"][-5:]:
        print("bar:", frame)
    for line in figures["errors"]:
        print("error line:", line)


if __name__ == "__main__":
    main()
