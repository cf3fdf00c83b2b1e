"""Bounds on what the tracker accepts from outside, so bad input is a clear 4xx
(or a clear CLI error) and never a 500 or a silent rewrite.

- Integers that reach SQL (ids, offsets) fit their column: Python's ints do not
  stop at 2**31 or 2**63, PostgreSQL's INTEGER and BIGINT (and SQLite) do, with an
  exception, so a 500.
- Datetimes stay away from year 1 and 9999, where a time-zone conversion overflows.
- Text that ends up in XML (the Atom feeds) holds only characters XML 1.0 allows;
  what was stored before this rule is cleaned on output (`xml_safe`).
- An "as of" date lies within the catalog's years: re-deciding every status as of
  0001-01-01 would rewrite the ledger and notify every subscriber for nothing.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from datetime import date, datetime
from typing import Annotated

from pydantic import AfterValidator

from services.catalog.model import Commitment

MAX_ID = 2**31 - 1  # the ids are INTEGER columns (ledger/models.py)
MAX_OFFSET = 2**31 - 1  # paging further than this is not a real request
EARLIEST_YEAR = 1900
LATEST_YEAR = 9000

# XML 1.0 "Char" production; lone surrogates (which JSON can carry) are outside it.
_NOT_XML_CHAR = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
REPLACEMENT = "\ufffd"


def _xml_text(value: str) -> str:
    bad = _NOT_XML_CHAR.search(value)
    if bad:
        raise ValueError(
            f"contains U+{ord(bad.group()):04X} at position {bad.start()}, "
            "which XML (and so the Atom feed) cannot carry"
        )
    return value


def one_line(value: str) -> str:
    """`value` when it is printable text on one line, else `ValueError` saying where."""
    _xml_text(value)
    for i, ch in enumerate(value):
        if unicodedata.category(ch) == "Cc":
            raise ValueError(f"contains control character U+{ord(ch):04X} at position {i}")
    return value


def _bounded_datetime(value: datetime) -> datetime:
    if not EARLIEST_YEAR <= value.year <= LATEST_YEAR:
        raise ValueError(f"year must be between {EARLIEST_YEAR} and {LATEST_YEAR}")
    return value


# Free text that may hold line breaks and tabs (a review note).
XmlText = Annotated[str, AfterValidator(_xml_text)]
# A name, a search value: printable, on one line.
OneLineText = Annotated[str, AfterValidator(one_line)]
BoundedDatetime = Annotated[datetime, AfterValidator(_bounded_datetime)]


def xml_safe(value: str) -> str:
    """``value`` with every character XML cannot carry replaced by U+FFFD, for
    output built from rows stored before input was checked."""
    return _NOT_XML_CHAR.sub(REPLACEMENT, value)


def as_of_range(catalog: Iterable[Commitment], today: date) -> tuple[date, date]:
    """The dates a status may be decided as of: from 1 January of the first plan
    year to 31 December of the year after the last deadline (or after today, so a
    catalog not yet extended with this year's report still works)."""
    commitments = list(catalog)
    if not commitments:
        return date(today.year, 1, 1), date(today.year + 1, 12, 31)
    first = min(c.report.plan_year for c in commitments)
    last = max(max(c.deadline.year for c in commitments), today.year)
    return date(first, 1, 1), date(last + 1, 12, 31)


def check_as_of(as_of: date, catalog: Iterable[Commitment], today: date) -> None:
    """`ValueError` with a sentence a user can act on when ``as_of`` is out of range."""
    low, high = as_of_range(catalog, today)
    if not low <= as_of <= high:
        raise ValueError(
            f"as-of date {as_of.isoformat()} is outside the catalog's years: "
            f"use a date from {low.isoformat()} to {high.isoformat()}"
        )
