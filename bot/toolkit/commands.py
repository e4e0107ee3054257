"""`python -m bot interview|scorecard|jd|screen ROLE`: the toolkit's commands, registered on the main CLI.

Kept apart from bot.cli so each toolkit command lives beside the toolkit; domain errors still become
messages in bot.cli, the one edge.
"""

from __future__ import annotations

import argparse
import json
from typing import Any, TextIO

from bot.toolkit.service import Toolkit

COMMANDS = ("interview",)


def add_commands(sub: Any, common: argparse.ArgumentParser) -> None:
    """Add the toolkit's subcommands to the main parser's `sub` (argparse's subparsers action)."""
    interview = sub.add_parser("interview", parents=[common], help="an interview kit for a role, cited")
    interview.add_argument("role")
    interview.add_argument("--json", action="store_true", help="print the kit as JSON")


def run_command(args: argparse.Namespace, toolkit: Toolkit, out: TextIO) -> int:
    """Run one toolkit command; the exit code (errors are raised for bot.cli to turn into messages)."""
    if args.command == "interview":
        kit = toolkit.kit(args.role)
        out.write((json.dumps(kit.to_json(), ensure_ascii=False) if args.json else kit.text) + "\n")
        return 0
    raise ValueError(f"not a toolkit command: {args.command}")
