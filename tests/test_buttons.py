"""What the buttons carry and how it is kept: keyboards.parse, and the JSON file that PTB's callback-data
cache is saved to (buttons_file.ButtonsFile). The end-to-end press after a restart is in
test_telegram_resilience.py."""

from __future__ import annotations

import asyncio
import json
import logging
import stat
from pathlib import Path

import pytest
from telegram.ext import InvalidCallbackData

from bot.answer.types import Source
from bot.telegram.buttons_file import ButtonsFile, CDCData
from bot.telegram.keyboards import Offer, Press, answer_keyboard, parse, roles_keyboard, start_keyboard

SOURCES = (Source(1, "The Health System CTO", "Bonnie Siegel", "Pub", "cto.md", "https://example.org/cto"),)


def data_of(markup: object) -> dict[str, object]:
    """label -> callback_data, before PTB swaps it for an id."""
    rows = getattr(markup, "inline_keyboard", ())
    return {button.text: button.callback_data for row in rows for button in row}


# -- keyboards.parse --------------------------------------------------------------------------------


def test_every_button_we_make_parses_back_to_its_request() -> None:
    answer = data_of(answer_keyboard(Offer(("What does a CTO own?",), SOURCES)))
    assert parse(answer["👍"]) == Press("fb", "+") and parse(answer["👎"]) == Press("fb", "-")
    assert parse(answer["📚 Sources"]) == Press("src", sources=SOURCES)
    assert parse(answer["What does a CTO own?"]) == Press("ask", "What does a CTO own?")
    start = data_of(start_keyboard(["CTO", "bad role"], Offer(("Example?",))))
    assert set(start) == {"📄 CTO brief", "Example?"}  # a role name parse() would refuse gets no button
    assert parse(data_of(roles_keyboard(["CMIO"]))["📄 CMIO brief"]) == Press("brief", "CMIO")


def test_what_the_buttons_carry_survives_a_json_round_trip() -> None:
    for data in data_of(answer_keyboard(Offer(("Next?",), SOURCES))).values():
        assert parse(json.loads(json.dumps(data))) == parse(data) is not None


@pytest.mark.parametrize(
    "data",
    [
        None,
        "fb:+",  # a bare string never reaches us: PTB hands over the cached object or InvalidCallbackData
        ["fb", "x"],
        ["brief", "cto; drop"],
        ["ask", ""],
        ["ask", "x" * 5000],
        ["src", []],
        ["src", [[1, "title", "author", "publisher"]]],
        ["src", [["1", "t", "a", "p", "x.md", None]]],
        ["what", "ever"],
        {"kind": "ask"},
        InvalidCallbackData("0" * 64),
        InvalidCallbackData(None),
    ],
)
def test_data_we_never_produced_or_no_longer_hold_is_refused(data: object) -> None:
    assert parse(data) is None


def test_feedback_and_brief_buttons_sent_before_the_cache_still_work() -> None:
    assert parse(InvalidCallbackData("fb:-")) == Press("fb", "-")
    assert parse(InvalidCallbackData("brief:CMIO")) == Press("brief", "CMIO")
    assert parse(InvalidCallbackData("ask:abc:0")) is None  # its question was in the old process's memory


# -- buttons_file.ButtonsFile -----------------------------------------------------------------------

CACHE: CDCData = (
    [("k" * 32, 1_700_000_000.5, {"b" * 32: ["ask", "What does a CTO own?"], "c" * 32: ["fb", "+"]})],
    {"12345": "k" * 32},
)


def test_the_cache_is_saved_as_json_owner_only_and_read_back(tmp_path: Path) -> None:
    path = tmp_path / "state.buttons.json"
    asyncio.run(ButtonsFile(path).update_callback_data(CACHE))
    assert json.loads(path.read_text(encoding="utf-8"))["format"] == 1
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert [p.name for p in tmp_path.iterdir()] == [path.name]  # no temporary file left behind
    assert asyncio.run(ButtonsFile(path).get_callback_data()) == CACHE


def test_an_unchanged_cache_is_not_written_again(tmp_path: Path) -> None:
    path = tmp_path / "state.buttons.json"
    store = ButtonsFile(path)

    async def save_twice() -> None:
        await store.update_callback_data(CACHE)
        path.unlink()
        await store.update_callback_data(CACHE)

    asyncio.run(save_twice())
    assert not path.exists()


def test_no_file_means_no_buttons_yet(tmp_path: Path) -> None:
    assert asyncio.run(ButtonsFile(tmp_path / "none.json").get_callback_data()) is None


@pytest.mark.parametrize(
    "content",
    [
        b"\x80\x04\x95 not json: a pickle, say",
        b"{not json",
        b'{"format": 2, "keyboards": [], "queries": {}}',
        b'{"format": 1, "keyboards": [["k", "yesterday", {}]], "queries": {}}',
        b'{"format": 1, "keyboards": [], "queries": {"1": 2}}',
        b"[]",
    ],
)
def test_a_file_not_shaped_as_we_write_it_is_ignored_with_a_warning(
    tmp_path: Path, content: bytes, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "state.buttons.json"
    path.write_bytes(content)
    with caplog.at_level(logging.WARNING, logger="bot.telegram.buttons_file"):
        assert asyncio.run(ButtonsFile(path).get_callback_data()) is None
    assert "ignored" in caplog.text


def test_a_failed_save_is_logged_and_the_bot_goes_on(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x", encoding="utf-8")
    with caplog.at_level(logging.WARNING, logger="bot.telegram.buttons_file"):
        asyncio.run(ButtonsFile(blocker / "state.buttons.json").update_callback_data(CACHE))
    assert "could not save" in caplog.text
