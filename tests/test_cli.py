"""`luqiao-monitor --help` and every subcommand's help explain themselves."""

from __future__ import annotations

import re

import pytest
from typer.testing import CliRunner

from services.cli import app

runner = CliRunner()
COMMANDS = [
    [],
    ["run"],
    ["catalog"],
    ["crawl"],
    ["extract"],
    ["explain"],
    ["score-extractor"],
    ["redecide-statuses"],
    ["evaluate"],  # the old names, hidden
    ["reevaluate"],
    ["asyncapi"],
    ["openapi"],
    ["serve"],
    ["serve", "extractor"],
    ["serve", "tracker"],
]


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c) or "top")
def test_help(command: list[str]) -> None:
    result = runner.invoke(app, [*command, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage:" in result.output
    # Each command says what it is for, not only its options.
    body = result.output.split("Options")[0]
    assert len(body.split("Usage:")[1].strip().splitlines()) >= 2, result.output


def test_top_level_help_lists_every_command_and_not_the_old_names() -> None:
    output = runner.invoke(app, ["--help"]).output
    listed = re.findall(r"^  ([a-z-]+)\s", output.split("Commands:", 1)[1], re.M)
    assert sorted(listed) == sorted(
        [
            "run",
            "catalog",
            "crawl",
            "extract",
            "explain",
            "score-extractor",
            "serve",
            "redecide-statuses",
            "asyncapi",
            "openapi",
        ]
    )


def test_the_old_name_of_score_extractor_prints_the_same_table_and_a_notice() -> None:
    new = runner.invoke(app, ["score-extractor", "--split", "dev"])
    old = runner.invoke(app, ["evaluate", "--split", "dev"])
    assert new.exit_code == old.exit_code == 0, old.output
    assert new.stdout.startswith("split") and "(tp/fp/fn)" in new.stdout
    assert old.stdout == new.stdout
    assert old.stderr == (
        "`luqiao-monitor evaluate` is deprecated: use `luqiao-monitor score-extractor`\n"
    )
    assert new.stderr == ""


def test_extract_reads_json_lines_and_writes_evidence(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import json
    from pathlib import Path

    case = json.loads(
        (Path(__file__).parent / "data/extractor/articles/completed_park.json").read_text("utf-8")
    )
    src = tmp_path / "in.jsonl"
    src.write_text(
        json.dumps(
            {k: case[k] for k in ("url", "title", "published_at", "text")}, ensure_ascii=False
        )
        + "\n",
        "utf-8",
    )
    result = runner.invoke(app, ["extract", str(src)])
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    assert lines and all(e["url"] == case["url"] and e["stage"] == "completed" for e in lines)
