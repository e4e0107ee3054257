"""Running `python -m bot` in-process on a module's ingested advisor, for the toolkit's command tests."""

from __future__ import annotations

import io

import pytest

from bot.answer.advisor import Advisor
from bot.cli import main
from bot.settings import Settings


def run(args: list[str], settings: Settings, advisor: Advisor, monkeypatch: pytest.MonkeyPatch) -> tuple[int, str]:
    """The exit code and what the command printed, on `advisor` rather than a freshly built one."""
    monkeypatch.setattr("bot.cli.build_advisor", lambda *_: advisor)
    out = io.StringIO()
    code = main([*args, "--config", str(settings.config_dir / "config.yaml")], out=out)
    return code, out.getvalue()
