"""The worker, composed: the engine's app with every agent, table, timer and view on it.

The one module that imports them all (``jaring worker`` and ``jaring topics``
start here); each of them imports only ``streams.engine``, so there is no
import cycle.
"""

from __future__ import annotations

import sys
from typing import NoReturn

# Importing a module registers its agents, tables, timers and pages on the app.
from streams import matching, persons, probe, router, views  # noqa: F401
from streams.engine import app, settings

__all__ = ["app", "main", "settings"]


def main(argv: list[str]) -> NoReturn:
    """Run the worker until stopped (Faust's ``worker`` command), then exit the process."""
    sys.argv = argv
    app.main()
    raise SystemExit(0)  # Faust's main exits the process itself; this is for the type checker
