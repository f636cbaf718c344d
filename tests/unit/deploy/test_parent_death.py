"""When the parent-death guard is armed: only where the kernel would fire it at the right moment.

Its effect (a JVM gone once ``jaring broker`` is SIGKILLed) is tested on a
real broker in ``tests/integration/test_broker.py``.
"""

from __future__ import annotations

import sys
import threading

import pytest

from deploy.parent_death import die_with_parent


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="prctl is Linux's")
def test_it_is_armed_for_children_of_the_main_thread() -> None:
    assert callable(die_with_parent())


def test_it_is_not_armed_off_the_main_thread_where_the_signal_would_fire_when_that_thread_ends() -> None:
    found: list[object] = []
    thread = threading.Thread(target=lambda: found.append(die_with_parent()))
    thread.start()
    thread.join()
    assert found == [None]
