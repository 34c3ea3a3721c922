"""Every list filter is answered from an index: the query plans of the queries the API runs.

On PostgreSQL, sequential scans are disabled for the EXPLAIN, so the test asks whether an index
*can* serve the filter (a planner may rightly prefer a scan of a table this small)."""

import pytest
from sqlalchemy import ColumnElement, Select, func, select
from sqlalchemy.engine import Engine
from sqlmodel import col

from app import queries
from app.models import Crossing, Event, Fortification, Restriction

Conditions = list[ColumnElement[bool]]

LIST_QUERIES: dict[str, tuple[type, Conditions]] = {
    "crossings?country=LV": (Crossing, queries.crossing_conditions(country="LV")),
    "crossings?country=RU": (
        Crossing,
        queries.crossing_conditions(country="RU", country_is_neighbour=True),
    ),
    "crossings?neighbour=BY": (Crossing, queries.crossing_conditions(neighbour="BY")),
    "crossings?status=closed": (Crossing, queries.crossing_conditions(status="closed")),
    "crossings?traffic=rail": (Crossing, queries.crossing_conditions(traffic="rail")),
    "restrictions?country=EE": (
        Restriction,
        queries.restriction_conditions(country="EE", kind=None, status=None, q=None),
    ),
    "restrictions?kind=visa": (
        Restriction,
        queries.restriction_conditions(country=None, kind="visa", status=None, q=None),
    ),
    "restrictions?status=planned": (
        Restriction,
        queries.restriction_conditions(country=None, kind=None, status="planned", q=None),
    ),
    "fortifications?country=RU": (
        Fortification,
        queries.fortification_conditions(
            country="RU", kind=None, status=None, q=None, country_is_neighbour=True
        ),
    ),
    "fortifications?country=LT": (
        Fortification,
        queries.fortification_conditions(country="LT", kind=None, status=None, q=None),
    ),
    "fortifications?kind=fence": (
        Fortification,
        queries.fortification_conditions(country=None, kind="fence", status=None, q=None),
    ),
    "fortifications?status=rejected": (
        Fortification,
        queries.fortification_conditions(country=None, kind=None, status="rejected", q=None),
    ),
}
EVENT_QUERIES: dict[str, Conditions] = {
    "events?country=LV": queries.event_conditions(country="LV"),
    "events?kind=closure": queries.event_conditions(kind="closure"),
}


def plan(engine: Engine, query: Select[tuple[object, ...]]) -> str:
    sql = str(query.compile(engine, compile_kwargs={"literal_binds": True}))
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            rows = conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}").all()
            return "\n".join(str(row[-1]) for row in rows)
        conn.exec_driver_sql("SET enable_seqscan = off")
        return "\n".join(row[0] for row in conn.exec_driver_sql(f"EXPLAIN {sql}"))


def assert_uses_indexes(engine: Engine, query: Select[tuple[object, ...]]) -> None:
    found = plan(engine, query)
    if engine.dialect.name == "sqlite":
        scans = [line for line in found.splitlines() if line.startswith("SCAN")]
        assert not scans, found
        assert "INDEX" in found, found
    else:
        assert "Seq Scan" not in found, found
        assert "Index" in found, found


@pytest.mark.parametrize("name", LIST_QUERIES)
def test_every_list_filter_uses_an_index(seeded_engine: Engine, name: str) -> None:
    model, conditions = LIST_QUERIES[name]
    assert_uses_indexes(
        seeded_engine, queries.documents_query(model, conditions, after=None, limit=101)
    )


@pytest.mark.parametrize("name", LIST_QUERIES)
def test_every_list_count_uses_an_index(seeded_engine: Engine, name: str) -> None:
    model, conditions = LIST_QUERIES[name]
    assert_uses_indexes(seeded_engine, select(func.count()).select_from(model).where(*conditions))


@pytest.mark.parametrize("name", EVENT_QUERIES)
def test_event_filters_use_an_index(seeded_engine: Engine, name: str) -> None:
    query = select(Event.id).where(*EVENT_QUERIES[name]).order_by(col(Event.date_start))
    assert_uses_indexes(seeded_engine, query)


def test_a_crossing_filter_reads_its_page_in_id_order_from_the_index(
    seeded_engine: Engine,
) -> None:
    if seeded_engine.dialect.name != "sqlite":
        pytest.skip("SQLite reports sorting in its plan; PostgreSQL's is checked by EXPLAIN above")
    query = queries.documents_query(
        Crossing, queries.crossing_conditions(country="LV"), after=None, limit=101
    )
    assert "TEMP B-TREE" not in plan(seeded_engine, query)
