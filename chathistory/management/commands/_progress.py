"""A progress bar for the long-running commands, drawn on a terminal only."""

from __future__ import annotations

import time
from typing import TextIO, cast

from django.core.management.base import OutputWrapper


def raw_stream(wrapper: OutputWrapper) -> TextIO:
    """The stream under a command's ``self.stdout`` or ``self.stderr``, written without its added line endings."""
    return cast(TextIO, wrapper._out)


class Progress:
    """``[#####·····]  512/1,024 conversations`` on ``stream``, redrawn at most ten times a second.

    Draws nothing unless ``stream`` is a terminal, so logs and pipes get only the final counts.
    """

    WIDTH = 30

    def __init__(self, stream: TextIO, total: int | None, unit: str) -> None:
        self.stream = stream
        self.total = total
        self.unit = unit
        self.done = 0
        self.enabled = bool(getattr(stream, "isatty", lambda: False)())
        self._drawn_at = 0.0

    def advance(self, done: int) -> None:
        self.done = done
        now = time.monotonic()
        if self.enabled and now - self._drawn_at >= 0.1:
            self._drawn_at = now
            self._draw()

    def close(self) -> None:
        if self.enabled:
            self._draw()
            self.stream.write("\n")
            self.stream.flush()

    def _draw(self) -> None:
        if self.total:
            filled = min(self.WIDTH, self.WIDTH * self.done // self.total)
            bar = "#" * filled + "·" * (self.WIDTH - filled)
            self.stream.write(f"\r[{bar}] {self.done:,}/{self.total:,} {self.unit}")
        else:
            self.stream.write(f"\r{self.done:,} {self.unit}")
        self.stream.flush()
