"""Children that die with the process that started them (Linux's parent-death signal).

Broker JVMs and workers are started in their own session, so that a
terminal's Ctrl-C reaches only their supervisor, which then stops them in
order. The price: if the supervisor itself is killed hard (SIGKILL, the OOM
killer) no handler of its runs, and its children would live on as orphans
holding ports and data directories. ``prctl(PR_SET_PDEATHSIG)`` asks the
kernel to signal the child when its parent goes, however it goes.

The signal is SIGKILL, not SIGTERM: with the parent gone nobody is left to
wait for a clean shutdown or to kill one that hangs (a Kafka node that lost
its quorum can wait a long time). Kafka recovers its log on the next start,
and an acknowledged record is in the page cache, not in the dead process.

Limits: Linux only; and the kernel ties the signal to the *thread* that
forked, not the process, so it is armed only for children started from the
main thread (a child started from a worker thread would be killed when that
thread ends). Elsewhere the child simply runs without the guard.
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys
import threading
from collections.abc import Callable

__all__ = ["die_with_parent"]

_PR_SET_PDEATHSIG = 1


def die_with_parent() -> Callable[[], None] | None:
    """A ``preexec_fn`` having the kernel SIGKILL the child when this process dies; None where it cannot hold.

    Everything is resolved here, before the fork: the function that runs in
    the child only calls ``prctl`` and ``getppid``.
    """
    if not sys.platform.startswith("linux") or threading.current_thread() is not threading.main_thread():
        return None
    prctl = ctypes.CDLL(None, use_errno=True).prctl
    parent = os.getpid()
    kill = int(signal.SIGKILL)

    def arm() -> None:
        if prctl(_PR_SET_PDEATHSIG, kill, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_SET_PDEATHSIG) failed")
        if os.getppid() != parent:  # the parent died between fork and prctl: no signal will come
            os._exit(1)

    return arm
