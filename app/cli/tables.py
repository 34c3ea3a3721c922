"""What the commands print: the lookups' answers as tables, and errors."""

from typing import Any, NoReturn

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table


def _console() -> Console:
    return Console(highlight=False)


# Columns of prose get room first; codes, ids, statuses and dates fold only when they must.
PROSE = {"summary", "facts", "other claims", "why", "quote"}


def _table(*columns: str) -> Table:
    table = Table(header_style="bold")
    for column in columns:
        if column in PROSE:
            table.add_column(column, overflow="fold", ratio=1)
        else:
            table.add_column(column, overflow="fold")
    return table


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return escape(", ".join(str(v) for v in value))
    return escape(str(value))


def _since(value: str | None, inferred: bool) -> str:
    return f"{value}~" if value and inferred else _text(value)


def _footer(console: Console, page: dict[str, Any]) -> None:
    meta = page["meta"]
    if any(_inferred(record) for record in page["data"]):
        console.print("~ inferred from the article's wording, not stated as a date.")
    shown = len(page["data"])
    if meta["total"] > shown:
        console.print(f"{shown} of {meta['total']} shown; raise --limit for more.")


def _inferred(record: dict[str, Any]) -> bool:
    return any(record.get(f"{key}_inferred") for key in ("status_since", "since", "completion"))


def show_crossings(page: dict[str, Any]) -> None:
    console = _console()
    meta = page["meta"]
    table = _table("id", "crossing", "border", "status", "since", "traffic", "sources")
    for c in page["data"]:
        name = c["name"] + (f" / {c['counterpart']}" if c["counterpart"] else "")
        table.add_row(
            c["id"],
            _text(name),
            f"{c['country']}-{c['neighbour']}",
            c["status"],
            _since(c["status_since"], c["status_since_inferred"]),
            _text(c["traffic"]),
            str(len(c["provenance"])),
        )
    if meta.get("as_of"):
        console.print(f"As of {meta['as_of']}:")
    if page["data"]:
        console.print(table)
    for note in meta.get("border_statuses", []):
        since = f" since {note['status_since']}" if note["status_since"] else ""
        console.print(f"Border {note['border_id']}: {note['status']}{since}.")
    if meta.get("note"):
        console.print(_text(meta["note"]))
    elif not page["data"]:
        console.print("No crossing matches.")
    _footer(console, page)


def show_restrictions(page: dict[str, Any]) -> None:
    console = _console()
    table = _table("id", "kind", "countries", "status", "dates", "summary")
    for r in page["data"]:
        dates = _since(r["since"], r["since_inferred"])
        table.add_row(
            r["id"],
            r["kind"],
            _text(r["countries"]),
            r["status"],
            f"{dates}-{_text(r['until'])}" if r["until"] else dates,
            _text(r["summary"]),
        )
    if page["meta"].get("as_of"):
        console.print(f"As of {page['meta']['as_of']}:")
    console.print(table if page["data"] else "No restriction matches.")
    _footer(console, page)


def show_fortifications(page: dict[str, Any]) -> None:
    console = _console()
    table = _table("id", "where", "kind", "status", "figures", "summary")
    for f in page["data"]:
        where = _text(f["countries"]) + (f" / {f['neighbour']}" if f["neighbour"] else "")
        figures = [
            *([f"{f['length_km']} km"] if f["length_km"] is not None else []),
            *([f"{f['count']} units"] if f["count"] is not None else []),
            *([f"EUR {f['budget_eur']:,.0f}"] if f["budget_eur"] is not None else []),
            *(
                [f"done {_since(f['completion'], f['completion_inferred'])}"]
                if f["completion"]
                else []
            ),
        ]
        table.add_row(
            f["id"], where, f["kind"], f["status"], _text("\n".join(figures)), _text(f["summary"])
        )
    console.print(table if page["data"] else "No fortification matches.")
    _footer(console, page)


def show_borders(page: dict[str, Any]) -> None:
    console = _console()
    table = _table("border", "status", "since", "open", "closed", "restricted", "facts")
    for b in page["data"]:
        counts = b["crossing_counts"]
        facts = [
            f"{f['topic']}: {f['preferred_value']}"
            + (f" (disputed, {len(f['claims'])} claims)" if f["disputed"] else "")
            for f in b["facts"]
        ]
        table.add_row(
            b["id"],
            b["status"],
            _since(b["status_since"], b["status_since_inferred"]),
            str(counts["open"]),
            str(counts["closed"]),
            str(counts["restricted"]),
            _text("\n".join(facts)),
        )
    console.print(table if page["data"] else "No border matches.")
    _footer(console, page)


def show_conflicts(page: dict[str, Any]) -> None:
    console = _console()
    table = _table("fact", "preferred", "other claims", "why")
    for f in page["data"]:
        others = [c["value"] for c in f["claims"] if c["value"] != f["preferred_value"]]
        table.add_row(
            f["id"],
            _text(f["preferred_value"]),
            _text(others),
            _text(f["preferred_reason"]),
        )
    console.print(table if page["data"] else "The sources agree everywhere.")
    _footer(console, page)


def show_sentence(sentence: dict[str, Any]) -> None:
    console = _console()
    console.print(
        f"{sentence['source_file']} #{sentence['sentence_index']} ({sentence['kind']}, "
        f"characters {sentence['char_start']}-{sentence['char_end']}):"
    )
    console.print(_text(sentence["text"]))
    if not sentence["cited_by"]:
        console.print("No record cites it.")
        return
    table = _table("record", "id", "quote")
    for c in sentence["cited_by"]:
        table.add_row(c["record_type"], c["record_id"], _text(c["quote"]))
    console.print(table)


def fail(message: str, code: int) -> NoReturn:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)
