"""Every list filter is answered from an index: the query plans of the queries the API runs.

On PostgreSQL, sequential scans are disabled for the EXPLAIN, so the test asks whether an index
*can* serve the filter (a planner may rightly prefer a scan of a table this small)."""

import datetime as dt
import re
from typing import Any, cast

import pytest
from sqlalchemy import Select, Table
from sqlalchemy.engine import Engine

from app.kinds import CROSSING, FORTIFICATION, RESTRICTION
from app.queries import events as event_queries
from app.queries import lists

LIST_QUERIES: dict[str, lists.ListFilter] = {
    "crossings?country=LV": lists.record_filter(CROSSING, country="LV"),
    "crossings?country=RU": lists.record_filter(CROSSING, country="RU", roles={"RU": "neighbour"}),
    "crossings?neighbour=BY": lists.record_filter(CROSSING, neighbour="BY"),
    "crossings?status=closed": lists.record_filter(CROSSING, status="closed"),
    "crossings?country=LV&status=open": lists.record_filter(CROSSING, country="LV", status="open"),
    "crossings?neighbour=RU&status=open": lists.record_filter(
        CROSSING, neighbour="RU", status="open"
    ),
    "crossings?traffic=rail": lists.record_filter(CROSSING, traffic="rail"),
    "crossings?country=LT&traffic=car": lists.record_filter(CROSSING, country="LT", traffic="car"),
    "restrictions?country=EE": lists.record_filter(RESTRICTION, country="EE"),
    "restrictions?kind=visa": lists.record_filter(RESTRICTION, kind="visa"),
    "restrictions?status=planned": lists.record_filter(RESTRICTION, status="planned"),
    "restrictions?country=LT&kind=transit": lists.record_filter(
        RESTRICTION, country="LT", kind="transit"
    ),
    "fortifications?country=RU": lists.record_filter(
        FORTIFICATION, country="RU", roles={"RU": "neighbour"}
    ),
    "fortifications?country=LT": lists.record_filter(FORTIFICATION, country="LT"),
    "fortifications?kind=fence": lists.record_filter(FORTIFICATION, kind="fence"),
    "fortifications?status=rejected": lists.record_filter(FORTIFICATION, status="rejected"),
}
EVENT_QUERIES: dict[str, dict[str, Any]] = {
    "events?country=LV": {"country": "LV"},
    "events?kind=closure": {"kind": "closure"},
    "events?country=LT&from=2023": {"country": "LT", "date_from": dt.date(2023, 1, 1)},
    "events?from=2023&to=2024": {
        "date_from": dt.date(2023, 1, 1),
        "date_to": dt.date(2024, 12, 31),
    },
}


def plan(engine: Engine, query: Select[Any]) -> str:
    sql = str(query.compile(engine, compile_kwargs={"literal_binds": True}))
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            rows = conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}").all()
            return "\n".join(str(row[-1]) for row in rows)
        conn.exec_driver_sql("SET enable_seqscan = off")
        return "\n".join(row[0] for row in conn.exec_driver_sql(f"EXPLAIN {sql}"))


def assert_uses_indexes(engine: Engine, query: Select[Any]) -> None:
    found = plan(engine, query)
    if engine.dialect.name == "sqlite":
        scans = [line for line in found.splitlines() if line.startswith("SCAN")]
        assert not scans, found
        assert "INDEX" in found, found
    else:
        assert "Seq Scan" not in found, found
        assert "Index" in found, found


def bound(query: Select[Any], list_filter: lists.ListFilter) -> Select[Any]:
    return query.params(**list_filter.values, after="m", limit=101)


@pytest.mark.parametrize("name", LIST_QUERIES)
@pytest.mark.parametrize("after", [False, True], ids=["first page", "next page"])
def test_every_list_filter_uses_an_index(seeded_engine: Engine, name: str, after: bool) -> None:
    list_filter = LIST_QUERIES[name]
    query = lists.documents_query(list_filter, after=after)
    assert_uses_indexes(seeded_engine, bound(query, list_filter))


TALLIED = [name for name in LIST_QUERIES if not name.startswith("fortifications")]


@pytest.mark.parametrize("name", TALLIED)
def test_crossing_and_restriction_totals_read_only_a_tally(name: str) -> None:
    """A tally has a row per border side, status and mode (or country, kind and status),
    however many records there are: summing it costs the same at any size."""
    list_filter = LIST_QUERIES[name]
    query = lists.count_query(list_filter)
    assert [cast(Table, t).name for t in query.get_final_froms()] in (
        ["crossing_tally"],
        ["restriction_tally"],
    )


@pytest.mark.parametrize("name", [n for n in LIST_QUERIES if n not in TALLIED])
def test_every_other_list_count_uses_an_index(seeded_engine: Engine, name: str) -> None:
    list_filter = LIST_QUERIES[name]
    query = lists.count_query(list_filter)
    assert_uses_indexes(seeded_engine, bound(query, list_filter))


@pytest.mark.parametrize("name", EVENT_QUERIES)
def test_event_filters_use_an_index(seeded_engine: Engine, name: str) -> None:
    query, date, key = event_queries.events_query(event_queries.Timeline(**EVENT_QUERIES[name]))
    assert_uses_indexes(seeded_engine, query.order_by(date, key).limit(101))


@pytest.mark.parametrize("name", EVENT_QUERIES)
def test_event_counts_use_an_index(seeded_engine: Engine, name: str) -> None:
    assert_uses_indexes(
        seeded_engine,
        event_queries.events_count_query(event_queries.Timeline(**EVENT_QUERIES[name])),
    )


@pytest.mark.parametrize("name", [n for n in EVENT_QUERIES if n.startswith("events?country=")])
def test_a_countrys_timeline_is_counted_without_reading_an_event(
    seeded_engine: Engine, name: str
) -> None:
    found = plan(
        seeded_engine,
        event_queries.events_count_query(event_queries.Timeline(**EVENT_QUERIES[name])),
    )
    assert "event_country" in found, found
    assert not [line for line in found.splitlines() if re.search(r"\bevent\b(?!_)", line)], found


@pytest.mark.parametrize("name", ["events", *EVENT_QUERIES])
def test_the_timeline_is_read_in_date_order_from_an_index(seeded_engine: Engine, name: str) -> None:
    if seeded_engine.dialect.name != "sqlite":
        pytest.skip("SQLite reports sorting in its plan")
    query, date, key = event_queries.events_query(
        event_queries.Timeline(**EVENT_QUERIES.get(name, {}))
    )
    assert "TEMP B-TREE" not in plan(seeded_engine, query.order_by(date, key).limit(101))


def test_every_list_reads_its_page_in_id_order_from_the_index(
    seeded_engine: Engine,
) -> None:
    if seeded_engine.dialect.name != "sqlite":
        pytest.skip("SQLite reports sorting in its plan; PostgreSQL's is checked by EXPLAIN above")
    for name, list_filter in LIST_QUERIES.items():
        query = lists.documents_query(list_filter, after=True)
        assert "TEMP B-TREE" not in plan(seeded_engine, bound(query, list_filter)), name
