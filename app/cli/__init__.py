"""The `borderstatus` console script: store and server commands, and lookups for scripts."""

import typer

from app.cli import lookups, server, store

cli = typer.Typer(
    help="Border status service: data, server and lookup commands.", no_args_is_help=True
)
# In the order `borderstatus --help` lists them.
for group in (store.commands, server.commands, lookups.commands):
    cli.registered_commands += group.registered_commands


def main() -> None:
    cli()
