"""Run a child process and measure it: wall time, time to first output, and peak memory.

The child runs under waiter.py (see there why), which reports its exact wall time and the
kernel's high-water RSS of the largest process in its tree (`maxrss_mb`: the child, or a
descendant it waited for, e.g. the ingest's writer process). `peak_tree_mb` adds psutil samples of
the whole tree (everything alive at one moment, summed) every 20 ms. getrusage(RUSAGE_CHILDREN) in
the bench itself would not do: it is a maximum over every child the bench has ever run.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psutil

from tests.bench.corpora import ROOT

SAMPLE_S = 0.02
WAITER = Path(__file__).with_name("waiter.py")


@dataclass
class ProcessRun:
    argv: list[str]
    returncode: int
    wall_s: float
    first_output_s: float | None
    maxrss_mb: float
    peak_tree_mb: float
    cpu_s: float
    stdout: str = field(repr=False)
    stderr: str = field(repr=False)

    def figures(self) -> dict[str, Any]:
        return {
            "wall_s": round(self.wall_s, 3),
            "first_output_s": round(self.first_output_s, 3) if self.first_output_s is not None else None,
            "maxrss_mb": self.maxrss_mb,
            "peak_tree_mb": self.peak_tree_mb,
            "cpu_s": round(self.cpu_s, 2),
            "returncode": self.returncode,
        }

    def check(self, *ok: int) -> ProcessRun:
        if self.returncode not in (ok or (0,)):
            tail = self.stderr.strip().splitlines()[-15:]
            raise RuntimeError(f"{' '.join(self.argv[1:4])}... exited {self.returncode}:\n" + "\n".join(tail))
        return self


def _tree_rss(waiter: psutil.Process) -> int:
    """RSS of everything below the waiter, summed (the waiter itself is ours, not the product's)."""
    try:
        members = waiter.children(recursive=True)
    except psutil.Error:
        return 0
    total = 0
    for member in members:
        try:
            total += member.memory_info().rss
        except psutil.Error:
            continue
    return total


def run_process(
    argv: list[str], env: dict[str, str], stdin_text: str | None = None, timeout_s: float = 3600
) -> ProcessRun:
    """Run `argv` to completion from the repo root; stdout is read as it comes (first-byte time)."""
    with tempfile.TemporaryDirectory(prefix="bench-proc-") as tmp:
        result = Path(tmp) / "result.json"
        with open(Path(tmp) / "stderr", "w+b") as err:
            proc = subprocess.Popen(
                [sys.executable, "-S", str(WAITER), str(result), *argv],
                cwd=ROOT,
                env=env,
                stdin=subprocess.PIPE if stdin_text is not None else subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=err,
                start_new_session=True,  # so a timeout can kill the whole tree
            )
            first: list[float] = []
            chunks: list[bytes] = []
            peak = [0]
            done = threading.Event()

            def read() -> None:
                assert proc.stdout is not None
                while block := os.read(proc.stdout.fileno(), 65536):
                    if not first:
                        first.append(time.monotonic())
                    chunks.append(block)

            def sample() -> None:
                try:
                    waiter = psutil.Process(proc.pid)
                except psutil.Error:
                    return
                while not done.is_set():
                    peak[0] = max(peak[0], _tree_rss(waiter))
                    done.wait(SAMPLE_S)

            reader = threading.Thread(target=read, daemon=True)
            sampler = threading.Thread(target=sample, daemon=True)
            reader.start()
            sampler.start()
            if stdin_text is not None:
                assert proc.stdin is not None
                proc.stdin.write(stdin_text.encode())
                proc.stdin.close()
            try:
                proc.wait(timeout=timeout_s)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
            done.set()
            reader.join(timeout=30)
            sampler.join(timeout=5)
            assert proc.stdout is not None
            proc.stdout.close()
            err.seek(0)
            stderr = err.read().decode(errors="replace")
        try:
            measured = json.loads(result.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            measured = {"started": 0.0, "ended": 0.0, "returncode": proc.returncode, "maxrss_kb": 0, "cpu_s": 0.0}
    started = float(measured["started"])
    return ProcessRun(
        argv=argv,
        returncode=int(measured["returncode"]) if proc.returncode == 0 else proc.returncode,
        wall_s=float(measured["ended"]) - started,
        first_output_s=first[0] - started if first and started else None,
        maxrss_mb=round(int(measured["maxrss_kb"]) / 1024, 1),
        peak_tree_mb=round(peak[0] / 2**20, 1),
        cpu_s=float(measured.get("cpu_s", 0.0)),
        stdout=b"".join(chunks).decode(errors="replace"),
        stderr=stderr,
    )


def python_m(module: str, *args: str | Path) -> list[str]:
    from tests.bench.corpora import python

    return [python(), "-m", module, *(str(a) for a in args)]
