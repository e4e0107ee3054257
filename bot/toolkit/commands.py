"""`python -m bot interview|scorecard|jd|screen ROLE`: the toolkit's commands, registered on the main CLI.

Kept apart from bot.cli so each toolkit command lives beside the toolkit; domain errors still become
messages in bot.cli, the one edge.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol, TextIO, TypeVar

from bot.toolkit.cvtext import CVRefused
from bot.toolkit.documents import JD_FORMATS, SCORECARD_FORMATS
from bot.toolkit.kit import InterviewKit
from bot.toolkit.outfile import OutFileError, check_out, write_atomic
from bot.toolkit.service import Toolkit
from ingest.errors import EXIT_ERROR, EXIT_USAGE
from ingest.loaders.documents import LoadError, LoadLimits
from ingest.loaders.limits import read_bytes

COMMANDS = ("interview", "scorecard", "jd", "screen")


def add_commands(sub: Any, common: argparse.ArgumentParser) -> None:
    """Add the toolkit's subcommands to the main parser's `sub` (argparse's subparsers action)."""
    interview = sub.add_parser("interview", parents=[common], help="an interview kit for a role, cited")
    interview.add_argument("role")
    interview.add_argument("--json", action="store_true", help="print the kit as JSON")
    scorecard = sub.add_parser("scorecard", parents=[common], help="a scorecard for a role, cited: .docx, .csv, .md")
    scorecard.add_argument("role")
    scorecard.add_argument("--out", type=Path, metavar="FILE", help="write it to FILE.docx, .csv or .md")
    scorecard.add_argument("--json", action="store_true", help="print its rows, anchors and sources as JSON")
    jd = sub.add_parser("jd", parents=[common], help="a job-description draft for a role, cited")
    jd.add_argument("role")
    jd.add_argument("--out", type=Path, metavar="FILE", help="write it to FILE.docx or .md")
    jd.add_argument("--json", action="store_true", help="print its sections and sources as JSON")
    screen = sub.add_parser(
        "screen", parents=[common], help="a CV's evidence for each of a role's criteria (no verdict, nothing stored)"
    )
    screen.add_argument("role")
    screen.add_argument("cv_file", type=Path, metavar="CV_FILE", help="the CV: .pdf, .docx, .txt or .md")
    screen.add_argument("--json", action="store_true", help="print the check as JSON")


def run_command(args: argparse.Namespace, toolkit: Toolkit, out: TextIO, kit_for: Callable[[str], InterviewKit]) -> int:
    """Run one toolkit command; the exit code (errors are raised for bot.cli to turn into messages). `kit_for`
    is the CLI's kit path: phrased by the model on the command's one event loop when llm.enabled, else templates."""
    if args.command == "interview":
        kit = kit_for(args.role)
        out.write((json.dumps(kit.to_json(), ensure_ascii=False) if args.json else kit.text) + "\n")
        return 0
    if args.command == "scorecard":
        return _document(args, out, SCORECARD_FORMATS, lambda: toolkit.scorecard(args.role))
    if args.command == "jd":
        return _document(args, out, JD_FORMATS, lambda: toolkit.jd(args.role))
    if args.command == "screen":
        return _screen(args, toolkit, out)
    raise ValueError(f"not a toolkit command: {args.command}")


class _Document(Protocol):
    @property
    def heading(self) -> str: ...
    @property
    def text(self) -> str: ...
    def to_json(self) -> dict[str, Any]: ...


D = TypeVar("D", bound=_Document)


def _document(
    args: argparse.Namespace, out: TextIO, formats: dict[str, Callable[[D], bytes]], build: Callable[[], D]
) -> int:
    """A scorecard or a draft: --out is checked before anything is built, so a bad one writes nothing;
    without --out the Markdown is printed, with --json the JSON."""
    path: Path | None = args.out
    try:
        ext = check_out(path, formats) if path else ""
    except OutFileError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    document = build()
    if path:
        try:
            write_atomic(path, formats[ext](document))
        except OSError as exc:
            print(f"error: cannot write {path}: {exc.strerror or exc}", file=sys.stderr)
            return EXIT_ERROR
    if args.json:
        out.write(json.dumps(document.to_json(), ensure_ascii=False) + "\n")
    elif path:
        out.write(f"{document.heading}: written to {path}\n")
    else:
        out.write(document.text + "\n")
    return 0


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
