"""`python -m ingest`: build the knowledge index from knowledge.dir, list or repair what is kept, roll back.

Domain errors become one clean line and an exit code here, at the edge, and nowhere else.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path

from ingest.changes import Change, KnowledgeChanges, fetch_source
from ingest.env import prepare_process
from ingest.errors import (
    EXIT_ERROR,
    EXIT_LOCKED,
    EXIT_PARTIAL,
    EXIT_QUALITY,
    EXIT_USAGE,
    ConfigError,
    IngestError,
    LockedError,
    reason,
)
from ingest.loaders.urlfetch import UrlRefused
from ingest.logs import setup_logging
from ingest.pipeline import Ingestor
from ingest.settings import Settings, load_settings
from ingest.store.backend import make_backend
from ingest.store.repair import inventory
from ingest.store.versions import rollback

DEFAULT_CONFIG = Path("config.yaml")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m ingest",
        description="Ingest the articles in knowledge.dir into a new index version and make it live.",
    )
    parser.add_argument(
        "--config", type=Path, default=DEFAULT_CONFIG, help="path to config.yaml (default: %(default)s)"
    )
    parser.add_argument(
        "command",
        nargs="?",
        choices=["list", "add", "remove"],
        help="list: the kept versions and anything damaged (changes nothing); add PATH|URL: a file or a web "
        "page as a new article; remove DOC_ID: an article, by its id as `python -m bot sources` shows it",
    )
    parser.add_argument("target", nargs="?", help="for add: a file path or an http(s) URL; for remove: an article id")
    parser.add_argument("--json", action="store_true", help="print the run summary as one JSON object")
    parser.add_argument(
        "--repair",
        action="store_true",
        help="drop damaged versions, set a damaged cache aside, and rebuild a live version from the articles",
    )
    parser.add_argument("--force", action="store_true", help="activate even if the quality gate fails")
    parser.add_argument("--rebuild", action="store_true", help="build a new version even if nothing changed")
    parser.add_argument(
        "--rollback",
        nargs="?",
        const="previous",
        metavar="VERSION",
        help="make a kept older version live again (default: the one before the live one)",
    )
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    parser.add_argument("--log-level", choices=["DEBUG", "INFO", "WARNING", "ERROR"], help="overrides logging.level")
    return parser


def main(argv: list[str] | None = None) -> int:
    prepare_process()
    args = build_parser().parse_args(argv)
    try:
        settings = load_settings(args.config)
    except ConfigError as exc:
        print(f"config error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    setup_logging(args.log_level or settings.logging.level)
    try:
        if args.command == "list":
            return _list(settings, args.json)
        if args.command in ("add", "remove"):
            if not args.target:
                print(
                    f"error: {args.command} needs a {'PATH or URL' if args.command == 'add' else 'DOC_ID'}",
                    file=sys.stderr,
                )
                return EXIT_USAGE
            return _change(settings, args.command, args.target, args.json)
        if args.repair:
            repaired = Ingestor(settings, progress=not (args.no_progress or args.json)).repair()
            print(json.dumps(repaired.to_dict(), ensure_ascii=False) if args.json else repaired.summary())
            return repaired.exit_code
        if args.rollback:
            target = None if args.rollback == "previous" else args.rollback
            live = rollback(settings, target)
            if args.json:
                print(json.dumps({"status": "rolled_back", "version": live}))
            else:
                print(f"Version {live} is live again.")
            return 0
        report = Ingestor(settings, progress=not (args.no_progress or args.json)).run(
            force=args.force, rebuild=args.rebuild
        )
    except LockedError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_LOCKED
    except IngestError as exc:
        logging.getLogger(__name__).debug("ingest failed", exc_info=True)
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    if args.json:
        print(json.dumps(report.to_dict(), ensure_ascii=False))
    else:
        print(report.summary())
    return report.exit_code


def _change(settings: Settings, command: str, target: str, as_json: bool) -> int:
    """add/remove through the same service as the chat's admin commands, with the ingest's exit codes."""
    changes = KnowledgeChanges(settings)
    if command == "remove":
        change = changes.remove(target)
    else:
        try:
            name, data = fetch_source(settings, target)
        except (OSError, UrlRefused) as exc:
            change = Change(False, f"Not added: {reason(exc) if isinstance(exc, OSError) else exc.reason}")
        else:
            change = changes.add(name, data)
    print(json.dumps(change.to_dict(), ensure_ascii=False) if as_json else change.summary())
    if change.done:
        return change.report.exit_code if change.report is not None else 0
    if change.report is not None and change.report.status == "gate_failed":
        return EXIT_QUALITY
    return EXIT_USAGE if command == "remove" else EXIT_PARTIAL  # not an article id / the file was refused


def _list(settings: Settings, as_json: bool) -> int:
    """Exit 0 when everything kept is intact, 1 when something is damaged (scripts can alert on it)."""
    backend = make_backend(settings)
    try:
        found = inventory(backend, settings)
    finally:
        backend.close()
    print(json.dumps(found.to_dict(), ensure_ascii=False) if as_json else found.summary())
    return 1 if found.damaged else 0


if __name__ == "__main__":
    raise SystemExit(main())
