"""`luqiao-monitor extract` on a file with bad lines: each is reported with its
number and reason, the good lines around them are still read, the exit code says so."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

DATA = Path(__file__).parents[1] / "data" / "extractor"


def test_bad_lines_are_reported_and_skipped() -> None:
    expected = json.loads((DATA / "bad_lines.expected.json").read_text(encoding="utf-8"))
    env = {**os.environ, "LUQIAO_MAX_TEXT_CHARS": str(expected["max_text_chars"])}
    result = subprocess.run(
        [sys.executable, "-m", "services.cli", "extract", str(DATA / "bad_lines.jsonl")],
        capture_output=True,
        env=env,
        timeout=120,
    )
    assert result.returncode == 1, result.stderr.decode()
    stderr = result.stderr.decode()
    for line, reason in expected["bad"].items():
        assert f"bad_lines.jsonl:{line}: skipped: {reason}" in stderr
    assert f"{expected['articles']} articles" in stderr
    evidence = [json.loads(x) for x in result.stdout.decode().splitlines() if x.strip()]
    assert sorted({e["url"] for e in evidence}) == expected["evidence_urls"]
    assert all(e["title"] == "" for e in evidence if e["url"] == "https://x/1")
