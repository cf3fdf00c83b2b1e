"""HTTP load from a second process: N concurrent clients GET the given urls for a while.

Run as a child process by bench/tracker_bench.py (so the load generator does not share an
interpreter, or a GIL, with the server it measures); prints one JSON object:
requests/s, error count and latency percentiles in milliseconds.

    python -m bench.http_load --concurrency 50 --seconds 10 [-H "Name: value"] URL [URL ...]

Each client is a loop of sequential requests on its own keep-alive connection, cycling
through the urls; the first second is warm-up and is not counted.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time

import httpx

# httpx asks for gzip, deflate (and more) by default; wrk asks for nothing. The load is
# the same with either tool only if both send the same headers.
NO_COMPRESSION = {"Accept-Encoding": "identity"}


def header(text: str) -> tuple[str, str]:
    """A `-H "Name: value"` argument, as wrk reads it."""
    name, sep, value = text.partition(":")
    if not sep or not name.strip():
        raise argparse.ArgumentTypeError(f"not a 'Name: value' header: {text!r}")
    return name.strip(), value.strip()


def percentile(sorted_values: list[float], q: float) -> float:
    if not sorted_values:
        return float("nan")
    k = min(len(sorted_values) - 1, max(0, round(q / 100 * (len(sorted_values) - 1))))
    return sorted_values[k]


async def _client(
    urls: list[str],
    headers: dict[str, str],
    offset: int,
    count_from: float,
    stop_at: float,
    latencies: list[float],
    errors: list[str],
) -> None:
    i = offset
    # One client (one connection) per simulated user: a pool shared by 50 tasks makes
    # httpx itself the bottleneck (113 requests/s against a trivial app, measured here).
    async with httpx.AsyncClient(timeout=30.0, headers=headers) as client:
        await _loop(client, urls, i, count_from, stop_at, latencies, errors)


async def _loop(
    client: httpx.AsyncClient,
    urls: list[str],
    i: int,
    count_from: float,
    stop_at: float,
    latencies: list[float],
    errors: list[str],
) -> None:
    while True:
        started = time.perf_counter()
        if started >= stop_at:
            return
        url = urls[i % len(urls)]
        i += 1
        try:
            response = await client.get(url)
            ok = response.status_code == 200
            failure = "" if ok else f"status {response.status_code}"
        except httpx.HTTPError as exc:
            ok, failure = False, type(exc).__name__
        if started >= count_from:
            if ok:
                latencies.append(time.perf_counter() - started)
            else:
                errors.append(failure)


async def run_load(
    urls: list[str],
    concurrency: int,
    seconds: float,
    warmup: float,
    headers: dict[str, str] | None = None,
) -> dict[str, object]:
    latencies: list[float] = []
    errors: list[str] = []
    now = time.perf_counter()
    count_from, stop_at = now + warmup, now + warmup + seconds
    await asyncio.gather(
        *[
            _client(
                urls,
                {**NO_COMPRESSION, **(headers or {})},
                n,
                count_from,
                stop_at,
                latencies,
                errors,
            )
            for n in range(concurrency)
        ]
    )
    measured = time.perf_counter() - count_from
    ordered = sorted(latencies)
    return {
        "concurrency": concurrency,
        "seconds": round(measured, 2),
        "requests": len(latencies),
        "errors": len(errors),
        "error_kinds": sorted(set(errors))[:5],
        "requests_per_second": round(len(latencies) / measured, 1),
        "p50_ms": round(1000 * percentile(ordered, 50), 1),
        "p95_ms": round(1000 * percentile(ordered, 95), 1),
        "p99_ms": round(1000 * percentile(ordered, 99), 1),
        "max_ms": round(1000 * ordered[-1], 1) if ordered else None,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("urls", nargs="+")
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--warmup", type=float, default=1.0)
    parser.add_argument("-H", dest="headers", type=header, action="append", default=[])
    args = parser.parse_args()
    figures = run_load(args.urls, args.concurrency, args.seconds, args.warmup, dict(args.headers))
    print(json.dumps(asyncio.run(figures)))


if __name__ == "__main__":
    main()
