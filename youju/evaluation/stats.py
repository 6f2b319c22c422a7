"""Bootstrap confidence intervals and percentiles for evaluation metrics."""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from typing import TypeVar

T = TypeVar("T")


def percentile(values: Sequence[float], p: float) -> float | None:
    """Linear-interpolated percentile (p in 0..100); None for no values."""
    if not values:
        return None
    s = sorted(values)
    pos = (len(s) - 1) * p / 100
    lo = int(pos)
    hi = min(lo + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (pos - lo)


def bootstrap_ci(records: Sequence[T], statistic: Callable[[Sequence[T]], float | None], rounds: int = 1000,
                 seed: int = 0, level: float = 0.95) -> tuple[float, float] | None:
    """Percentile bootstrap over records (questions): resample with replacement, recompute
    the statistic, take the central `level` interval. None when the statistic is undefined."""
    if not records or statistic(records) is None:
        return None
    rng = random.Random(seed)
    n = len(records)
    values = []
    for _ in range(rounds):
        sample = [records[rng.randrange(n)] for _ in range(n)]
        v = statistic(sample)
        if v is not None:
            values.append(v)
    tail = (1 - level) / 2 * 100
    lo, hi = percentile(values, tail), percentile(values, 100 - tail)
    return (lo, hi) if lo is not None and hi is not None else None

