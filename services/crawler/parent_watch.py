"""A crawl child must not outlive the process that started it.

On Linux the kernel does it: ``prctl(PR_SET_PDEATHSIG, SIGKILL)`` kills the child
when its parent dies (a SIGKILL of the parent included). Elsewhere a daemon
thread watches the parent's pid. Either way the child first checks that the
parent it was started by is still its parent (it may have died already).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import signal
import sys
import threading
import time

PR_SET_PDEATHSIG = 1


def die_with_parent(parent_pid: int | None) -> None:
    if parent_pid is None:
        return
    if sys.platform.startswith("linux") and _set_pdeathsig():
        if os.getppid() != parent_pid:
            os._exit(1)  # the parent died before the signal was armed
        return
    threading.Thread(target=_watch, args=(parent_pid,), daemon=True, name="parent-watch").start()


def _set_pdeathsig() -> bool:
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        return libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def _watch(parent_pid: int) -> None:
    while True:
        if os.getppid() != parent_pid:
            os.kill(os.getpid(), signal.SIGKILL)
        time.sleep(0.5)
