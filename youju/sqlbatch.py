"""SQLite queries over many values: the `IN (...)` list sent in batches that stay under SQLite's
limit on host parameters (999 in older builds)."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from typing import Any

BATCH = 500


def select_in(db: sqlite3.Connection, sql: str, values: Sequence[Any], *params: Any,
              size: int = BATCH) -> Iterator[Any]:
    """The rows of `sql` for every batch of `values`. `sql` holds `{marks}` where the IN list
    goes; `params` are bound after the batch's values."""
    for at in range(0, len(values), size):
        part = list(values[at:at + size])
        yield from db.execute(sql.format(marks=",".join("?" * len(part))), [*part, *params])
