"""`python -m bot`: ask, chat, brief, compare, eval and run, all on the same advisor (and the hiring
toolkit's commands, bot.toolkit.commands).

The command-line contract of `ask` (`--json`, `--jsonl`) is fixed: outside tooling depends on it.
Domain errors become one clean line and an exit code here, at the edge.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import shutil
import sys
import textwrap
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, TextIO

from bot.answer.advisor import STORE_DOWN, UNAVAILABLE, Advisor, UnknownRoleError
from bot.answer.types import Answer, Ask
from bot.build import build_advisor
from bot.env import load_secrets, revealed
from bot.settings import Settings, load_settings
from bot.toolkit.commands import COMMANDS as TOOLKIT_COMMANDS
from bot.toolkit.commands import add_commands as add_toolkit_commands
from bot.toolkit.commands import run_command as run_toolkit_command
from bot.toolkit.kit import InterviewKit
from bot.toolkit.service import Toolkit
from ingest.embedding.factory import Embedder
from ingest.env import prepare_process
from ingest.errors import EXIT_ERROR, EXIT_QUALITY, EXIT_USAGE, ConfigError, IngestError, StoreUnavailableError
from ingest.logs import setup_logging
from ingest.store.index import KnowledgeIndex

DEFAULT_CONFIG = Path("config.yaml")
ANSWERING = frozenset({"ask", "chat", "run"})
"""Commands whose first output needs the embedding model."""

log = logging.getLogger(__name__)


def _common(top: bool) -> argparse.ArgumentParser:
    """--config and --log-level, accepted before or after the command.

    Only the top level has defaults: a subcommand's own default would overwrite a value given before
    it (`python -m bot --log-level DEBUG ask ...` would silently run at INFO).
    """
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--config",
        type=Path,
        default=DEFAULT_CONFIG if top else argparse.SUPPRESS,
        help=f"path to config.yaml (default: {DEFAULT_CONFIG})",
    )
    common.add_argument(
        "--log-level",
        choices=["DEBUG", "INFO", "WARNING", "ERROR"],
        default=None if top else argparse.SUPPRESS,
        help="overrides logging.level",
    )
    return common


def _parser() -> argparse.ArgumentParser:
    common = _common(top=False)
    parser = argparse.ArgumentParser(prog="python -m bot", description="The Hiring Advisor.", parents=[_common(True)])
    sub = parser.add_subparsers(dest="command", required=True)
    mode = argparse.ArgumentParser(add_help=False)
    mode.add_argument(
        "--mode",
        choices=["extractive", "llm"],
        default=None,
        help="answer with the LLM or extractively for this run (default: llm.enabled in the config)",
    )

    ask = sub.add_parser("ask", parents=[common, mode], help="answer one question (or JSON lines from stdin)")
    ask.add_argument("question", nargs="?", help="the question")
    ask.add_argument("--history", action="append", default=[], help="an earlier user turn (repeat, oldest first)")
    ask.add_argument("--json", action="store_true", help="print one JSON object")
    ask.add_argument(
        "--jsonl",
        action="store_true",
        help='read {"question": ..., "history": [...]} lines from stdin, write one object each',
    )

    sub.add_parser("chat", parents=[common, mode], help="console chat with memory")
    brief = sub.add_parser("brief", parents=[common], help="a role brief for recruiters")
    brief.add_argument("role")
    brief.add_argument("--json", action="store_true")
    compare = sub.add_parser("compare", parents=[common], help="two roles side by side")
    compare.add_argument("roles", nargs=2, metavar="ROLE")
    compare.add_argument("--json", action="store_true")
    add_toolkit_commands(sub, common)
    sources = sub.add_parser("sources", parents=[common], help="the articles in the knowledge base")
    sources.add_argument("--json", action="store_true")

    ev = sub.add_parser(
        "eval", parents=[common, mode], help="quality figures on the dev set beside the held-out test set"
    )
    ev.add_argument("--dev", "--questions", type=Path, help="the dev set (default: gate.questions_file)")
    ev.add_argument("--test", type=Path, help="the held-out test set (default: tests/eval/test.yaml beside the config)")
    ev.add_argument("--json", action="store_true")
    ev.add_argument("--min-answer-rate", type=float, default=None, help="exit 3 when the test set answers less")
    ev.add_argument("--min-decline-rate", type=float, default=None, help="exit 3 when the test set declines less")

    sub.add_parser(
        "run", parents=[common, mode], help="the Telegram bot if TELEGRAM_BOT_TOKEN is set, else the console chat"
    )
    return parser


def _json(obj: dict[str, Any], out: TextIO) -> None:
    out.write(json.dumps(obj, ensure_ascii=False) + "\n")
    out.flush()


def _wrap(text: str) -> str:
    """Readable in a terminal: bullets wrapped with a hanging indent."""
    width = min(100, shutil.get_terminal_size((100, 20)).columns)
    lines = []
    for line in text.split("\n"):
        if line.startswith("• "):
            lines.append(textwrap.fill(line, width, subsequent_indent="  "))
        else:
            lines.append(textwrap.fill(line, width) if line else "")
    return "\n".join(lines)


def cmd_ask(ask: Ask, args: argparse.Namespace, stdin: TextIO, out: TextIO) -> int:
    if args.jsonl:
        # A store outage fails one line, not the batch: the server may be back for the next line.
        unavailable = 0
        for number, line in enumerate(stdin, 1):
            if not line.strip():
                continue
            try:
                item = json.loads(line)
                question = item["question"]
                history = item.get("history") or []
                if not isinstance(question, str) or not all(isinstance(h, str) for h in history):
                    raise TypeError("question must be a string and history a list of strings")
            except (ValueError, KeyError, TypeError, AttributeError) as exc:
                _json({"error": f"line {number}: {exc}", "answer": "", "sources": [], "in_scope": False}, out)
                continue
            try:
                answer = ask(question, history)
            except STORE_DOWN as exc:
                log.warning("line %d not answered, the knowledge base is unavailable: %s", number, exc)
                unavailable += 1
                _json({"error": f"line {number}: {UNAVAILABLE}", "answer": "", "sources": [], "in_scope": False}, out)
                continue
            _json(answer.to_json(), out)
        return EXIT_ERROR if unavailable else 0
    if not args.question:
        print("error: give a question, or use --jsonl", file=sys.stderr)
        return EXIT_USAGE
    answer = ask(args.question, args.history)
    if args.json:
        _json(answer.to_json(), out)
    else:
        out.write(_wrap(answer.text) + "\n")
    return 0


CHAT_HELP = """Ask anything about hiring a health-system CTO or CMIO; follow-ups remember the conversation.
Commands: /brief ROLE · /compare ROLE ROLE · /interview ROLE · /jd ROLE · /scorecard ROLE
/sources · /reset · /help · /quit. A CV check reads a file: python -m bot screen ROLE CV_FILE."""


def chat(
    advisor: Advisor,
    read: Callable[[str], str] = input,
    out: TextIO = sys.stdout,
    ask: Ask | None = None,
    kit: Callable[[str], InterviewKit] | None = None,
) -> int:
    """The console chat: same advisor, answer path and follow-up memory as Telegram, in a terminal.
    `ask` and `kit` default to the extractive answer and the template kit."""
    ask = ask or advisor.ask_sync
    toolkit = Toolkit(advisor)
    kit = kit or toolkit.kit
    history: list[str] = []
    roles = ", ".join(advisor.roles())
    out.write(f"Hiring Advisor (console). Roles in the knowledge base: {roles}.\n{CHAT_HELP}\n")
    while True:
        try:
            line = read("\nyou> ").strip()
        except (EOFError, KeyboardInterrupt):
            out.write("\n")
            return 0
        if not line:
            continue
        command, _, rest = line.partition(" ")
        rest = rest.strip()
        table = False  # a scorecard is a Markdown table: wrapping its rows would break it
        try:
            if command in ("/quit", "/exit"):
                return 0
            if command == "/help":
                text = CHAT_HELP
            elif command == "/reset":
                history.clear()
                text = "Conversation forgotten."
            elif command == "/sources":
                text = "\n".join(f"• {s.label()}" for s in advisor.articles())
            elif command == "/brief":
                # Named, as every other command's role: a bare /brief once gave the first role's brief unasked.
                text = advisor.brief_sync(rest).text if rest else f"Usage: /brief ROLE, e.g. /brief {_example(advisor)}"
            elif command == "/interview":
                text = kit(rest).text if rest else f"Usage: /interview ROLE, e.g. /interview {_example(advisor)}"
            elif command == "/compare":
                parts = rest.split()
                if len(parts) != 2:
                    text = "Usage: /compare ROLE ROLE, e.g. /compare CTO CMIO"
                else:
                    text = advisor.compare_sync(parts[0], parts[1]).text
            elif command == "/jd":
                text = toolkit.jd(rest).text if rest else f"Usage: /jd ROLE, e.g. /jd {_example(advisor)}"
            elif command == "/scorecard":
                text = (
                    toolkit.scorecard(rest).text
                    if rest
                    else f"Usage: /scorecard ROLE, e.g. /scorecard {_example(advisor)}"
                )
                table = bool(rest)
            elif command.startswith("/") and len(command) > 1 and command[1:].isalpha():
                # A mistyped command is not a question: asked as one, "/jd CTO" was answered from the articles.
                text = f"Unknown command {command}.\n{CHAT_HELP}"
            else:
                answer: Answer = ask(line, history)
                history.append(line)
                text = answer.text
        except UnknownRoleError as exc:
            text = str(exc)
        except STORE_DOWN as exc:  # the chat stays open: the next question tries the store again
            log.warning("knowledge store unavailable: %s", exc)
            text = UNAVAILABLE
        out.write("\n" + (text if table else _wrap(text)) + "\n")
        out.flush()


def _example(advisor: Advisor) -> str:
    """A role the knowledge base has, for a usage line (the shipped articles' CTO before any exist)."""
    return (advisor.roles() or ["CTO"])[-1]


def _run(settings: Settings, advisor: Advisor, embedder: Embedder, token: str | None, ask: Ask) -> int:
    if token is None:
        print("TELEGRAM_BOT_TOKEN is not set: opening the console chat.", file=sys.stderr)
        return chat(advisor, ask=ask)
    from bot.telegram.app import run_telegram  # imported here: chat and ask never load telegram
    from ingest.changes import KnowledgeChanges

    return run_telegram(settings, advisor, token, KnowledgeChanges(settings, embedder))


def _eval(settings: Settings, advisor: Advisor, args: argparse.Namespace, out: TextIO, ask: Ask) -> int:
    from bot.quality.evaluate import DEV_SET, TEST_SET, LLMFigures, evaluate, load_dev, load_test, table

    dev_path = args.dev or settings.gate.questions_file
    test_path = args.test or settings.config_dir / TEST_SET
    if dev_path is None or not test_path.is_file():
        print(f"error: no question set (dev: {dev_path}, test: {test_path}); see --dev and --test", file=sys.stderr)
        return EXIT_USAGE
    try:
        test_items = load_test(test_path)
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    if advisor.uses_llm:
        # The held-out set through the configured model, beside the extractive answers to the same questions.
        reports = [evaluate(advisor, test_items, "test extr."), evaluate(advisor, test_items, "test llm", ask)]
        llm = LLMFigures.of(reports[1].judged)
    else:
        dev = load_dev(dev_path)
        if (settings.config_dir / DEV_SET).is_file():
            dev += load_test(settings.config_dir / DEV_SET)
        reports = [evaluate(advisor, dev, "dev"), evaluate(advisor, test_items, "test")]
        llm = None
    if args.json:
        _json({r.name: r.to_dict() for r in reports} | ({"llm": llm.to_dict()} if llm else {}), out)
    else:
        out.write(table(reports) + "\n" + (f"\n{llm.line()}\n" if llm else ""))
    test = reports[-1].overall
    low = (args.min_answer_rate is not None and (test.answer_rate or 0.0) < args.min_answer_rate) or (
        args.min_decline_rate is not None and (test.decline_rate or 0.0) < args.min_decline_rate
    )
    return EXIT_QUALITY if low else 0


def _log_level(args: argparse.Namespace, settings: Settings, token: str | None) -> str:
    """The running bot logs at logging.level; a person at a terminal sees answers, not log lines, unless
    they ask with --log-level (warnings and errors still reach stderr)."""
    if args.log_level:
        return str(args.log_level)
    telegram = args.command == "run" and token is not None  # else `run` opens the console
    return settings.logging.level if telegram else "WARNING"


def main(argv: Iterable[str] | None = None, stdin: TextIO = sys.stdin, out: TextIO = sys.stdout) -> int:
    prepare_process()
    args = _parser().parse_args(list(argv) if argv is not None else None)
    mode = getattr(args, "mode", None)
    try:
        settings = load_settings(args.config, {"llm.enabled": mode == "llm"} if mode else None)
    except ConfigError as exc:
        print(f"config error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    token = revealed(load_secrets(settings).telegram_token)  # registered with the log filter as it is read
    setup_logging(_log_level(args, settings, token))
    with contextlib.ExitStack() as resources:
        return _command(args, settings, token, resources, stdin, out)


def _asker(advisor: Advisor, resources: contextlib.ExitStack) -> tuple[Ask, Callable[[str], InterviewKit]]:
    """The answer and kit paths Telegram uses, for a terminal: the LLM ones (guarded, with their fallbacks)
    when configured, else the extractive answer and the template kit. One event loop serves the whole
    command, since the LLM client's connections belong to the loop they were opened on."""
    toolkit = Toolkit(advisor)
    if not advisor.uses_llm:
        return advisor.ask_sync, toolkit.kit
    runner = resources.enter_context(asyncio.Runner())
    resources.callback(lambda: runner.run(advisor.aclose()))  # before the runner's loop closes (last in, first out)
    return (
        lambda question, history: runner.run(advisor.ask(question, history)),
        lambda role: runner.run(toolkit.phrased(toolkit.kit(role))),
    )


def _command(
    args: argparse.Namespace,
    settings: Settings,
    token: str | None,
    resources: contextlib.ExitStack,
    stdin: TextIO,
    out: TextIO,
) -> int:
    try:
        embedder = Embedder(settings.embedding)  # one model: answers and, in the bot, admins' changes
        if args.command in ANSWERING:
            embedder.preload()  # the model loads while the live version opens (cold start)
        advisor = build_advisor(settings, KnowledgeIndex(settings, embedder))
        ask, kit = _asker(advisor, resources)
        if args.command == "ask":
            return cmd_ask(ask, args, stdin, out)
        if args.command == "chat":
            return chat(advisor, out=out, ask=ask, kit=kit)
        if args.command == "brief":
            brief = advisor.brief_sync(args.role)
            out.write((json.dumps(brief.to_json(), ensure_ascii=False) if args.json else _wrap(brief.text)) + "\n")
            return 0
        if args.command == "compare":
            comparison = advisor.compare_sync(*args.roles)
            text = json.dumps(comparison.to_json(), ensure_ascii=False) if args.json else _wrap(comparison.text)
            out.write(text + "\n")
            return 0
        if args.command in TOOLKIT_COMMANDS:
            return run_toolkit_command(args, Toolkit(advisor), out, kit)
        if args.command == "sources":
            articles = advisor.articles()
            if args.json:
                _json({"sources": [a.to_json() for a in articles]}, out)
            else:
                out.write("\n".join(f"[{a.n}] {a.label()} ({a.path})" for a in articles) + "\n")
            return 0
        if args.command == "eval":
            return _eval(settings, advisor, args, out, ask)
        return _run(settings, advisor, embedder, token, ask)
    except UnknownRoleError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except StoreUnavailableError as exc:
        print(f"error: the knowledge base is temporarily unavailable: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except IngestError as exc:
        log.debug("failed", exc_info=True)
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_ERROR


if __name__ == "__main__":
    raise SystemExit(main())
