"""A tiny parent for measured child processes: `python -S waiter.py RESULT.json CMD...`.

Why not measure from the bench process directly: a child's peak RSS (ru_maxrss) includes the
memory of the process it was forked from, because Linux records the old address space's high-water
mark at exec. Forked from the bench (the model, corpora, several hundred MB), every child would
report at least the bench's own size. Forked from this stdlib-only script, the floor is ~10 MB.
It also times the child from just before it starts, on CLOCK_MONOTONIC, which every process shares.
Standard library only, and run by path: it must stay small.
"""

import json
import resource
import subprocess
import sys
import time


def main() -> int:
    result, argv = sys.argv[1], sys.argv[2:]
    started = time.monotonic()
    code = subprocess.call(argv)  # stdin, stdout and stderr are passed straight through
    ended = time.monotonic()
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    with open(result, "w", encoding="utf-8") as fh:
        cpu = usage.ru_utime + usage.ru_stime
        json.dump(
            {"started": started, "ended": ended, "returncode": code, "maxrss_kb": usage.ru_maxrss, "cpu_s": cpu}, fh
        )
    return code if code >= 0 else 128 - code


if __name__ == "__main__":
    raise SystemExit(main())
