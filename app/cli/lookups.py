"""Lookups for scripts and people at a terminal.

They ask the API itself, in this process (no server needed): `--json` prints the body the `/v1`
endpoint sends for the same filters, and without it the answer is a table (`app.cli.tables`).
"""

import asyncio
from collections.abc import Callable, Mapping
from typing import Annotated, Any, get_args
from urllib.parse import quote

import httpx
import typer

from app.cli.errors import database_errors
from app.cli.tables import (
    fail,
    show_borders,
    show_conflicts,
    show_crossings,
    show_fortifications,
    show_restrictions,
    show_sentence,
)
from app.db.engine import get_engine
from app.db.migrations import schema_is_current
from app.schemas import (
    CrossingStatus,
    FortificationKind,
    FortificationStatus,
    RestrictionKind,
    RestrictionStatus,
    Traffic,
)

commands = typer.Typer()


# --- lookups --------------------------------------------------------------------------------


def one_of(vocabulary: Any) -> str:
    """A Literal's words as a person lists them: 'open, closed, restricted or unknown'."""
    words = get_args(vocabulary)
    return f"{', '.join(words[:-1])} or {words[-1]}"


CountryOption = Annotated[
    str | None,
    typer.Option(
        "--country",
        metavar="COUNTRY",
        help="A country on either side of a border: its code or name, any case (LV, lva, Latvia).",
    ),
]
AsOfOption = Annotated[
    str | None,
    typer.Option(
        metavar="DATE",
        help="YYYY, YYYY-MM or YYYY-MM-DD: as things stood at the end of it (today if it is "
        "not over).",
    ),
]
QueryOption = Annotated[
    str | None,
    typer.Option("--query", "-q", metavar="WORDS", help="Words to look for."),
]
LimitOption = Annotated[
    int, typer.Option(min=1, max=500, metavar="N", help="At most this many records, 1 to 500.")
]
JsonOption = Annotated[
    bool, typer.Option("--json", help="Print the API's JSON answer instead of a table.")
]


def _lookup(
    path: str, params: Mapping[str, Any], *, as_json: bool, show: Callable[[Any], None]
) -> None:
    """Ask the API itself, in this process, for `path`: the same answer a client gets.

    Bad input exits 2 with the API's own message; a record that isn't there exits 1.
    """
    engine = get_engine()
    with database_errors():
        if not schema_is_current(engine):
            fail("the database schema is not current; run `borderstatus migrate`", 1)
    query = {k: v for k, v in params.items() if v is not None}
    response = asyncio.run(_get(path, query))
    if response.status_code != 200:
        problem = response.json()
        fail(problem.get("detail") or problem["title"], 2 if response.status_code == 422 else 1)
    if as_json:
        typer.echo(response.text)
    else:
        show(response.json())


def _query(options: Mapping[str, Any]) -> dict[str, Any]:
    """A lookup's options (its `locals()`) as the query of its endpoint: each option but
    --json is the query parameter of the same name."""
    return {name: value for name, value in options.items() if name != "as_json"}


async def _get(path: str, params: Mapping[str, Any]) -> httpx.Response:
    from app.main import create_app

    app = create_app(engine=get_engine())
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://borderstatus") as client:
        return await client.get(path, params=params)


@commands.command("crossings")
def crossings_command(
    country: CountryOption = None,
    neighbour: Annotated[
        str | None, typer.Option(metavar="COUNTRY", help="The non-NATO side: RU or BY.")
    ] = None,
    status: Annotated[
        CrossingStatus | None,
        typer.Option(
            "--status",
            metavar="STATUS",
            help=f"Status on --as-of (today without it): {one_of(CrossingStatus)}.",
        ),
    ] = None,
    traffic: Annotated[
        Traffic | None,
        typer.Option(metavar="MODE", help=f"Allowed traffic: {one_of(Traffic)}."),
    ] = None,
    q: QueryOption = None,
    as_of: AsOfOption = None,
    limit: LimitOption = 100,
    as_json: JsonOption = False,
) -> None:
    """Border checkpoints: status, since when, traffic (GET /v1/crossings)."""
    _lookup("/v1/crossings", _query(locals()), as_json=as_json, show=show_crossings)


@commands.command("restrictions")
def restrictions_command(
    country: CountryOption = None,
    kind: Annotated[
        RestrictionKind | None,
        typer.Option(
            "--kind", metavar="KIND", help=f"What the measure is on: {one_of(RestrictionKind)}."
        ),
    ] = None,
    status: Annotated[
        RestrictionStatus | None,
        typer.Option(
            "--status",
            metavar="STATUS",
            help=f"Status on --as-of (today without it): {one_of(RestrictionStatus)}.",
        ),
    ] = None,
    q: QueryOption = None,
    as_of: AsOfOption = None,
    limit: LimitOption = 100,
    as_json: JsonOption = False,
) -> None:
    """Measures on people, vehicles, goods, visas and transit (GET /v1/restrictions)."""
    _lookup("/v1/restrictions", _query(locals()), as_json=as_json, show=show_restrictions)


@commands.command("fortifications")
def fortifications_command(
    country: CountryOption = None,
    kind: Annotated[
        FortificationKind | None,
        typer.Option("--kind", metavar="KIND", help=f"What is built: {one_of(FortificationKind)}."),
    ] = None,
    status: Annotated[
        FortificationStatus | None,
        typer.Option(
            "--status",
            metavar="STATUS",
            help=f"Status on --as-of (today without it): {one_of(FortificationStatus)}.",
        ),
    ] = None,
    q: QueryOption = None,
    as_of: AsOfOption = None,
    limit: LimitOption = 100,
    as_json: JsonOption = False,
) -> None:
    """Fences, bunkers, minefields and surveillance projects (GET /v1/fortifications)."""
    _lookup("/v1/fortifications", _query(locals()), as_json=as_json, show=show_fortifications)


@commands.command("borders")
def borders_command(
    country: CountryOption = None, as_of: AsOfOption = None, as_json: JsonOption = False
) -> None:
    """Borders with their status, crossing counts and facts (GET /v1/borders)."""
    _lookup("/v1/borders", _query(locals()), as_json=as_json, show=show_borders)


@commands.command("conflicts")
def conflicts_command(limit: LimitOption = 100, as_json: JsonOption = False) -> None:
    """Where sources disagree: each claim, the preferred one and why (GET /v1/conflicts)."""
    _lookup("/v1/conflicts", {"limit": limit}, as_json=as_json, show=show_conflicts)


@commands.command("cite")
def cite_command(
    file: Annotated[str, typer.Argument(metavar="FILE", help="The article's file name.")],
    index: Annotated[int, typer.Argument(min=0, metavar="N", help="The sentence's index, from 0.")],
    as_json: JsonOption = False,
) -> None:
    """A sentence of an article and every record citing it (GET /v1/sources/FILE/sentences/N)."""
    path = f"/v1/sources/{quote(file, safe='')}/sentences/{index}"
    _lookup(path, {}, as_json=as_json, show=show_sentence)


# --- tables ---------------------------------------------------------------------------------
