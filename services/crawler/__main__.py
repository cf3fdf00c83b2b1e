"""Child-process entry: ``python -m services.crawler --settings-json '{...}' --sink kafka``.

Used by :func:`services.crawler.run.crawl_subprocess` so that every crawl gets a
fresh Twisted reactor. Writes the run's CrawlSummary as JSON to
``--summary-file`` and exits 0 on success, 3 when the articles could not be
delivered. People use ``luqiao-monitor crawl`` instead.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from .run import EXIT_CRAWL_FAILED, CrawlFailed, Sink, crawl_once
from .settings import CrawlerSettings
from .summary import CrawlSummary


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m services.crawler", description=__doc__)
    parser.add_argument("--settings-json", default="{}", help="CrawlerSettings overrides")
    parser.add_argument("--sink", default="kafka", help='"kafka" or a .jsonl output path')
    parser.add_argument("--summary-file", type=Path, default=None)
    parser.add_argument("--append", action="store_true", help="append to the JSONL output")
    args = parser.parse_args(argv)
    settings = CrawlerSettings(**json.loads(args.settings_json))
    sink: Sink = "kafka" if args.sink == "kafka" else Path(args.sink)
    code = 0
    summary: CrawlSummary | None
    try:
        summary = crawl_once(settings, sink, append=args.append)
    except CrawlFailed as exc:
        print(f"crawl failed: {exc}", file=sys.stderr)
        summary = exc.summary
        code = EXIT_CRAWL_FAILED
    if args.summary_file is not None and summary is not None:
        args.summary_file.write_text(summary.model_dump_json(), "utf-8")
    return code


if __name__ == "__main__":
    sys.exit(main())
