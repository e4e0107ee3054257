"""The report: targets judged per corpus, the JSON file, and a readable table."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPORT_KEYS = ("machine", "profile", "started", "commit", "corpora")
CORPUS_KEYS = ("name", "articles", "chunks", "figures", "targets")


def dig(data: dict[str, Any], path: str) -> Any:
    """data["a"]["b"] for "a.b"; None when any step is missing."""
    node: Any = data
    for part in path.split("."):
        if isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        elif isinstance(node, dict) and part in node:
            node = node[part]
        else:
            return None
    return node


@dataclass(frozen=True)
class Target:
    name: str
    path: str
    limit: float
    higher_is_better: bool
    unit: str
    note: str = ""

    def judge(self, figures: dict[str, Any]) -> dict[str, Any]:
        value = dig(figures, self.path)
        if isinstance(value, bool) or not isinstance(value, int | float):
            holds = None
        else:
            holds = value >= self.limit if self.higher_is_better else value <= self.limit
        sign = ">=" if self.higher_is_better else "<="
        return {
            "name": self.name,
            "target": f"{sign} {self.limit:g}{self.unit}" + (f" ({self.note})" if self.note else ""),
            "value": value,
            "unit": self.unit,
            "holds": holds,
        }


TARGETS = (
    Target("answer p50 within 2x the floor", "answer.ours_over_floor_p50", 2.0, False, "x"),
    Target("ingest throughput vs raw encode", "ingest.inprocess_over_raw", 0.9, True, "x"),
    Target("no-change re-ingest (CLI wall)", "ingest.nochange.cli.wall_s", 10.0, False, " s", "set at 3,000 articles"),
    Target("cold start to first answer", "coldstart.median_s", 8.0, False, " s"),
    Target("bot RSS (python -m bot ask)", "memory.bot_process.maxrss_mb", 700.0, False, " MB", "set at 3,000 articles"),
    Target("lost answers through the emulator", "telegram.lost", 0, False, ""),
    Target("longest event-loop stall", "telegram.max_stall_ms", 200.0, False, " ms"),
)


def judge(figures: dict[str, Any]) -> list[dict[str, Any]]:
    return [t.judge(figures) for t in TARGETS]


def write_report(report: dict[str, Any], out: Path) -> None:
    missing = [k for k in REPORT_KEYS if k not in report]
    if missing:
        raise ValueError(f"report lacks {missing}")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2, sort_keys=False, default=str) + "\n", encoding="utf-8")


def _n(value: Any, digits: int = 1) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:,.{digits}f}"
    return f"{value:,}" if isinstance(value, int) else str(value)


Row = tuple[str, tuple[str, ...], int]
"""A table row: its label, the figures it shows (joined by ' / ') and their decimals."""
ROWS: tuple[Row, ...] = (
    ("articles / chunks", ("@articles", "@chunks"), 0),
    ("chunks per article min / max", ("chunks_per_article.min", "chunks_per_article.max"), 0),
    ("answer p50 / p95 ms: ours", ("answer.ours.p50_ms", "answer.ours.p95_ms"), 1),
    ("  floor (encode + query)", ("answer.floor.p50_ms", "answer.floor.p95_ms"), 1),
    ("  peer (LangChain tutorial)", ("answer.peer.p50_ms", "answer.peer.p95_ms"), 1),
    ("  ours / floor, ours / peer (p50)", ("answer.ours_over_floor_p50", "answer.ours_over_peer_p50"), 2),
    ("ingest in-process: s / chunks/s", ("ingest.inprocess.seconds", "ingest.inprocess.chunks_per_s"), 1),
    ("  texts encoded; ours / raw per text", ("ingest.inprocess.texts_encoded", "ingest.inprocess_over_raw"), 2),
    ("  ours / raw by CPU time", ("ingest.inprocess_over_raw_by_cpu",), 2),
    ("ingest CLI: wall s / chunks/s", ("ingest.cli.wall_s", "ingest.cli.chunks_per_s"), 1),
    ("  CLI / raw", ("ingest.cli_over_raw",), 2),
    (
        "peer ingest: s / chunks / chunks/s",
        ("peer_ingest.total_s", "peer_ingest.chunks", "peer_ingest.chunks_per_s"),
        1,
    ),
    ("no-change re-ingest s: CLI / in-proc", ("ingest.nochange.cli.wall_s", "ingest.nochange.inprocess.seconds"), 2),
    (
        "one changed re-ingest s: CLI / in-proc",
        ("ingest.one_changed.cli.wall_s", "ingest.one_changed.inprocess.seconds"),
        2,
    ),
    ("cold start s: median / min / max", ("coldstart.median_s", "coldstart.min_s", "coldstart.max_s"), 2),
    (
        "  LLM mode (fake model): median / min / max",
        ("coldstart_llm.median_s", "coldstart_llm.min_s", "coldstart_llm.max_s"),
        2,
    ),
    ("RSS MB ingest CLI: max proc / tree", ("memory.ingest_cli.maxrss_mb", "memory.ingest_cli.peak_tree_mb"), 0),
    ("RSS MB bot process / in-process", ("memory.bot_process.maxrss_mb", "memory.bot_inprocess_rss_mb"), 0),
    ("telegram: answers/s", ("telegram.answers_per_s",), 1),
    ("  p50 / p95 ms", ("telegram.p50_ms", "telegram.p95_ms"), 0),
    ("  max loop stall ms", ("telegram.max_stall_ms",), 0),
    ("  answered / lost / duplicates", ("telegram.answered", "telegram.lost", "telegram.duplicates"), 0),
    ("load average start / end", ("load_average.start.0", "load_average.end.0"), 2),
    ("corpus wall s", ("phases_s.total",), 0),
)


def _cell(corpus: dict[str, Any], paths: tuple[str, ...], digits: int) -> str:
    figures = corpus["figures"]
    if paths[0].startswith("telegram.") and not (figures.get("telegram") or {}).get("available"):
        return "n/a"
    values = [corpus.get(p[1:]) if p.startswith("@") else dig(figures, p) for p in paths]
    return " / ".join(_n(v, digits) for v in values)


def _grid(header: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]

    def line(r: list[str]) -> str:
        return "  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths, strict=True)))

    return "\n".join([line(header), "  ".join("-" * w for w in widths), *[line(r) for r in rows]])


def _verdict(t: dict[str, Any]) -> str:
    if t["holds"] is None:
        return "not measured"
    value = t["value"]
    shown = f"{value:,.2f}" if isinstance(value, float) else f"{value}"
    return f"{'holds' if t['holds'] else 'MISSES'} {shown}{t['unit']}"


def table(report: dict[str, Any]) -> str:
    corpora = report["corpora"]
    header = ["figure", *[c["name"] for c in corpora]]
    rows = [[label, *[_cell(c, paths, digits) for c in corpora]] for label, paths, digits in ROWS]
    targets = [
        [f"{t['name']} ({t['target']})", *[_verdict(c["targets"][i]) for c in corpora]]
        for i, t in enumerate(corpora[0]["targets"] if corpora else [])
    ]
    machine = report["machine"]
    head = (
        f"Bench {report['profile']} on {machine.get('cpu_count')} CPUs ({machine.get('cpu_model')}), "
        f"{machine.get('ram_gb')} GB RAM, torch threads {machine.get('torch_threads')}; "
        f"commit {str((report.get('commit') or {}).get('sha'))[:10]}; wall {_n(report.get('wall_s'), 0)} s"
    )
    return "\n\n".join([head, _grid(header, rows), _grid(["target", *header[1:]], targets)])
