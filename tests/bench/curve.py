"""The scale curve (issue 18, point 4): one row per corpus size, as a Markdown table and a PNG plot.

Why a separate view of the report: the full table has every figure of every step; the curve keeps the
few that show how cost grows with the knowledge base (answer latency beside the peer and the floor,
cold start, the bot's memory, a one-article re-ingest), with the load average each was taken under,
since on a shared machine the absolute figures move with it. Both files are rewritten after each size,
so a run stopped early still leaves the rows it has.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.bench.report import dig

COLUMNS: tuple[tuple[str, str, int], ...] = (
    ("articles", "@articles", 0),
    ("chunks", "@chunks", 0),
    ("vectors", "@vectors", 0),
    ("ours p50 ms", "answer.ours.p50_ms", 1),
    ("ours p95 ms", "answer.ours.p95_ms", 1),
    ("peer p50 ms", "answer.peer.p50_ms", 1),
    ("peer p95 ms", "answer.peer.p95_ms", 1),
    ("floor p50 ms", "answer.floor.p50_ms", 1),
    ("floor p95 ms", "answer.floor.p95_ms", 1),
    ("ours / peer p50", "answer.ours_over_peer_p50", 2),
    ("ours / floor p50", "answer.ours_over_floor_p50", 2),
    ("cold start s (median)", "coldstart.median_s", 2),
    ("bot RSS MB", "memory.bot_process.maxrss_mb", 0),
    ("one changed, CLI s", "ingest.one_changed.cli.wall_s", 1),
    ("load avg start / end", "load_average", 1),
)
"""Each column: its header, where its value is (`@key` on the corpus, else a path in its figures), decimals."""


def _value(corpus: dict[str, Any], path: str) -> Any:
    return corpus.get(path[1:]) if path.startswith("@") else dig(corpus["figures"], path)


def _cell(value: Any, digits: int) -> str:
    if value is None:
        return "–"
    if isinstance(value, dict):  # the load average: the 1-minute figure at the corpus's start and end
        start, end = ((value.get(k) or [None])[0] for k in ("start", "end"))
        return f"{_cell(start, digits)} / {_cell(end, digits)}"
    if isinstance(value, float):
        return f"{value:,.{digits}f}"
    return f"{value:,}" if isinstance(value, int) else str(value)


def rows(report: dict[str, Any]) -> list[dict[str, Any]]:
    """One dict per corpus: header -> raw value (the JSON form of the curve)."""
    return [{h: _value(c, p) for h, p, _ in COLUMNS} for c in report["corpora"]]


def markdown(report: dict[str, Any]) -> str:
    machine = report.get("machine") or {}
    lines = [
        f"Scale curve, profile {report['profile']}, started {report.get('started')}, commit "
        f"{str((report.get('commit') or {}).get('sha'))[:10]}, on {machine.get('cpu_count')} CPUs "
        f"({machine.get('cpu_model')}), {machine.get('ram_gb')} GB RAM.",
        "",
        "| " + " | ".join(h for h, _, _ in COLUMNS) + " |",
        "| " + " | ".join("---" for _ in COLUMNS) + " |",
    ]
    for corpus in report["corpora"]:
        lines.append("| " + " | ".join(_cell(_value(corpus, p), d) for _, p, d in COLUMNS) + " |")
    if any(c.get("vectors") == "generated" for c in report["corpora"]):
        lines += [
            "",
            "Rows with generated vectors: the chunk vectors (ours and the peer's) were generated, not encoded "
            "(tests/bench/vectors.py), and stored through the ingest's own path; questions were encoded by the model.",
        ]
    return "\n".join(lines) + "\n"


def plot(report: dict[str, Any], path: Path) -> None:
    """Four panels against the number of articles (log scale): answer latency (ours, peer, floor), cold start,
    bot RSS, one-changed re-ingest. Points with generated vectors are hollow."""
    import matplotlib

    matplotlib.use("Agg")  # files only, no display
    import matplotlib.pyplot as plt

    corpora = [c for c in report["corpora"] if isinstance(c.get("articles"), int)]
    fig, axes = plt.subplots(2, 2, figsize=(11, 8), constrained_layout=True)
    panels: list[tuple[Any, str, list[tuple[str, str, str]]]] = [
        (
            axes[0][0],
            "warm answer latency, ms (log)",
            [
                ("ours p50", "answer.ours.p50_ms", "C0-"),
                ("ours p95", "answer.ours.p95_ms", "C0--"),
                ("peer p50", "answer.peer.p50_ms", "C1-"),
                ("peer p95", "answer.peer.p95_ms", "C1--"),
                ("floor p50", "answer.floor.p50_ms", "C2-"),
                ("floor p95", "answer.floor.p95_ms", "C2--"),
            ],
        ),
        (axes[0][1], "cold start of `python -m bot ask`, s (median)", [("ours", "coldstart.median_s", "C0-")]),
        (axes[1][0], "bot process peak RSS, MB", [("ours", "memory.bot_process.maxrss_mb", "C0-")]),
        (axes[1][1], "one article changed: CLI re-ingest, s", [("ours", "ingest.one_changed.cli.wall_s", "C0-")]),
    ]
    for ax, title, series in panels:
        for label, figure, style in series:
            points = [(c["articles"], dig(c["figures"], figure), c.get("vectors") == "generated") for c in corpora]
            points = [p for p in points if isinstance(p[1], int | float)]
            if not points:
                continue
            xs, ys = [p[0] for p in points], [p[1] for p in points]
            (line,) = ax.plot(xs, ys, style, label=label)
            for x, y, generated in points:
                ax.plot([x], [y], "o", color=line.get_color(), fillstyle="none" if generated else "full")
        ax.set_xscale("log")
        sizes = sorted({c["articles"] for c in corpora})
        ax.set_xticks(sizes, [f"{a:,}" for a in sizes], minor=False)
        ax.set_xticks([], minor=True)
        ax.set_xlabel("articles")
        ax.set_title(title, fontsize=10)
        ax.grid(True, which="both", alpha=0.3)
        if len(series) > 1:
            ax.set_yscale("log")  # ours, the peer and the floor can lie an order of magnitude apart
        else:
            ax.set_ylim(bottom=0)
        if len(series) > 1:
            ax.legend(fontsize=8)
    loads = ", ".join(f"{c['articles']:,}: {_cell(c['figures'].get('load_average'), 1)}" for c in corpora)
    fig.suptitle(
        f"Hiring Advisor scale curve ({report['profile']}, {report.get('started')}); load average per size {loads}; "
        "hollow points: generated vectors",
        fontsize=9,
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100)
    plt.close(fig)


def write_curve(report: dict[str, Any], out: Path) -> tuple[Path, Path]:
    """The Markdown table and the PNG beside the JSON report (same name, .md and .png)."""
    md, png = out.with_suffix(".md"), out.with_suffix(".png")
    md.write_text(markdown(report), encoding="utf-8")
    plot(report, png)
    return md, png


def main(argv: list[str] | None = None) -> int:
    """`python -m tests.bench.curve REPORT.json`: redraw the table and the plot of a finished report."""
    import argparse
    import json

    parser = argparse.ArgumentParser(prog="python -m tests.bench.curve", description=main.__doc__)
    parser.add_argument("report", type=Path)
    args = parser.parse_args(argv)
    report = json.loads(args.report.read_text(encoding="utf-8"))
    for path in write_curve(report, args.report):
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
