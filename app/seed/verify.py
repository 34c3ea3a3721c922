"""`borderstatus verify`: every quote of the seed, and every stored citation, still resolves."""

from pathlib import Path

from sqlalchemy import inspect, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError
from sqlmodel import Session

from app.seed.dataset import RecordsError, load_dataset


def verify(engine: Engine, seed_dir: Path) -> list[str]:
    """Every broken citation, described; empty when all resolve.

    Checks the records file against the articles, then, where the store has been migrated,
    every stored citation against its article's text.
    """
    try:
        load_dataset(seed_dir)
    except RecordsError as exc:
        return exc.problems
    try:
        migrated = inspect(engine).has_table("citation")
    except OperationalError:
        migrated = False
    if not migrated:
        return []
    problems: list[str] = []
    with Session(engine) as session:
        rows = session.execute(
            text(
                "SELECT c.record_type, c.record_id, c.source_file, c.sentence_index, c.quote,"
                " c.quote_start, c.quote_end, s.char_start, s.char_end, s.text, src.text"
                " FROM citation c JOIN sentence s ON s.source_file = c.source_file"
                " AND s.sentence_index = c.sentence_index"
                " JOIN source src ON src.file = c.source_file"
            )
        ).all()
        for rtype, rid, file, idx, quote, qs, qe, ss, se, sentence, article in rows:
            where = f"{rtype} {rid!r}: citation {file}#{idx}"
            if article[ss:se] != sentence:
                problems.append(f"{where}: stored sentence differs from the article at {ss}:{se}")
            if article[qs:qe] != quote or not (ss <= qs and qe <= se):
                problems.append(f"{where}: quote {quote!r} is not in the sentence at {qs}:{qe}")
    return problems
