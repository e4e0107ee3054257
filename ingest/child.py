"""What every child process of ours does first: die with the process that started it.

The version writer and the parser workers run code on the parent's behalf; if the parent is killed
they must stop too, instead of writing into a folder it may delete or holding memory nobody waits for.
"""

from __future__ import annotations

import ctypes
import os
import signal

PR_SET_PDEATHSIG = 1


def die_with_parent(parent: int, exit_code: int) -> None:
    """Linux: be killed when `parent` dies; exit at once with `exit_code` if it already has."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):  # not Linux: the parent's own clean-up has to do
        return
    if os.getppid() != parent:  # it died before prctl took effect
        os._exit(exit_code)
