"""Dates as forum engines display them, read in the board's date order and time zone.

Engines print post dates in the board's (or the guest's) time zone and in a format the
administrator chose; the formats below are the engines' defaults and the common
choices seen on audio forums:

==============================  =====================================================
``Fri Mar 01, 2013 10:00 am``   phpBB 3.0 default (``D M d, Y g:i a``)
``27 Apr 2011 23:57``           phpBB 3.1–3.3 (``d M Y H:i``)
``03-01-2013, 10:00 AM``        vBulletin 3/4 default (``m-d-Y``, ``h:i A``)
``2016-02-01, 02:21``           vBulletin 3/4 with ``Y-m-d`` and ``H:i``
``Today, 14:03``                vBulletin "Yesterday / Today" dates, XenForo relative
``18th October 2019``           vBulletin ``jS F Y``
``15.06.2016``                  German boards (``d.m.Y``): dots mean day first
``Mar 1, 2014 at 10:00 AM``     XenForo 1 (older posts; recent ones carry ``data-time``)
==============================  =====================================================

Numeric dates with ``-`` or ``/`` are read in the board's ``date_order`` (``MDY``,
``DMY`` or ``YMD``); without one, month first (the vBulletin default) unless the first
number cannot be a month. A date read month first by that assumption, with a day that
could also be a month, is reported as *ambiguous*.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from earwitness.errors import BadInputError

__all__ = ["DATE_ORDERS", "BoardDates", "DateReading", "read_display_date"]

DATE_ORDERS = ("MDY", "DMY", "YMD")
_MONTH_NAMES = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
_MONTHS = {name: number for number, name in enumerate(_MONTH_NAMES, start=1)}
_WEEKDAY = re.compile(r"^(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*\.?,?\s+", re.IGNORECASE)
_ORDINAL = re.compile(r"\b(\d{1,2})(?:st|nd|rd|th)\b", re.IGNORECASE)
_TIME = re.compile(r"\b(\d{1,2}):(\d{2})(?::(\d{2}))?\s*([ap])?\.?(?:m\b\.?)?", re.IGNORECASE)
_RELATIVE = re.compile(r"^(today|yesterday)\b", re.IGNORECASE)
_YMD = re.compile(r"\b(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})\b")
_NUMERIC = re.compile(r"\b(\d{1,2})([-/.])(\d{1,2})\2(\d{4}|\d{2})\b")
_DAY_MONTH = re.compile(r"\b(\d{1,2})\s+([a-z]{3,9})\.?\s+(\d{4})\b", re.IGNORECASE)
_MONTH_DAY = re.compile(r"\b([a-z]{3,9})\.?\s+(\d{1,2})\s+(\d{4})\b", re.IGNORECASE)


@dataclass(frozen=True)
class BoardDates:
    """How one board writes its dates: order of numeric dates, time zone, today's date."""

    order: str | None = None  # MDY, DMY or YMD; None assumes MDY unless impossible
    timezone: str | None = None  # IANA name, e.g. Europe/Berlin; None stores as UTC
    now: datetime | None = None  # "today" for relative dates; default: the time of reading
    _zone: tzinfo | None = field(default=None, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.order is not None and self.order.upper() not in DATE_ORDERS:
            raise BadInputError(
                f"date order must be one of {', '.join(DATE_ORDERS)}, not {self.order!r}"
            )
        if self.order is not None:
            object.__setattr__(self, "order", self.order.upper())
        if self.timezone:
            try:
                object.__setattr__(self, "_zone", ZoneInfo(self.timezone))
            except (ZoneInfoNotFoundError, ValueError):
                raise BadInputError(
                    f"unknown time zone {self.timezone!r} (use an IANA name like Europe/Berlin)"
                ) from None

    @property
    def zone(self) -> tzinfo | None:
        return self._zone

    def today(self) -> datetime:
        now = self.now or datetime.now(UTC)
        return now.astimezone(self._zone) if self._zone is not None else now.astimezone(UTC)


@dataclass(frozen=True)
class DateReading:
    when: datetime
    ambiguous: bool = False  # read month first by assumption; the day could be a month


def _month(name: str) -> int | None:
    return _MONTHS.get(name[:3].lower())


def _year(text: str) -> int:
    year = int(text)
    return year + 2000 if year < 100 else year


def _date_part(text: str, board: BoardDates) -> tuple[int, int, int, bool] | None:
    """Year, month, day and whether the order was assumed for an ambiguous date."""
    if found := _YMD.search(text):
        return int(found[1]), int(found[2]), int(found[3]), False
    if found := _NUMERIC.search(text):
        first, sep, second, year = int(found[1]), found[2], int(found[3]), _year(found[4])
        order = board.order or ("DMY" if sep == "." or first > 12 else "MDY")
        if order == "DMY":
            return year, second, first, False
        ambiguous = board.order is None and first != second and second <= 12
        return year, first, second, ambiguous
    if (found := _DAY_MONTH.search(text)) and (month := _month(found[2])):
        return int(found[3]), month, int(found[1]), False
    if (found := _MONTH_DAY.search(text)) and (month := _month(found[1])):
        return int(found[3]), month, int(found[2]), False
    return None


def _time_part(text: str) -> tuple[int, int, int]:
    found = _TIME.search(text)
    if not found:
        return 0, 0, 0
    hour, minute, second = int(found[1]), int(found[2]), int(found[3] or 0)
    meridiem = (found[4] or "").lower()
    if meridiem == "p" and hour < 12:
        hour += 12
    elif meridiem == "a" and hour == 12:
        hour = 0
    return hour, minute, second


def _normalise(value: str) -> str:
    text = " ".join(value.replace("\u00a0", " ").split()).strip(" »,")
    text = _WEEKDAY.sub("", text)
    text = _ORDINAL.sub(r"\1", text)
    return re.sub(r"\s*,\s*|\s+at\s+|\s+-\s+", " ", text, flags=re.IGNORECASE).strip()


def read_display_date(value: str, board: BoardDates | None = None) -> DateReading | None:
    """A displayed date in the board's time zone, as UTC; None when it is not a date."""
    board = board or BoardDates()
    text = _normalise(value)
    if not text:
        return None
    relative = _RELATIVE.match(text)
    if relative:
        day = board.today() - timedelta(days=1 if relative[1].lower() == "yesterday" else 0)
        ymd: tuple[int, int, int, bool] | None = (day.year, day.month, day.day, False)
    else:
        ymd = _date_part(text, board)
    if ymd is None:
        return None
    year, month, day_of_month, ambiguous = ymd
    hour, minute, second = _time_part(_YMD.sub(" ", _NUMERIC.sub(" ", text)))
    try:
        local = datetime(year, month, day_of_month, hour, minute, second)
    except ValueError:
        return None
    if board.zone is not None:
        return DateReading(local.replace(tzinfo=board.zone).astimezone(UTC), ambiguous)
    return DateReading(local.replace(tzinfo=UTC), ambiguous)
