"""Unit tests do no I/O (the architecture's rule): no database, no network, no subprocess.

A test here that connects anywhere, listens on a port or starts a program fails with a pointer to
tests/integration. (A SQLite file is not caught here: it belongs in tests/integration all the same.)
"""

from __future__ import annotations

import socket
import subprocess
from typing import Any

import pytest

MOVE = "unit tests do no I/O: {what} belongs in tests/integration"


@pytest.fixture(scope="session", autouse=True)
def matplotlib_fonts_found() -> None:
    """matplotlib looks for the system's fonts (`fc-list`) once per machine, on its first chart; that lookup is
    the machine's setup, not the chart's, so it runs before the no-I/O rule (a fresh machine's first chart test)."""
    from matplotlib import font_manager

    font_manager.findfont("DejaVu Sans")


@pytest.fixture(autouse=True)
def no_io(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(what: str) -> Any:
        def refused(*args: Any, **kwargs: Any) -> Any:
            raise AssertionError(MOVE.format(what=what))

        return refused

    # asyncio's own event loop makes a socketpair (no connect, no bind), so only these are refused.
    monkeypatch.setattr(socket.socket, "connect", refuse("a network connection"))
    monkeypatch.setattr(socket.socket, "connect_ex", refuse("a network connection"))
    monkeypatch.setattr(socket.socket, "bind", refuse("a listening socket"))
    monkeypatch.setattr(subprocess.Popen, "__init__", refuse("a subprocess"))
