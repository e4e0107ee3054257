"""`python -m bot interview|scorecard|jd|screen ROLE`: the toolkit's commands, registered on the main CLI.

Kept apart from bot.cli so each toolkit command lives beside the toolkit; domain errors still become
messages in bot.cli, the one edge.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any, TextIO

from bot.toolkit.cvtext import CVRefused
from bot.toolkit.service import Toolkit
from ingest.errors import EXIT_USAGE
from ingest.loaders.documents import LoadError, LoadLimits
from ingest.loaders.limits import read_bytes

COMMANDS = ("interview", "screen")


def add_commands(sub: Any, common: argparse.ArgumentParser) -> None:
    """Add the toolkit's subcommands to the main parser's `sub` (argparse's subparsers action)."""
    interview = sub.add_parser("interview", parents=[common], help="an interview kit for a role, cited")
    interview.add_argument("role")
    interview.add_argument("--json", action="store_true", help="print the kit as JSON")
    screen = sub.add_parser(
        "screen", parents=[common], help="a CV's evidence for each of a role's criteria (no verdict, nothing stored)"
    )
    screen.add_argument("role")
    screen.add_argument("cv_file", type=Path, metavar="CV_FILE", help="the CV: .pdf, .docx, .txt or .md")
    screen.add_argument("--json", action="store_true", help="print the check as JSON")


def run_command(args: argparse.Namespace, toolkit: Toolkit, out: TextIO) -> int:
    """Run one toolkit command; the exit code (errors are raised for bot.cli to turn into messages)."""
    if args.command == "interview":
        kit = toolkit.kit(args.role)
        out.write((json.dumps(kit.to_json(), ensure_ascii=False) if args.json else kit.text) + "\n")
        return 0
    if args.command == "screen":
        return _screen(args, toolkit, out)
    raise ValueError(f"not a toolkit command: {args.command}")


def _screen(args: argparse.Namespace, toolkit: Toolkit, out: TextIO) -> int:
    """Screen a CV file: a file the check cannot use is one line on stderr and exit 2 (the file's name is
    the user's own argument, so it is not logged)."""
    try:
        data = read_bytes(args.cv_file, LoadLimits().max_bytes)
        screening = toolkit.screen(args.role, data, args.cv_file.name)
    except (LoadError, CVRefused) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    out.write((json.dumps(screening.to_json(), ensure_ascii=False) if args.json else screening.text) + "\n")
    return 0
