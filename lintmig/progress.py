"""Files read so far, on a terminal, for runs long enough to wonder about.

Shown on stderr only when it is a terminal, outside CI and for the text format: a CI log,
a redirected stream or a machine format never gets a byte of it. Nothing is drawn for a
run that finishes within half a second, and the line is wiped when reading is done.
"""
from __future__ import annotations

import os
import sys
import time
from typing import Optional, TextIO

_DELAY = 0.5  # seconds before the first draw
_EVERY = 0.1  # seconds between draws


class Progress:
    def __init__(self, stream: TextIO):
        self.stream = stream
        self.total = 0
        self.done = 0
        self.started = time.monotonic()
        self.drawn_at: Optional[float] = None

    def start(self, total: int) -> None:
        self.total, self.done = total, 0

    def advance(self, count: int = 1) -> None:
        self.done += count
        now = time.monotonic()
        if now - self.started < _DELAY or (self.drawn_at is not None and now - self.drawn_at < _EVERY):
            return
        self.drawn_at = now
        self.stream.write(f"\rlintmig: read {self.done:,} of {self.total:,} files")
        self.stream.flush()

    def finish(self) -> None:
        if self.drawn_at is not None:
            self.stream.write("\r\033[K")
            self.stream.flush()
            self.drawn_at = None


def for_run(output_format: str, stream: TextIO = sys.stderr) -> Optional[Progress]:
    """A Progress when this run may show one, else None."""
    if output_format != "text" or os.environ.get("CI") or os.environ.get("TERM") == "dumb":
        return None
    try:
        if not stream.isatty():
            return None
    except (AttributeError, ValueError):
        return None
    return Progress(stream)
