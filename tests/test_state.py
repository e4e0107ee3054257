"""The bot's SQLite memory: conversations, counters, gaps, feedback, erasure and crash safety."""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import stat
import subprocess
import sys
import tempfile
import textwrap
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.telegram.state import MAX_QUESTION_CHARS, SCHEMA_VERSION, StateError, StateStore, Stats

ROOT = Path(__file__).resolve().parent.parent
DAY = 86400.0


class FakeClock:
    def __init__(self) -> None:
        self.now = 1_700_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "data" / "state.sqlite3"


@pytest.fixture
def store(db_path: Path, clock: FakeClock) -> Iterator[StateStore]:
    with StateStore(db_path, retention_days=30, max_turns=3, clock=clock) as opened:
        yield opened


def count_turns(store: StateStore) -> int:
    """Rows in the turns table, hidden or not (history() hides expired ones)."""
    with store.db.transaction(write=False) as conn:
        return int(conn.execute("SELECT COUNT(*) FROM turns").fetchone()[0])


def file_bytes(path: Path) -> bytes:
    """The database and its WAL and shared-memory files, as they are on disk right now."""
    return b"".join(p.read_bytes() for p in (path, Path(f"{path}-wal"), Path(f"{path}-shm")) if p.exists())


# -- conversations ------------------------------------------------------------------------------------


def test_history_is_oldest_first_and_capped(store: StateStore) -> None:
    for n in range(5):
        store.add_turn(1, None, 42, f"question {n}")
    assert store.history(1, None) == ["question 2", "question 3", "question 4"]
    assert count_turns(store) == 3, "turns beyond max_turns are deleted, not just hidden"


def test_topics_and_chats_are_separate(store: StateStore) -> None:
    store.add_turn(1, None, 42, "general")
    store.add_turn(1, 7, 42, "topic seven")
    store.add_turn(1, 8, 43, "topic eight")
    store.add_turn(2, None, 42, "other chat")
    assert store.history(1, None) == ["general"]
    assert store.history(1, 7) == ["topic seven"]
    assert store.history(1, 8) == ["topic eight"]
    assert store.history(2, None) == ["other chat"]
    assert store.history(3, None) == []


def test_group_conversation_holds_every_member_turn(store: StateStore) -> None:
    store.add_turn(-100, None, 1, "from Ann")
    store.add_turn(-100, None, 2, "from Bob")
    assert store.history(-100, None) == ["from Ann", "from Bob"]


def test_reset_clears_only_that_conversation(store: StateStore) -> None:
    store.add_turn(1, 7, 42, "a")
    store.add_turn(1, 8, 42, "b")
    store.reset(1, 7)
    assert store.history(1, 7) == []
    assert store.history(1, 8) == ["b"]
    store.add_turn(1, 7, 42, "fresh")
    assert store.history(1, 7) == ["fresh"]


def test_zero_turns_means_no_memory(db_path: Path) -> None:
    with StateStore(db_path, retention_days=1, max_turns=0) as store:
        store.add_turn(1, None, 42, "not kept")
        assert store.history(1, None) == []
        assert count_turns(store) == 0


def test_long_questions_are_clipped(store: StateStore) -> None:
    store.add_turn(1, None, 42, "x" * (MAX_QUESTION_CHARS * 3))
    assert len(store.history(1, None)[0]) == MAX_QUESTION_CHARS


def test_text_that_is_not_valid_utf8_is_stored_safely(store: StateStore) -> None:
    store.add_turn(1, None, 42, "lone \ud800 surrogate")
    store.record_question(42, False, "gap \udfff here")
    assert store.history(1, None) == ["lone ? surrogate"]
    assert store.stats().gaps == [("gap ? here", 1)]


def test_state_survives_reopening(db_path: Path, clock: FakeClock) -> None:
    with StateStore(db_path, 30, 3, clock=clock) as store:
        store.add_turn(1, None, 42, "remember me")
        store.record_question(42, False, "what about CFOs?")
        store.add_feedback(42, 1, 10, -1)
    with StateStore(db_path, 30, 3, clock=clock) as store:
        assert store.history(1, None) == ["remember me"]
        assert store.stats() == Stats(1, 0, 1, [("what about CFOs?", 1)], 0, 1)


# -- retention ------------------------------------------------------------------------------------


def test_retention_hides_then_purges(store: StateStore, clock: FakeClock) -> None:
    store.add_turn(1, None, 42, "old turn")
    store.record_question(42, False, "old gap")
    store.record_question(42, True, "old answered")
    store.add_feedback(42, 1, 10, 1)
    clock.now += 20 * DAY
    store.add_turn(1, None, 42, "recent turn")
    store.record_question(43, False, "recent gap")
    store.add_feedback(43, 1, 11, -1)
    clock.now += 11 * DAY  # the first batch is now 31 days old, the second 11

    assert store.history(1, None) == ["recent turn"], "expired turns are never returned, even before a purge"
    assert store.stats() == Stats(1, 0, 1, [("recent gap", 1)], 0, 1)

    # turn + gap + feedback + the day's counter row
    assert store.purge_expired() == 4
    assert store.purge_expired() == 0
    assert store.history(1, None) == ["recent turn"]
    assert count_turns(store) == 1
    assert b"old turn" not in file_bytes(store.path)
    assert b"old gap" not in file_bytes(store.path)

    clock.now += 30 * DAY
    assert store.purge_expired() == 4
    assert store.stats() == Stats(0, 0, 0, [], 0, 0)


# -- counters, gaps, feedback ---------------------------------------------------------------------


def test_only_unanswered_question_text_is_stored(store: StateStore) -> None:
    store.record_question(42, True, "secret answered question about Dr Smith")
    store.record_question(42, False, "What about a CFO?")
    assert store.stats() == Stats(2, 1, 1, [("What about a CFO?", 1)], 0, 0)
    store.db.scrub_wal()
    assert b"Dr Smith" not in file_bytes(store.path)


def test_gaps_are_grouped_and_ranked(store: StateStore) -> None:
    store.record_question(1, False, "What about a CFO?")
    store.record_question(2, False, "  what   ABOUT a cfo? ")
    store.record_question(3, False, "What about a CFO?\n")
    store.record_question(1, False, "Who should I hire as CISO?")
    store.record_question(2, False, "Who should I hire as CISO?")
    store.record_question(1, False, "Salary of a nurse?")
    store.record_question(1, False, "   ")
    stats = store.stats()
    assert stats.gaps == [
        ("What about a CFO?", 3),  # the most recent original text of the group, stripped
        ("Who should I hire as CISO?", 2),
        ("Salary of a nurse?", 1),
    ]
    assert stats.unanswered == 7, "a blank question still counts, but leaves no gap"


def test_gaps_list_is_capped(store: StateStore) -> None:
    for n in range(30):
        for _ in range(n % 3 + 1):
            store.record_question(1, False, f"question number {n}")
    gaps = store.stats().gaps
    assert len(gaps) == 20
    counts = [count for _, count in gaps]
    assert counts == sorted(counts, reverse=True)


def test_feedback_is_one_vote_per_user_and_message(store: StateStore) -> None:
    store.add_feedback(1, 100, 5, 1)
    store.add_feedback(1, 100, 5, -1)  # changed their mind
    store.add_feedback(2, 100, 5, 1)
    store.add_feedback(1, 100, 6, 1)
    stats = store.stats()
    assert (stats.feedback_up, stats.feedback_down) == (2, 1)
    with pytest.raises(ValueError):
        store.add_feedback(1, 100, 5, 0)
    with pytest.raises(ValueError):
        store.add_feedback(1, 100, 5, 2)


# -- erasure --------------------------------------------------------------------------------------


def test_forget_user_deletes_every_row_and_every_byte(store: StateStore, clock: FakeClock) -> None:
    """Deleted text must not survive in free pages or in the WAL (secure_delete + WAL truncation)."""
    marker = "Zebra Marker Quokka"
    long_marker = "Long Marker Okapi " * 300  # > one page: overflow pages are scrubbed too
    other = "Kestrel Other Person"
    store.add_turn(1, None, 42, f"{marker} turn")
    store.add_turn(1, 5, 42, long_marker)
    store.add_turn(1, None, 43, f"{other} turn")
    store.record_question(42, False, f"{marker} gap")
    store.record_question(43, False, f"{other} gap")
    store.record_question(42, True, "answered")
    store.add_feedback(42, 1, 10, 1)
    store.add_feedback(42, 1, 11, -1)
    store.add_feedback(43, 1, 10, 1)
    store.db.scrub_wal()  # into the main file too, so the erasure below is seen to reach it
    before = file_bytes(store.path)
    assert marker.encode() in before and marker.lower().encode() in before, "the scan can see stored text"

    assert store.forget_user(42) == 2 + 1 + 2

    for data in (file_bytes(store.path), None):
        if data is None:  # and again once SQLite has closed (and checkpointed) the file
            store.close()
            data = file_bytes(store.path)
        for needle in (marker, marker.lower(), "Long Marker Okapi"):
            assert needle.encode() not in data
        assert other.encode() in data
    with StateStore(store.path, 30, 3, clock=clock) as reopened:
        with reopened.db.transaction(write=False) as conn:
            for table in ("turns", "gaps", "feedback"):
                assert conn.execute(f"SELECT COUNT(*) FROM {table} WHERE user_id = 42").fetchone()[0] == 0
        assert reopened.history(1, None) == [f"{other} turn"]
        stats = reopened.stats()
        assert stats.gaps == [(f"{other} gap", 1)]
        assert (stats.feedback_up, stats.feedback_down) == (1, 0)
        assert stats.questions == 3, "the anonymous per-day counters are not about anyone and stay"
    with StateStore(store.path, 30, 3, clock=clock) as again:
        assert again.forget_user(42) == 0


# -- files, schema, threads -----------------------------------------------------------------------


def test_file_is_private_and_in_wal_mode(store: StateStore) -> None:
    assert stat.S_IMODE(store.path.stat().st_mode) == 0o600
    with store.db.transaction(write=False) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
        assert conn.execute("PRAGMA secure_delete").fetchone()[0] == 1
        assert conn.execute("SELECT version FROM schema_version").fetchone()[0] == SCHEMA_VERSION


def test_a_newer_schema_is_refused(db_path: Path) -> None:
    StateStore(db_path, 30, 3).close()
    with sqlite3.connect(db_path) as conn:
        conn.execute("UPDATE schema_version SET version = ?", (SCHEMA_VERSION + 1,))
    conn.close()
    with pytest.raises(StateError, match="newer"):
        StateStore(db_path, 30, 3)


def test_closed_store_raises(db_path: Path) -> None:
    store = StateStore(db_path, 30, 3)
    store.close()
    store.close()
    with pytest.raises(StateError, match="closed"):
        store.history(1, None)


def test_concurrent_threads(db_path: Path) -> None:
    store = StateStore(db_path, 30, 50)
    errors: list[BaseException] = []

    def work(user: int) -> None:
        try:
            for n in range(25):
                store.add_turn(user, None, user, f"q{n}")
                store.record_question(user, n % 2 == 0, f"gap {user}")
                store.add_feedback(user, user, n, 1)
                store.history(user, None)
        except BaseException as exc:  # collected for the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(user,)) for user in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert not errors
    stats = store.stats()
    assert (stats.questions, stats.answered, stats.feedback_up) == (200, 104, 200)
    assert all(store.history(user, None) == [f"q{n}" for n in range(25)] for user in range(8))
    store.close()


# -- crash safety ---------------------------------------------------------------------------------

WRITER = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from bot.telegram.state import StateStore

    store = StateStore(Path(sys.argv[1]), retention_days=30, max_turns=3)
    i = int(sys.argv[2])
    while True:
        if i % 40 == 0:
            store.forget_user(i % 7)
        store.add_turn(i % 5, None, i % 7, f"question {i} " + "x" * (i * 37 % 3000))
        store.record_question(i % 7, i % 2 == 0, f"gap {i % 11}")
        store.add_feedback(i % 7, i % 5, i % 13, 1 if i % 3 else -1)
        print(i, flush=True)
        i += 1
    """
)


def test_sigkill_mid_write_leaves_a_loadable_database(db_path: Path) -> None:
    """Kill a writer at random moments; every acknowledged write survives and the file is intact."""
    rng = random.Random(1234)
    start = 0
    for _ in range(4):
        proc = subprocess.Popen(
            [sys.executable, "-c", WRITER, str(db_path), str(start)],
            cwd=ROOT,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
            stdout=subprocess.PIPE,
            text=True,
        )
        try:
            assert proc.stdout is not None
            for _ in range(20):  # wait for some writes to be acknowledged
                assert proc.stdout.readline(), "the writer died"
            threading.Event().wait(rng.uniform(0.0, 0.3))
            proc.send_signal(signal.SIGKILL)
            out, _ = proc.communicate(timeout=10)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        assert proc.returncode == -signal.SIGKILL
        acknowledged = [int(line) for line in out.split()]
        last = acknowledged[-1] if acknowledged else None

        with sqlite3.connect(db_path) as raw:
            assert raw.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
            assert (
                raw.execute("SELECT MAX(n) FROM (SELECT COUNT(*) AS n FROM turns GROUP BY chat_id)").fetchone()[0] <= 3
            )
        raw.close()
        with StateStore(db_path, 30, 3) as store:
            if last is not None:
                latest = store.history(last % 5, None)[-1]
                assert latest.startswith(f"question {last} "), "an acknowledged write was lost"
            stats = store.stats()
            assert stats.questions >= stats.unanswered >= 0
            start = (last if last is not None else start) + 1


# -- properties -----------------------------------------------------------------------------------


@settings(max_examples=40, deadline=None)
@given(
    max_turns=st.integers(min_value=0, max_value=6),
    turns=st.lists(st.tuples(st.sampled_from([(1, None), (1, 2), (3, None)]), st.text(max_size=30)), max_size=15),
)
def test_history_is_the_last_max_turns_in_order(
    max_turns: int, turns: list[tuple[tuple[int, int | None], str]]
) -> None:
    with tempfile.TemporaryDirectory() as folder, StateStore(Path(folder) / "s.sqlite3", 30, max_turns) as store:
        expected: dict[tuple[int, int | None], list[str]] = {}
        for (chat, thread), text in turns:
            store.add_turn(chat, thread, 9, text)
            expected.setdefault((chat, thread), []).append(text.encode("utf-8", "replace").decode("utf-8"))
        for (chat, thread), texts in expected.items():
            got = store.history(chat, thread)
            assert len(got) <= max_turns
            assert got == (texts[-max_turns:] if max_turns else [])
