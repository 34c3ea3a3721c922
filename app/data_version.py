"""The data version this process has seen: a poll of the store's counter that every write
bumps, telling the cache to empty itself, and each new day's listeners that a day passed."""

import datetime as dt
import logging
import threading
from collections.abc import Callable

log = logging.getLogger("borderstatus.cache")


class DataVersion:
    """The data version this process has seen, kept current by polling `read`."""

    def __init__(
        self, read: Callable[[], int | None], *, interval: float, clock: Callable[[], dt.date]
    ) -> None:
        self._read = read
        self._clock = clock
        self._interval = interval
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.value: int | None = None
        self.day: dt.date | None = None
        self.failing = False
        self._listeners: list[Callable[[], object]] = []
        self._day_listeners: list[Callable[[dt.date], object]] = []
        self._lock = threading.Lock()
        # Counts `seen` calls: a read that overlapped one may predate it, and is dropped.
        self._marks = 0

    def on_change(self, listener: Callable[[], object]) -> None:
        self._listeners.append(listener)

    def on_new_day(self, listener: Callable[[dt.date], object]) -> None:
        """Call `listener(day)` on the first poll, and on the first poll of each later day."""
        self._day_listeners.append(listener)

    def seen(self, version: int) -> None:
        """This process wrote `version` and has already emptied its cache for it: the next
        poll need not do it again (each write would otherwise empty the cache twice)."""
        with self._lock:
            self.value = version
            self._marks += 1

    def poll(self) -> None:
        """Read the version now; tell the listeners when it moved."""
        with self._lock:
            mark = self._marks
        try:
            current = self._read()
        except Exception as exc:  # noqa: BLE001 - a database outage must not stop the watcher
            # Once per outage, not once per poll.
            if not self.failing:
                log.warning("could not read the data version: %s", f"{exc}".partition("\n")[0])
            self.failing = True
            return
        if self.failing:
            log.warning("the data version is readable again")
            self.failing = False
        with self._lock:
            # A new day may change the answers (their status on today, their staleness).
            day = self._clock()
            if self._marks != mark or (current == self.value and day == self.day):
                return
            new_day = day != self.day
            self.value, self.day = current, day
        for listener in self._listeners:
            listener()
        for day_listener in self._day_listeners if new_day else ():
            day_listener(day)

    def start(self) -> None:
        self.poll()
        self._thread = threading.Thread(target=self._run, name="data-version", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            self.poll()
