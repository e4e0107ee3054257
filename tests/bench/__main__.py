"""`python -m tests.bench --profile quick|full [--out PATH] [--sizes kb,300]`: see tests/bench/__init__.py."""

from __future__ import annotations

import argparse
import os
import signal
import sys
from dataclasses import replace
from pathlib import Path

from tests.bench.report import table
from tests.bench.run import PROFILES, run_bench


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.bench", description="The Hiring Advisor benchmark.")
    parser.add_argument("--profile", choices=sorted(PROFILES), default="quick")
    parser.add_argument(
        "--out", type=Path, default=Path("bench-report.json"), help="JSON report (default: %(default)s)"
    )
    parser.add_argument(
        "--sizes", help="comma-separated corpus sizes to run, e.g. kb,300 or 3000 (default: the profile's)"
    )
    parser.add_argument("--questions", type=int, help="distinct questions per corpus (default: the profile's, 200)")
    parser.add_argument(
        "--generated-from",
        type=int,
        help="generated corpora of at least this many articles get generated chunk vectors (default: the "
        "profile's; scale: 30000), e.g. on a machine too busy to encode 3,000 articles in time",
    )
    parser.add_argument("--workdir", type=Path, help="where corpora are built (default: a temp dir)")
    parser.add_argument("--keep", action="store_true", help="keep the corpora and stores afterwards")
    args = parser.parse_args(argv)
    # A terminated bench still removes its temp corpora (the `finally` blocks run on SystemExit).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
    profile = PROFILES[args.profile]
    if args.questions:
        profile = replace(profile, questions=args.questions)
    if args.generated_from:
        profile = replace(profile, generated_from=args.generated_from)
    sizes = tuple(s.strip() for s in args.sizes.split(",") if s.strip()) if args.sizes else None
    for size in sizes or ():
        if size != "kb" and not size.isdigit():
            parser.error(f"--sizes: '{size}' is neither kb nor a number of articles")
    report = run_bench(profile, args.out, sizes=sizes, workdir=args.workdir, keep=args.keep)
    print(table(report))
    print(f"\nReport: {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
