"""Collects `make eval`'s results into results/eval/REPORT.md: the pipeline beside its baselines.

One run, one machine, the same data: the Rasa pipeline (config.yml), the TF-IDF + logistic
regression baseline (tools/baseline_nlu.py) and Rasa's default config
(tools/eval_configs/rasa_default.yml), each on the held-out set and its perturbed copy, plus
5-fold cross-validation of the pipeline and the baseline on the same folds. Each target of
issue #14 is checked, including the lead over the best baseline (5 points).

Reads, under the folder given (default results/eval):
  <system>-heldout/report.json, <system>-perturbed/report.json   (system: pipeline, baseline,
  rasa-default), <system>-train_seconds.txt (Rasa systems), cv/report.json.

Usage: python tools/eval_report.py results/eval
"""

from __future__ import annotations

import json
import os
import platform
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

SYSTEMS = ("pipeline", "baseline", "rasa-default")
TITLES = {
    "pipeline": "this pipeline (config.yml)",
    "baseline": "TF-IDF + LogReg",
    "rasa-default": "Rasa default config",
}
LEAD_POINTS = 0.05


def load(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else None


def cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


@dataclass(frozen=True)
class Measure:
    name: str
    read: Callable[[dict[str, Any]], float | None]
    fmt: str
    target: float | None = None
    higher_is_better: bool = True
    needs_lead: bool = False


def dig(*path: str) -> Callable[[dict[str, Any]], float | None]:
    def read(results: dict[str, Any]) -> float | None:
        value: Any = results
        for part in path:
            if not isinstance(value, dict) or part not in value:
                return None
            value = value[part]
        return float(value) if value is not None else None

    return read


MEASURES = (
    Measure(
        "held-out topic macro-F1", dig("heldout", "intents", "macro_f1"), ".3f", 0.96, True, True
    ),
    Measure(
        "held-out specific answer, top-1",
        dig("heldout", "answers", "top1"),
        ".3f",
        0.92,
        True,
        True,
    ),
    Measure("held-out specific answer, top-3", dig("heldout", "answers", "top3"), ".3f"),
    Measure(
        "held-out answer top-1 when the topic is right",
        dig("heldout", "answers", "top1_when_topic_right"),
        ".3f",
    ),
    Measure(
        '"Maksud Kakak yang mana?" asked (share of topic messages)',
        dig("heldout", "clarify", "asked_rate"),
        ".1%",
    ),
    Measure(
        "right answer sent, or offered among its buttons",
        dig("heldout", "clarify", "right_either_way"),
        ".3f",
    ),
    Measure(
        "held-out in-scope fallback rate",
        dig("heldout", "intents", "in_scope_fallback_rate"),
        ".1%",
        higher_is_better=False,
    ),
    Measure(
        "perturbed topic macro-F1", dig("perturbed", "intents", "macro_f1"), ".3f", 0.90, True, True
    ),
    Measure("perturbed specific answer, top-1", dig("perturbed", "answers", "top1"), ".3f"),
    Measure("5-fold CV topic macro-F1 (nlu/)", dig("cv", "topic_macro_f1"), ".3f"),
    Measure("5-fold CV specific answer, top-1", dig("cv", "answer_top1"), ".3f", 0.85, True, True),
    Measure("5-fold CV specific answer, top-3", dig("cv", "answer_top3"), ".3f"),
    Measure("held-out entity F1 (exact span)", dig("heldout", "entities", "micro_f1"), ".3f"),
    Measure("parse latency p95 (ms)", dig("heldout", "parse_latency_ms", "p95"), ".1f", 30, False),
    Measure("training time (s)", dig("train_seconds"), ".0f", 120, False),
)


def results_of(folder: Path, system: str, cv: dict[str, Any] | None) -> dict[str, Any]:
    results: dict[str, Any] = {
        "heldout": load(folder / f"{system}-heldout" / "report.json"),
        "perturbed": load(folder / f"{system}-perturbed" / "report.json"),
        "cv": (cv or {}).get(system),
    }
    seconds_file = folder / f"{system}-train_seconds.txt"
    if seconds_file.exists():
        results["train_seconds"] = float(seconds_file.read_text())
    elif results["heldout"] and "train_seconds" in results["heldout"]:
        results["train_seconds"] = results["heldout"]["train_seconds"]
    return results


def verdict(measure: Measure, values: dict[str, float | None]) -> str:
    ours = values["pipeline"]
    if ours is None or measure.target is None:
        return ""
    met = ours >= measure.target if measure.higher_is_better else ours <= measure.target
    parts = ["met" if met else "MISSED"]
    if measure.needs_lead:
        others = [v for s, v in values.items() if s != "pipeline" and v is not None]
        if others:
            lead = ours - max(others)
            parts.append(f"lead {lead * 100:+.1f} pts {'✓' if lead >= LEAD_POINTS else '✗'}")
    return ", ".join(parts)


def table(folder: Path) -> list[str]:
    cv = load(folder / "cv" / "report.json")
    results = {system: results_of(folder, system, cv) for system in SYSTEMS}
    header = "| measure | " + " | ".join(TITLES[s] for s in SYSTEMS) + " | target | |"
    lines = [header, "|---" * (len(SYSTEMS) + 3) + "|"]
    for measure in MEASURES:
        values = {s: measure.read(results[s]) for s in SYSTEMS}
        cells = ["n/a" if v is None else format(v, measure.fmt) for v in values.values()]
        if measure.target is None:
            target = ""
        else:
            sign = "≥" if measure.higher_is_better else "≤"
            target = f"{sign} {format(measure.target, measure.fmt)}"
        lines.append(
            f"| {measure.name} | "
            + " | ".join(cells)
            + f" | {target} | {verdict(measure, values)} |"
        )
    return lines


def main() -> int:
    folder = Path(sys.argv[1] if len(sys.argv) > 1 else "results/eval")
    heldout = load(folder / "pipeline-heldout" / "report.json") or {}
    lines = [
        "# NLU evaluation (make eval)",
        "",
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC · {cpu_name()} · {os.cpu_count()} cores · "
        f"held-out {heldout.get('messages', 'n/a')} messages "
        f"({(heldout.get('answers') or {}).get('messages', 'n/a')} topic messages)",
        "",
        *table(folder),
        "",
        "Training time: the pipeline's whole `rasa train` (NLU and dialogue policies); Rasa's",
        "default config: `rasa train nlu`; the baseline: fitting the vectoriser and the model.",
        "Wrong answers with what the seller would have got: <system>-heldout/answer_errors.json.",
    ]
    report = "\n".join(lines) + "\n"
    (folder / "REPORT.md").write_text(report, encoding="utf-8")
    print(report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
