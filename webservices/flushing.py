"""A background flusher for what the scoring path buffers (usage counts, input drift): the request only appends to
a list; a daemon thread writes it to the database every few seconds."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

logger = logging.getLogger(__name__)


class Flusher:
    """Calls `flush` every `seconds` on a daemon thread, started by the first `ensure` in each process (a forked
    child's thread is not alive, so it starts its own). A failing flush is logged: what it writes is best effort,
    and scoring must never depend on it."""

    def __init__(self, name: str, flush: Callable[[], object], seconds: float, failure: str) -> None:
        self.name, self.flush, self.seconds, self.failure = name, flush, seconds, failure
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def ensure(self) -> None:
        if self._thread is not None and self._thread.is_alive():
            return
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._forever, name=self.name, daemon=True)
                self._thread.start()

    def _forever(self) -> None:
        while True:
            time.sleep(self.seconds)
            try:
                self.flush()
            except Exception:
                logger.exception(self.failure)
