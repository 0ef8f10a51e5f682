"""Numpy/Arrow helpers for generating big tables column-wise.

Money is int64 in minor units (cents); quantities and prices are int64 x 10^4; exchange rates
int64 x 10^6. Integer arithmetic keeps every rounding exact and reproducible.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from .settings import DAY0, DAY_END

Ints = npt.NDArray[np.int64]
Bools = npt.NDArray[np.bool_]
Days = npt.NDArray[np.datetime64]


def half_up_div(numerator: Ints, denominator: Ints | int) -> Ints:
    """numerator / denominator rounded half away from zero (commercial rounding), exactly."""
    den = np.asarray(denominator, dtype=np.int64)
    magnitude = (2 * np.abs(numerator) + den) // (2 * den)
    return np.asarray(np.sign(numerator) * magnitude, dtype=np.int64)


def expand(counts: Ints) -> tuple[Ints, Ints]:
    """For groups of `counts` items: each item's group index and its 0-based position in the group."""
    owner = np.repeat(np.arange(len(counts), dtype=np.int64), counts)
    starts = np.cumsum(counts) - counts
    position = np.arange(len(owner), dtype=np.int64) - starts[owner]
    return owner, position


def group_sum(values: Ints, owner: Ints, groups: int) -> Ints:
    """Exact int64 sum of `values` per group (owner need not be sorted)."""
    sums = np.zeros(groups, dtype=np.int64)
    np.add.at(sums, owner, values)
    return sums


def pick_within(rng: np.random.Generator, starts: Ints, counts: Ints) -> Ints:
    """A uniformly random index in [start, start + count) for each row."""
    return np.asarray(starts + (rng.random(len(starts)) * counts).astype(np.int64), dtype=np.int64)


def pick_weighted(rng: np.random.Generator, n: int, weights: Sequence[float]) -> Ints:
    """n draws of an index with the given relative weights."""
    p = np.asarray(weights, dtype=np.float64)
    return np.asarray(rng.choice(len(p), size=n, p=p / p.sum()), dtype=np.int64)


def random_days(rng: np.random.Generator, n: int, first: np.datetime64, last: np.datetime64) -> Days:
    """n dates uniform in [first, last]."""
    span = int((last - first).astype(np.int64)) + 1
    return first + rng.integers(0, span, size=n).astype("timedelta64[D]")


def clip_days(days: Days, first: np.datetime64, last: np.datetime64) -> Days:
    """Dates limited to [first, last]."""
    clipped: Days = np.minimum(np.maximum(days, first), last)
    return clipped


def stamps_after(rng: np.random.Generator, days: Days, max_days: int = 10) -> npt.NDArray[np.datetime64]:
    """Timestamps during office hours 0..max_days after `days` (at the latest on the last data day)."""
    n = len(days)
    day = np.minimum(days + rng.integers(0, max_days + 1, size=n).astype("timedelta64[D]"), DAY_END)
    time_of_day = rng.integers(7 * 3600 * 10**6, 19 * 3600 * 10**6, size=n).astype("timedelta64[us]")
    stamps: npt.NDArray[np.datetime64] = day.astype("datetime64[us]") + time_of_day
    return stamps


def month_index(days: Days) -> Ints:
    """Months since January 2025 (the exchange-rate table's month axis)."""
    months = days.astype("datetime64[M]").astype(np.int64)
    return np.asarray(months - DAY0.astype("datetime64[M]").astype(np.int64), dtype=np.int64)


def years(days: Days) -> Ints:
    """Calendar year of each date."""
    return np.asarray(days.astype("datetime64[Y]").astype(np.int64) + 1970, dtype=np.int64)


def rank_in_group(group: Ints, order: Any) -> Ints:
    """1-based rank of each row within its group when sorted by `order` (ties by row number)."""
    n = len(group)
    perm = np.lexsort((np.arange(n), order, group))
    sorted_group = group[perm]
    boundaries = np.r_[True, sorted_group[1:] != sorted_group[:-1]]
    group_start = np.maximum.accumulate(np.where(boundaries, np.arange(n), 0))
    ranks = np.empty(n, dtype=np.int64)
    ranks[perm] = np.arange(n) - group_start + 1
    return ranks


def take_strings(pool: Sequence[str | None], index: Ints) -> pa.Array:
    """pool[index] as an Arrow string array, built in C++."""
    return pa.array(list(pool), pa.string()).take(pa.array(index, pa.int64()))


def padded(numbers: Ints, width: int) -> pa.Array:
    """Integers as zero-padded strings."""
    return pc.utf8_lpad(pa.array(numbers, pa.int64()).cast(pa.string()), width=width, padding="0")


def document_numbers(prefixes: pa.Array, years_: Ints, sequence: Ints, width: int) -> pa.Array:
    """'PREFIX-YYYY-000123' for each row."""
    year_text = pa.array(years_, pa.int64()).cast(pa.string())
    return pc.binary_join_element_wise(prefixes, year_text, padded(sequence, width), "-")


def join_text(*parts: pa.Array | str, separator: str = " ") -> pa.Array:
    """Element-wise concatenation of string arrays and scalars."""
    return pc.binary_join_element_wise(*parts, separator)


def masked_ints(values: Ints, valid: Bools) -> pa.Array:
    """A nullable int64 Arrow array (null where not valid)."""
    return pa.array(values, pa.int64(), mask=~valid)
