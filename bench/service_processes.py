"""The services as deployed, each in its own process: `luqiao-monitor serve tracker`
and `luqiao-monitor serve extractor`, configured through the environment exactly as
docker-compose configures them.

The benchmarks used to run the tracker under uvicorn on a thread of the bench process
(and the extractor on another thread of it), so the bench's own work (watching rows,
scraping /metrics, producing) and the other service shared one GIL with the server.
In their own processes each service has its own interpreter, as in production.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import httpx

from tests.live_server import free_port

ROOT = Path(__file__).resolve().parents[1]
CLI = [sys.executable, "-m", "services.cli"]


@contextmanager
def _service(
    args: list[str], env: Mapping[str, str]
) -> Iterator[tuple[subprocess.Popen[bytes], Path]]:
    """The process and the file its output goes to (shown when it fails to start)."""
    with tempfile.NamedTemporaryFile("w+", prefix="luqiao-bench-", suffix=".log") as log:
        process = subprocess.Popen(
            [*CLI, *args],
            cwd=ROOT,
            env={**os.environ, **env},
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            yield process, Path(log.name)
        finally:
            process.terminate()
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(5)


@contextmanager
def tracker_process(env: Mapping[str, str], startup_timeout: float = 120.0) -> Iterator[str]:
    """`serve tracker` on a free port; yields its base URL once /healthz answers
    (uvicorn listens only after the lifespan: migrations, catalog, first status pass,
    consumer start)."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    args = ["serve", "tracker", "--host", "127.0.0.1", "--port", str(port)]
    with _service(args, env) as (process, log):
        deadline = time.monotonic() + startup_timeout
        while process.poll() is None:
            try:
                if httpx.get(base + "/healthz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                break
            time.sleep(0.05)
        else:
            raise RuntimeError(f"the tracker exited:\n{log.read_text()[-3000:]}")
        if process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"the tracker did not start:\n{log.read_text()[-3000:]}")
        yield base


@contextmanager
def extractor_process(env: Mapping[str, str]) -> Iterator[None]:
    """`serve extractor` (its metrics port off); the caller waits for it to consume."""
    with _service(["serve", "extractor"], {"LUQIAO_METRICS_PORT": "0", **env}):
        yield
