"""`python -m bench` (and `make bench`): every benchmark in turn, one after the other so
that none competes with another for the machine's two cores.

    python -m bench                 # crawler, extractor, tracker, backfill
    python -m bench extractor       # only the named ones
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# Each runs in its own interpreter: a fresh process per benchmark, as each service is one.
BENCHMARKS: dict[str, list[str]] = {
    "crawler": [str(ROOT / "bench" / "crawler_bench.py")],
    "extractor": ["-m", "bench.extractor_bench"],
    "tracker": ["-m", "bench.tracker_bench"],
    # 5,000 articles (~6-10 min here); the 100,000 take hours on 2 shared cores:
    # .venv/bin/python -m bench.backfill_bench --articles 100000
    "backfill": ["-m", "bench.backfill_bench", "--articles", "5000"],
}


def main(argv: list[str]) -> int:
    names = argv or list(BENCHMARKS)
    unknown = [n for n in names if n not in BENCHMARKS]
    if unknown:
        print(f"unknown benchmark(s) {unknown}; choose from {list(BENCHMARKS)}", file=sys.stderr)
        return 2
    failed = []
    for name in names:
        print(f"\n== {name} ==", flush=True)
        started = time.perf_counter()
        code = subprocess.run([sys.executable, *BENCHMARKS[name]], cwd=ROOT, check=False).returncode
        print(f"== {name}: {time.perf_counter() - started:.0f} s, exit {code} ==", flush=True)
        if code:
            failed.append(name)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
