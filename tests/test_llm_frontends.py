"""Every terminal front end answers through the LLM path, guarded, when llm.enabled (issue 16).

The model is the fake OpenAI-compatible server, run on a thread of this process; each command is a real
`python -m bot` process, as an admin would run it (one process, one event loop: the LLM client's
connections are opened on it, so commands are not run twice in one process here).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.answer.advisor import Advisor
from bot.settings import Settings
from tests.conftest import ROOT, write_config
from tests.fakes.openai_server import FakeOpenAI, Messages, serving_in_thread

OFFLINE = {"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "PATH": "/usr/bin:/bin"}
QUESTION = "What should I look for in a CTO?"
PLANTED = "The ideal CTO has 25 years of experience at the Mayo Clinic and a doctorate in quantum computing"
SUPPORTED = "Look for executive presence and the ability to translate complex technical concepts into laymen's terms"


def cto_number(messages: Messages) -> int:
    """The passage number the prompt gives Bonnie Siegel's CTO article."""
    found = re.search(r"\[(\d+)\] \([^)]*Siegel", str(messages[-1]["content"]))
    assert found, "the CTO article was not among the passages"
    return int(found.group(1))


def planted_reply(messages: Messages) -> str:
    n = cto_number(messages)
    return f"{SUPPORTED} [{n}].\n{PLANTED} [{n}]."


def invented_reply(messages: Messages) -> str:
    n = cto_number(messages)
    return f"A CTO needs a doctorate from Stanford [{n}].\nEvery CTO earns 400,000 dollars a year [{n}]."


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeOpenAI]:
    with serving_in_thread(FakeOpenAI(api_key="test-key")) as server:
        yield server


@pytest.fixture
def llm_config(built: tuple[Settings, Advisor], fake: FakeOpenAI, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The ingested articles' config, with the LLM enabled against the fake."""
    settings, _ = built
    monkeypatch.setenv("OPENAI_API_KEY", "test-key")
    fake.reply, fake.fail_with = planted_reply, None
    data = yaml.safe_load((settings.config_dir / "config.yaml").read_text(encoding="utf-8"))
    data["llm"] = {"enabled": True, "base_url": fake.base_url, "timeout_s": 10.0}
    return write_config(settings.config_dir / "config-llm.yaml", data)


def cli(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    """`python -m bot ARGS` in a fresh process, with the fake's key in its environment."""
    env = {**OFFLINE, "OPENAI_API_KEY": "test-key"}
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=300,
    )


def cli_python(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=OFFLINE, cwd=ROOT, timeout=300
    )


def ask_json(config: Path, *extra: str, question: str = QUESTION) -> dict[str, Any]:
    result = cli("ask", "--config", str(config), "--json", *extra, question)
    assert result.returncode == 0, result.stderr
    return dict(json.loads(result.stdout))


def test_ask_answers_with_the_model_and_removes_a_planted_invention(llm_config: Path) -> None:
    answer = ask_json(llm_config)
    assert answer["mode"] == "llm"
    assert "executive presence" in answer["answer"]
    assert "Mayo" not in answer["answer"] and "quantum" not in answer["answer"]
    assert answer["grounding"] == {"kept": 1, "removed": 1}
    assert "fallback" not in answer


def test_mode_extractive_overrides_the_config_for_one_run(llm_config: Path, fake: FakeOpenAI) -> None:
    before = len(fake.requests)
    answer = ask_json(llm_config, "--mode", "extractive")
    assert answer["mode"] == "extractive" and "fallback" not in answer
    assert len(fake.requests) == before


def test_mode_llm_overrides_a_config_without_the_llm(built: tuple[Settings, Advisor], llm_config: Path) -> None:
    settings, _ = built
    data = yaml.safe_load(llm_config.read_text(encoding="utf-8"))
    data["llm"]["enabled"] = False
    plain = write_config(settings.config_dir / "config-llm-off.yaml", data)
    assert ask_json(plain)["mode"] == "extractive"
    assert ask_json(plain, "--mode", "llm")["mode"] == "llm"


def test_a_failing_model_falls_back_and_says_why(llm_config: Path, fake: FakeOpenAI) -> None:
    fake.fail_with = 500
    result = cli("ask", "--config", str(llm_config), "--json", QUESTION)
    answer = json.loads(result.stdout)
    assert answer["mode"] == "extractive" and answer["in_scope"]
    assert answer["fallback"] == "unavailable"
    assert "WARNING" in result.stderr and "fallback: unavailable" in result.stderr


def test_an_answer_the_guard_mostly_removes_falls_back_to_quotes(llm_config: Path, fake: FakeOpenAI) -> None:
    fake.reply = invented_reply
    answer = ask_json(llm_config)
    assert answer["mode"] == "extractive" and answer["fallback"] == "ungrounded"
    assert "Stanford" not in answer["answer"] and "400,000" not in answer["answer"]
    assert answer["grounding"]["removed"] == 2


def test_a_gap_is_decided_by_retrieval_not_the_model(llm_config: Path, fake: FakeOpenAI) -> None:
    before = len(fake.requests)
    answer = ask_json(llm_config, question="What salary should we offer a CTO?")
    assert answer["coverage"] in ("none", "partial")
    assert answer["mode"] == "extractive" and "fallback" not in answer
    assert len(fake.requests) == before


def test_jsonl_answers_every_line_through_the_model(llm_config: Path) -> None:
    lines = [{"question": QUESTION}, {"question": "and what about a CMIO?", "history": [QUESTION]}]
    result = cli("ask", "--config", str(llm_config), "--jsonl", stdin="".join(json.dumps(x) + "\n" for x in lines))
    assert result.returncode == 0, result.stderr
    answers = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(answers) == 2 and answers[0]["mode"] == "llm"
    assert "Mayo" not in answers[0]["answer"]


@pytest.mark.parametrize("command", ["chat", "run"])  # `run` without a token opens the console chat
def test_console_chat_uses_the_model(llm_config: Path, command: str) -> None:
    result = cli(command, "--config", str(llm_config), stdin=f"{QUESTION}\n/quit\n")
    assert result.returncode == 0, result.stderr
    assert "executive presence" in result.stdout and "Mayo" not in result.stdout


def test_eval_in_llm_mode_reports_removals_beside_extractive(llm_config: Path, tmp_path: Path) -> None:
    items = [
        {
            "id": "t-1",
            "category": "direct",
            "question": QUESTION,
            "expect": "answer",
            "sources": ["cto-role-bonnie-siegel.md"],
            "facts": [["executive presence"]],
        },
        {"id": "t-2", "category": "off_topic", "question": "What is 2 + 2?", "expect": "decline"},
    ]
    test_set = tmp_path / "test.yaml"
    test_set.write_text(yaml.safe_dump(items), encoding="utf-8")
    result = cli("eval", "--config", str(llm_config), "--test", str(test_set), "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert set(report) == {"test extr.", "test llm", "llm"}
    assert report["llm"]["guard_removed"] == 1 and report["llm"]["llm_answers"] == 1
    assert report["test llm"]["overall"]["answer_rate"] == 1.0


def test_nothing_llm_is_imported_when_it_is_off(built: tuple[Settings, Advisor]) -> None:
    settings, _ = built
    probe = (
        "import sys; from bot.cli import main; "
        f"main(['ask', '--config', {str(settings.config_dir / 'config.yaml')!r}, {QUESTION!r}]); "
        "print(sorted(m for m in ('langchain_openai', 'openai', 'langchain.chat_models', 'spacy') if m in sys.modules))"
    )
    result = cli_python(probe)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "[]"


def kit_reply(messages: Messages) -> str:
    """Two questions for a kit request; an answer for anything else (the chat's first question)."""
    if "Criterion:" in str(messages[-1]["content"]):
        return "Tell me about a time you showed this at a health system?\nHow would you show it here in a year?"
    return planted_reply(messages)


@pytest.mark.parametrize("command", [["chat"], ["interview", "CTO", "--json"]])
def test_kits_in_the_terminal_are_phrased_by_the_model(llm_config: Path, fake: FakeOpenAI, command: list[str]) -> None:
    fake.reply = kit_reply
    stdin = "/interview CTO\n/quit\n" if command == ["chat"] else ""
    result = cli(*command, "--config", str(llm_config), stdin=stdin)
    assert result.returncode == 0, result.stderr
    assert "Tell me about a time you showed this at a health system?" in result.stdout
    assert "Executive presence" in result.stdout  # the criteria stay the articles'
