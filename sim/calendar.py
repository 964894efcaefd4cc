"""Calendar months (``YYYY-MM``) and the model's step numbers (month 1 = the start month)."""

from __future__ import annotations

from functools import lru_cache

MONTH_PATTERN = r"^\d{4}-(0[1-9]|1[0-2])$"


@lru_cache(maxsize=1024)  # the model asks for the year every month (year_of)
def _ordinal(month: str) -> int:
    year, m = (int(x) for x in month.split("-"))
    return year * 12 + m - 1


@lru_cache(maxsize=1024)  # instruments ask for their windows every month
def month_index(start_month: str, month: str) -> int:
    """Step number of calendar ``month`` when step 1 is ``start_month`` (may be <= 0)."""
    return _ordinal(month) - _ordinal(start_month) + 1


def calendar(start_month: str, months: int) -> list[str]:
    """Calendar months ``YYYY-MM`` of steps 1..months, step 1 being ``start_month``."""
    return list(_calendar(start_month, months))


@lru_cache(maxsize=64)  # every run's table has a date column: a sweep asks for the same one
def _calendar(start_month: str, months: int) -> tuple[str, ...]:
    first = _ordinal(start_month)
    return tuple(f"{m // 12:04d}-{m % 12 + 1:02d}" for m in range(first, first + months))


def last_month(start_month: str, months: int) -> str:
    """Calendar month ``YYYY-MM`` of step ``months``, the last of a run of that length."""
    last = _ordinal(start_month) + months - 1
    return f"{last // 12:04d}-{last % 12 + 1:02d}"


def year_of(start_month: str, step: int) -> int:
    """Calendar year of step ``step``."""
    return (_ordinal(start_month) + step - 1) // 12
