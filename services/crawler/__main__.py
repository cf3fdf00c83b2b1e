"""Child-process entry: ``python -m services.crawler --settings-json '{...}' --sink kafka``.

Used by :mod:`services.crawler.run` so that every crawl gets a fresh Twisted
reactor. Writes the run's CrawlSummary as JSON to ``--summary-file`` and exits 0
on success, 3 when the articles could not be delivered. With ``--parent-pid`` it
dies with that parent. People use ``luqiao-monitor crawl`` instead.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from .parent_watch import die_with_parent
from .run import EXIT_CRAWL_FAILED, CrawlFailed, crawl_once, parse_sink
from .settings import CrawlerSettings
from .summary import CrawlSummary


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m services.crawler", description=__doc__)
    parser.add_argument("--settings-json", default="{}", help="CrawlerSettings overrides")
    parser.add_argument("--sink", default="kafka", help='"kafka", "queue" or jsonl:<path>')
    parser.add_argument("--summary-file", type=Path, default=None)
    parser.add_argument("--append", action="store_true", help="append to the JSONL output")
    parser.add_argument(
        "--progress-file", type=Path, default=None, help="progress report, every second"
    )
    parser.add_argument("--parent-pid", type=int, default=None, help="die when it dies")
    args = parser.parse_args(argv)
    die_with_parent(args.parent_pid)
    settings = CrawlerSettings(**json.loads(args.settings_json))
    code = 0
    summary: CrawlSummary | None
    try:
        summary = crawl_once(
            settings,
            parse_sink(args.sink),
            append=args.append,
            progress_file=args.progress_file,
        )
    except CrawlFailed as exc:
        print(f"crawl failed: {exc}", file=sys.stderr)
        summary = exc.summary
        code = EXIT_CRAWL_FAILED
    if args.summary_file is not None and summary is not None:
        args.summary_file.write_text(summary.model_dump_json(), "utf-8")
    return code


if __name__ == "__main__":
    sys.exit(main())
