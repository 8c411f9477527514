"""Collects `make eval`'s results into results/eval/REPORT.md, checked against issue #3's targets.

Reads heldout/ and perturbed/ (tools/evaluate_nlu.py), cv/ (`rasa test nlu --cross-validation`)
and train_seconds.txt. For cross-validation the macro-F1 is recomputed over the real intents:
Rasa's own macro average also counts `nlu_fallback` as a class (support 0, F1 0).

Usage: python tools/eval_report.py results/eval
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

SUMMARY_KEYS = {"accuracy", "macro avg", "weighted avg", "micro avg"}


def load(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else None


def cv_intents(folder: Path) -> dict[str, float] | None:
    report = load(folder / "intent_report.json")
    if not report:
        return None
    per_intent = {
        name: values
        for name, values in report.items()
        if name not in SUMMARY_KEYS and name != "nlu_fallback" and isinstance(values, dict)
    }
    supported = [v for v in per_intent.values() if v.get("support", 0) > 0]
    return {
        "macro_f1": statistics.fmean(v["f1-score"] for v in supported),
        "accuracy": float(report.get("accuracy", 0.0)),
    }


def cv_entity_f1(folder: Path) -> float | None:
    report = load(folder / "CRFEntityExtractor_report.json")
    if not report:
        return None
    micro = report.get("micro avg") or report.get("weighted avg") or {}
    return micro.get("f1-score")


def cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def main() -> int:
    folder = Path(sys.argv[1] if len(sys.argv) > 1 else "results/eval")
    heldout = load(folder / "heldout" / "report.json")
    perturbed = load(folder / "perturbed" / "report.json")
    cv = cv_intents(folder / "cv")
    cv_entities = cv_entity_f1(folder / "cv")
    seconds_file = folder / "train_seconds.txt"
    train_seconds = float(seconds_file.read_text()) if seconds_file.exists() else None

    rows: list[tuple[str, str, str, bool | None]] = []

    def row(name: str, value: float | None, target: str, ok: bool | None, fmt: str) -> None:
        rows.append((name, "n/a" if value is None else format(value, fmt), target, ok))

    if heldout:
        h = heldout["intents"]
        row("Held-out intent macro-F1", h["macro_f1"], "≥ 0.92", h["macro_f1"] >= 0.92, ".3f")
        row(
            "Held-out in-scope fallback rate",
            h["in_scope_fallback_rate"],
            "≤ 8%",
            h["in_scope_fallback_rate"] <= 0.08,
            ".1%",
        )
        e = heldout["entities"]["micro_f1"]
        row("Held-out entity F1 (exact span)", e, "≥ 0.90", e >= 0.90, ".3f")
        p95 = heldout["parse_latency_ms"]["p95"]
        row("Parse latency p95 (ms)", p95, "≤ 30", p95 <= 30, ".1f")
    if perturbed:
        p = perturbed["intents"]["macro_f1"]
        row("Perturbed intent macro-F1", p, "≥ 0.85", p >= 0.85, ".3f")
    if train_seconds is not None:
        row("Training time (s)", train_seconds, "≤ 180", train_seconds <= 180, ".0f")
    if cv:
        row("5-fold CV intent macro-F1", cv["macro_f1"], "(reported)", None, ".3f")
    if cv_entities is not None:
        row("5-fold CV entity F1 (CRF, per token)", cv_entities, "(reported)", None, ".3f")

    mark = {True: "met", False: "MISSED", None: ""}
    lines = [
        "# NLU evaluation (make eval)",
        "",
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC · {cpu_name()} · {os.cpu_count()} cores",
        "",
        "| measure | value | target | |",
        "|---|---|---|---|",
        *[f"| {n} | {v} | {t} | {mark[ok]} |" for n, v, t, ok in rows],
        "",
        "Per-intent tables: heldout/summary.md, perturbed/summary.md; confusion matrices:",
        "heldout/intent_confusion_matrix.png, perturbed/intent_confusion_matrix.png, cv/.",
    ]
    report = "\n".join(lines) + "\n"
    (folder / "REPORT.md").write_text(report, encoding="utf-8")
    print(report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
