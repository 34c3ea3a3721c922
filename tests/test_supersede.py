"""A curator's status change supersedes what it makes untrue: the record's text and citations
were written for the old status, so the change revises them or says they still hold; and a
border whose crossings changed after its own sources says it was not revised for them."""

from typing import Any

from fastapi.testclient import TestClient

from tests.routes.checks import assert_problem, get_ok
from tests.writes import ARTICLE_001, NARVA_CLOSURE, NARVA_QUEUES, cite, patch

KOIDULA = "/v1/crossings/koidula"
OLD_NOTES = "Open. Full inspection of cargo and passengers has applied since August 2024."
TALLINN = "Tallinn maintains the operation of all checkpoints on the border with Russia"


def restrict_koidula(**extra: Any) -> dict[str, Any]:
    return {"status": "restricted", "effective": "2026-11-30", "citations": cite(NARVA_QUEUES)} | (
        extra
    )


def quotes(record: dict[str, Any]) -> list[str]:
    return [p["quote"] for p in record["provenance"]]


def test_a_status_change_that_leaves_the_old_notes_is_a_422_naming_them(
    writer: TestClient,
) -> None:
    before = get_ok(writer, KOIDULA)

    response = patch(writer, KOIDULA, restrict_koidula())

    body = assert_problem(response, 422, "notes")
    assert "Open. Full inspection" in body["detail"]
    assert "written while the crossing was open" in body["detail"]
    assert 'keep: ["notes"]' in body["detail"]
    assert get_ok(writer, KOIDULA) == before


def test_new_notes_and_citations_take_the_place_of_the_old_ones(writer: TestClient) -> None:
    assert any(q.startswith(TALLINN) for q in quotes(get_ok(writer, KOIDULA)))

    response = patch(writer, KOIDULA, restrict_koidula(notes="Queues of several hours."))

    assert response.status_code == 200, response.text
    koidula = response.json()
    assert (koidula["status"], koidula["notes"]) == ("restricted", "Queues of several hours.")
    assert quotes(koidula) == [NARVA_QUEUES]
    # The old text and citations are kept: in the revision, and with the status they gave.
    (revision,) = get_ok(writer, f"{KOIDULA}/revisions")["data"]
    assert revision["state"]["notes"] == OLD_NOTES
    assert any(q.startswith(TALLINN) for q in quotes(revision["state"]))
    baseline = koidula["history"][0]
    assert baseline["status_after"] == "open"
    assert any(q.startswith(TALLINN) for q in quotes(baseline))


def test_kept_notes_and_citations_stay(writer: TestClient) -> None:
    before = quotes(get_ok(writer, KOIDULA))

    response = patch(writer, KOIDULA, restrict_koidula(keep=["notes", "citations"]))

    assert response.status_code == 200, response.text
    koidula = response.json()
    assert koidula["notes"] == OLD_NOTES
    assert quotes(koidula) == [*before, NARVA_QUEUES]


def test_notes_cleared_with_null_are_a_revision_too(writer: TestClient) -> None:
    response = patch(writer, KOIDULA, restrict_koidula(notes=None))

    assert response.status_code == 200, response.text
    assert response.json()["notes"] is None


def test_a_measures_summary_is_revised_or_kept_and_cannot_be_cleared(writer: TestClient) -> None:
    url = "/v1/restrictions/ee-full-inspection"
    lifted = {"status": "lifted", "effective": "2025-10-01", "citations": cite(NARVA_QUEUES)}

    stale = assert_problem(patch(writer, url, lifted), 422, "summary")
    assert "Since August 2024, Estonia has inspected" in stale["detail"]
    assert "null" not in stale["detail"], "a summary can't be cleared"
    assert_problem(patch(writer, url, lifted | {"summary": None}), 422, "summary")

    kept = patch(writer, url, lifted | {"keep": ["summary"]})
    assert kept.status_code == 200, kept.text
    assert kept.json()["summary"].startswith("Since August 2024, Estonia has inspected")


def test_keep_only_comes_with_a_status_change_and_names_the_kinds_own_text(
    writer: TestClient,
) -> None:
    no_change = patch(writer, KOIDULA, {"keep": ["notes"], "citations": cite(NARVA_QUEUES)})
    assert "only a status change" in assert_problem(no_change, 422, "keep")["detail"]

    wrong = patch(writer, KOIDULA, restrict_koidula(notes="Queues.", keep=["summary"]))
    assert (
        "a crossing has no summary; its text is its notes"
        in (assert_problem(wrong, 422, "keep")["detail"])
    )
    unknown = patch(writer, KOIDULA, restrict_koidula(keep=["status"]))
    assert_problem(unknown, 422, "keep.0")


def test_a_border_says_which_crossing_changes_its_summary_was_not_revised_for(
    writer: TestClient,
) -> None:
    assert get_ok(writer, "/v1/borders/EE-RU")["not_revised_for"] == []

    response = patch(writer, KOIDULA, restrict_koidula(notes="Queues of several hours."))
    assert response.status_code == 200, response.text
    (event,) = [e["id"] for e in response.json()["history"] if e["status_after"] == "restricted"]

    border = get_ok(writer, "/v1/borders/EE-RU")
    assert border["status"] == "open", "the border's own status is what its sources say"
    assert border["crossing_counts"]["restricted"] == 1
    assert border["not_revised_for"] == [event]
    listed = {b["id"]: b for b in get_ok(writer, "/v1/borders")["data"]}
    assert listed["EE-RU"]["not_revised_for"] == [event]
    assert listed["LV-RU"]["not_revised_for"] == []
    # Before the change it took effect, the border's sources were not yet behind.
    earlier = get_ok(writer, "/v1/borders/EE-RU", as_of="2026-11-29")
    assert earlier["not_revised_for"] == []


def test_a_change_within_the_borders_newest_article_counts_as_taken_in(
    writer: TestClient,
) -> None:
    # 001, which EE-RU cites, was published in January 2026: a change dated that month may
    # be what it reports.
    response = patch(
        writer,
        "/v1/crossings/narva",
        {
            "status": "closed",
            "effective": "2026-01",
            "keep": ["notes"],
            "citations": cite(NARVA_CLOSURE, ARTICLE_001),
        },
    )
    assert response.status_code == 200, response.text
    assert get_ok(writer, "/v1/borders/EE-RU")["not_revised_for"] == []
