"""Server commands: serve, start (the container), healthcheck, openapi, revision."""

import json
from collections.abc import Mapping
from typing import Annotated, Any

import httpx
import typer
import uvicorn

from app.cli.store import migrate_command, seed_store
from app.config import get_settings
from app.db.migrations import alembic_config
from app.server import APP, uvicorn_options

commands = typer.Typer()


HostOption = Annotated[
    str | None,
    typer.Option(
        "--host", metavar="HOST", help="Interface to bind.", show_default="HOST or 127.0.0.1"
    ),
]
PortOption = Annotated[
    int | None,
    typer.Option("--port", metavar="PORT", help="Port to listen on.", show_default="PORT or 8000"),
]
WorkersOption = Annotated[
    int | None,
    typer.Option(min=1, metavar="N", help="Worker processes.", show_default="WORKERS or 1"),
]


@commands.command("serve")
def serve_command(
    host: HostOption = None, port: PortOption = None, workers: WorkersOption = None
) -> None:
    """Serve the API with uvicorn."""
    _serve(host, port, workers)


def _serve(host: str | None, port: int | None, workers: int | None) -> None:
    settings = get_settings()
    try:
        settings.curator_token_hashes()
    except (ValueError, OSError) as exc:
        # Said once, before uvicorn starts: each worker would otherwise fail with a traceback.
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    options = uvicorn_options(settings, host=host, port=port, workers=workers)
    uvicorn.run(APP, **options)


@commands.command("start")
def start_command(
    host: HostOption = None,
    port: PortOption = None,
    workers: WorkersOption = None,
    seed: Annotated[
        bool | None,
        typer.Option(
            "--seed/--no-seed",
            help="Bring the store in line with seed_data/ first.",
            show_default="SEED_ON_START or true",
        ),
    ] = None,
) -> None:
    """Migrate, seed (unless --no-seed), then serve: what the container runs."""
    migrate_command()
    if get_settings().seed_on_start if seed is None else seed:
        seed_store()
    _serve(host, port, workers)


@commands.command("healthcheck")
def healthcheck_command(
    url: Annotated[
        str | None,
        typer.Option(
            "--url",
            metavar="URL",
            help="What to ask.",
            show_default="http://127.0.0.1:PORT/healthz",
        ),
    ] = None,
) -> None:
    """Exit 0 when the local server answers /healthz with 200, 1 otherwise."""
    target = url or f"http://127.0.0.1:{get_settings().port}/healthz"
    try:
        status = httpx.get(target, timeout=2).status_code
    except httpx.HTTPError as exc:
        typer.echo(f"unhealthy: {target}: {exc}", err=True)
        raise typer.Exit(1) from exc
    if status != 200:
        typer.echo(f"unhealthy: {target} answered {status}", err=True)
        raise typer.Exit(1)


@commands.command("openapi")
def openapi_command() -> None:
    """Print the OpenAPI description the running service serves at /openapi.json."""
    from app.main import create_app

    typer.echo(openapi_json(create_app().openapi()), nl=False)


def openapi_json(schema: Mapping[str, Any]) -> str:
    """The committed form of openapi.json: indented, keys in the order the app gives them."""
    return json.dumps(schema, indent=2, ensure_ascii=False) + "\n"


@commands.command("revision", hidden=True)
def revision_command(
    message: Annotated[str, typer.Option("-m", metavar="MESSAGE", help="What changes.")],
) -> None:
    """Autogenerate a migration from the models (for developers)."""
    from alembic import command

    command.revision(
        alembic_config(get_settings().database_url), message=message, autogenerate=True
    )
