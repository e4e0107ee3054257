"""The lock files' two guarantees that pip-tools leaves to us (issue 12).

pip-compile pins what pyproject.toml declares, but nothing in its output says *which* pyproject.toml it was
compiled from, and `pip install -r` never checks that the venv holds only the lock. So:

- ``stamp LOCK...``: after `make lock`, record a hash of pyproject.toml's dependency declarations in each lock;
- ``check LOCK...``: `make test` refuses to run when those declarations changed and the lock was not regenerated;
- ``venv PYTHON LOCK``: after `make install`, `pip freeze` of the venv equals the lock (the project itself aside);
- ``extract LOCK NAME...``: the pinned, hashed lines of a few packages, so pip can bootstrap uv from the lock.

Standard library only: it runs before the venv exists. Hand-written because no pip-tools command does either.
"""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
import sys
import tomllib
from pathlib import Path

PYPROJECT = Path("pyproject.toml")
STAMP = "# pyproject-dependencies-sha256: "
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==(\S+)")


def declarations_hash(pyproject: Path = PYPROJECT) -> str:
    """A hash of what the lock is compiled from; ruff or pytest settings changing does not stale the lock."""
    data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    project = data.get("project", {})
    declared = {
        "build-system": data.get("build-system", {}).get("requires", []),
        "requires-python": project.get("requires-python"),
        "dependencies": project.get("dependencies", []),
        "optional-dependencies": project.get("optional-dependencies", {}),
    }
    return hashlib.sha256(json.dumps(declared, sort_keys=True).encode()).hexdigest()


def normalise(name: str) -> str:
    """PEP 503: `PyYAML`, `pyyaml` and `py_yaml` are one project."""
    return re.sub(r"[-_.]+", "-", name).lower()


def pins(lock: Path) -> dict[str, str]:
    """name -> version of every `name==version` line (hash and comment lines are skipped)."""
    found = {}
    for line in lock.read_text(encoding="utf-8").splitlines():
        match = PIN.match(line)
        if match:
            found[normalise(match.group(1))] = match.group(2)
    return found


def stamp(locks: list[Path]) -> int:
    digest = declarations_hash()
    for lock in locks:
        lines = [line for line in lock.read_text(encoding="utf-8").splitlines() if not line.startswith(STAMP)]
        lines.insert(1, STAMP + digest)  # under pip-compile's first header line
        lock.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return 0


def check(locks: list[Path]) -> int:
    digest = declarations_hash()
    for lock in locks:
        if not lock.exists():
            print(f"{lock} is missing: run `make lock` and commit it.", file=sys.stderr)
            return 1
        recorded = next(
            (line[len(STAMP) :] for line in lock.read_text(encoding="utf-8").splitlines() if line.startswith(STAMP)),
            None,
        )
        if recorded != digest:
            print(
                f"{lock} was not regenerated after the dependencies in {PYPROJECT} changed: "
                "run `make lock` and commit the lock files.",
                file=sys.stderr,
            )
            return 1
    return 0


def venv(python: str, lock: Path) -> int:
    frozen = subprocess.run(
        [python, "-m", "pip", "freeze", "--all", "--exclude-editable"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    installed = {normalise(m.group(1)): m.group(2) for m in map(PIN.match, frozen.splitlines()) if m}
    locked = pins(lock)
    if installed == locked:
        return 0
    for name in sorted(set(installed) | set(locked)):
        if installed.get(name) != locked.get(name):
            have, want = installed.get(name, "absent"), locked.get(name, "not in the lock")
            print(f"venv differs from {lock}: {name} is {have}, the lock says {want}", file=sys.stderr)
    return 1


def extract(lock: Path, names: list[str]) -> int:
    """Print `name==version --hash=...` for each named package: the lock stays the one source of pins."""
    wanted = {normalise(n) for n in names}
    block: list[str] = []
    found: set[str] = set()
    for line in lock.read_text(encoding="utf-8").splitlines():
        match = PIN.match(line)
        if match:
            block = [line] if normalise(match.group(1)) in wanted else []
            if block:
                found.add(normalise(match.group(1)))
        elif block and line.strip().startswith("--hash="):
            block.append(line)
            if not line.rstrip().endswith("\\"):
                print("\n".join(block))
                block = []
    missing = wanted - found
    if missing:
        print(f"{lock} pins no {', '.join(sorted(missing))}", file=sys.stderr)
        return 1
    return 0


def main(argv: list[str]) -> int:
    if len(argv) >= 2 and argv[0] == "stamp":
        return stamp([Path(a) for a in argv[1:]])
    if len(argv) >= 2 and argv[0] == "check":
        return check([Path(a) for a in argv[1:]])
    if len(argv) == 3 and argv[0] == "venv":
        return venv(argv[1], Path(argv[2]))
    if len(argv) >= 3 and argv[0] == "extract":
        return extract(Path(argv[1]), argv[2:])
    print("usage: lockfile.py stamp LOCK... | check LOCK... | venv PYTHON LOCK | extract LOCK NAME...", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
