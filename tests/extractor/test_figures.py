"""Figures near a match, Chinese numerals included."""

from __future__ import annotations

from pathlib import Path

import pytest

from services.extractor.figures import figures_in

DATA = Path(__file__).parents[1] / "data/extractor"
CASES = [
    line.split("\t")
    for line in (DATA / "figure_cases.tsv").read_text(encoding="utf-8").splitlines()
    if line.strip() and not line.startswith("#")
]


@pytest.mark.parametrize(("text", "value", "unit", "role"), CASES)
def test_figure(text: str, value: str, unit: str, role: str) -> None:
    found = [(f.value, f.unit, f.role) for f in figures_in(text)]
    assert (float(value), unit, role) in found, found
