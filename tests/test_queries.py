"""Every list filter is answered from an index: the query plans of the queries the API runs.

On PostgreSQL, sequential scans are disabled for the EXPLAIN, so the test asks whether an index
*can* serve the filter (a planner may rightly prefer a scan of a table this small)."""

import datetime as dt
import re
from collections.abc import Callable
from typing import Any, cast

import pytest
from sqlalchemy import Select, Table, event
from sqlalchemy.engine import Engine
from sqlmodel import Session

from app.kinds import CROSSING, FORTIFICATION, RESTRICTION
from app.queries import borders as border_queries
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


# --- reads on a date, and the borders' counts ------------------------------------------------

ON = dt.date(2024, 6, 1)
DATED_TOTALS: dict[str, lists.ListFilter] = {
    "crossings?as_of": lists.on_date(lists.record_filter(CROSSING), ON),
    "crossings?as_of&status=closed": lists.on_date(lists.record_filter(CROSSING), ON, "closed"),
    "crossings?country=LV&as_of&status=open": lists.on_date(
        lists.record_filter(CROSSING, country="LV"), ON, "open"
    ),
    "crossings?neighbour=BY&as_of": lists.on_date(
        lists.record_filter(CROSSING, neighbour="BY"), ON
    ),
}


def executed_plans(engine: Engine, work: Callable[[Session], object]) -> list[str]:
    """The plan of every statement `work` runs, as the driver ran it."""
    statements: list[tuple[str, Any]] = []

    def capture(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        statements.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", capture)
    try:
        with Session(engine) as session:
            work(session)
    finally:
        event.remove(engine, "before_cursor_execute", capture)
    sqlite = engine.dialect.name == "sqlite"
    found = []
    with engine.connect() as conn:
        if not sqlite:
            conn.exec_driver_sql("SET enable_seqscan = off")
        for statement, parameters in statements:
            prefix = "EXPLAIN QUERY PLAN " if sqlite else "EXPLAIN "
            rows = conn.exec_driver_sql(prefix + statement, parameters).all()
            found.append("\n".join(str(row[-1] if sqlite else row[0]) for row in rows))
    return found


@pytest.mark.parametrize("name", DATED_TOTALS)
def test_crossing_totals_on_a_date_read_only_the_count_changes(
    seeded_engine: Engine, name: str
) -> None:
    """However many crossings there are: the days their counts change, per border."""
    list_filter = DATED_TOTALS[name]
    found = plan(seeded_engine, lists.count_query(list_filter).params(**list_filter.values))
    assert "crossing_count" in found, found
    assert not re.search(r"\b(crossing|status_period)\b(?!_)", found), found


def test_a_borders_counts_on_a_date_read_its_count_changes_off_their_key(
    seeded_engine: Engine,
) -> None:
    (found,) = executed_plans(
        seeded_engine, lambda s: border_queries.crossing_counts_on(s, ["LV-RU", "EE-RU"], ON)
    )
    assert "crossing_count" in found, found
    assert_no_scan(seeded_engine, found)


def test_a_borders_unrevised_changes_are_read_off_the_event_dates(seeded_engine: Engine) -> None:
    after = {"LV-RU": dt.date(2025, 1, 1), "EE-RU": dt.date(2024, 6, 1)}
    (found,) = executed_plans(
        seeded_engine,
        lambda s: border_queries.crossing_status_changes(s, after, dt.date(2026, 1, 1)),
    )
    assert_no_scan(seeded_engine, found)
    if seeded_engine.dialect.name == "sqlite":
        assert "ix_event_date_id" in found, found


def test_the_records_whose_fields_changed_are_found_off_an_index(seeded_engine: Engine) -> None:
    """An as_of list asks which records changed fields since the date, whatever the store."""
    (found,) = executed_plans(
        seeded_engine,
        lambda s: event_queries.changed_since(s, subject_type="crossing", date=ON),
    )
    assert_no_scan(seeded_engine, found)
    if seeded_engine.dialect.name == "sqlite":
        assert "ix_event_field_changes" in found, found
        assert "ix_event_subject" not in found, found


@pytest.mark.parametrize(
    "list_filter",
    [
        lists.record_filter(CROSSING, q_key="narv"),
        lists.record_filter(RESTRICTION, q="visa"),
        lists.record_filter(FORTIFICATION, q="fence"),
    ],
    ids=["crossings?q", "restrictions?q", "fortifications?q"],
)
def test_a_q_filter_reads_a_trigram_index_on_postgresql(
    seeded_engine: Engine, list_filter: lists.ListFilter
) -> None:
    if seeded_engine.dialect.name != "postgresql":
        pytest.skip("SQLite scans for a substring (docs/performance.md)")
    found = plan(seeded_engine, lists.count_query(list_filter).params(**list_filter.values))
    assert "_trgm" in found, found


def assert_no_scan(engine: Engine, found: str) -> None:
    """No table is read whole (a subquery's own rows may be)."""
    if engine.dialect.name == "sqlite":
        assert not [line for line in found.splitlines() if re.match(r"SCAN (?!anon_)", line)], found
    else:
        assert "Seq Scan" not in found, found
