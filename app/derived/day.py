"""A new day for the stored documents.

A stored document is a record as it was served on the day it was built. Its status or another
field may change on a later day with no write: a dated change that holds from then, a
measure's own end date passing. The data-version row keeps the day every document was last
built for (`documents_on`). The first worker to see a later day rebuilds the documents that
differ (`roll_documents`), in short batches, each record locked while it is rebuilt so a
write in between is never overwritten with an older state; the version bump that follows
empties every worker's cache.
"""

import datetime as dt
import logging
import threading

from sqlalchemy import or_, update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from app.db.session import write_session
from app.derived.version import bump_data_version
from app.kinds import KINDS, Kind
from app.models import DataVersion
from app.presenters.records import present, render

log = logging.getLogger("borderstatus.day")

# Records rebuilt per transaction: a write waits at most for one batch.
BATCH = 200


def documents_on(engine: Engine) -> dt.date | None:
    """The day every stored document was last built for (None: not known)."""
    with Session(engine) as session:
        row = session.get(DataVersion, 1)
        return row.documents_on if row is not None else None


def mark_documents_on(session: Session, day: dt.date) -> None:
    """Record, inside the write that rebuilt every document, the day they were built for."""
    session.execute(
        update(DataVersion)
        .where(or_(col(DataVersion.documents_on).is_(None), col(DataVersion.documents_on) < day))
        .values(documents_on=day)
    )


def roll_documents(engine: Engine, day: dt.date) -> int:
    """Bring every stored document to `day`, if they were built for an earlier one; the
    number rewritten. Two workers may roll the same day: the second finds nothing to do."""
    built = documents_on(engine)
    if built is not None and built >= day:
        return 0
    rewritten = sum(_roll_kind(engine, kind) for kind in KINDS.values())
    with write_session(engine) as session:
        mark_documents_on(session, day)
        session.commit()
    log.info("stored documents rebuilt for %s: %d rewritten", day, rewritten)
    return rewritten


def _roll_kind(engine: Engine, kind: Kind) -> int:
    rewritten = 0
    after = ""
    while True:
        with write_session(engine) as session:
            query = select(kind.model).where(col(kind.model.id) > after)
            rows = session.exec(
                query.order_by(col(kind.model.id)).limit(BATCH).with_for_update()
            ).all()
            if not rows:
                return rewritten
            changed = 0
            for row, out in zip(rows, present(session, kind, rows), strict=True):
                doc = render(out)
                if row.doc != doc:
                    row.doc = doc
                    changed += 1
            after = rows[-1].id
            if changed:
                session.flush()
                bump_data_version(session)
            session.commit()
        rewritten += changed


class DayRoller:
    """Rolls the stored documents to each new day a worker sees, in a thread of its own, so
    the data-version watcher goes on polling meanwhile. A failure is logged; the next worker
    start or day tries again."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._busy = threading.Lock()
        self._threads: list[threading.Thread] = []

    def __call__(self, day: dt.date) -> None:
        thread = threading.Thread(target=self.roll, args=(day,), name="new-day", daemon=True)
        self._threads = [*(t for t in self._threads if t.is_alive()), thread]
        thread.start()

    def wait(self, timeout: float) -> None:
        """Let a roll under way finish, so the engine is not disposed of under it."""
        for thread in self._threads:
            thread.join(timeout)

    def roll(self, day: dt.date) -> None:
        if not self._busy.acquire(blocking=False):
            return
        try:
            roll_documents(self._engine, day)
        except Exception:  # noqa: BLE001 - a failed rebuild must not stop the worker
            log.exception("could not rebuild the stored documents for %s", day)
        finally:
            self._busy.release()
