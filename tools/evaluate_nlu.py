"""Honest NLU evaluation on held-out data: topics, specific answers, fallback, entities, latency.

Runs in the Rasa environment (.venv-rasa, Python 3.10):

    .venv-rasa/bin/python tools/evaluate_nlu.py --model models/akar.tar.gz \
        --data tests/nlu/test_nlu.yml --name heldout --out results/eval [--min-macro-f1 0.85]

Why not only `rasa test nlu`: its macro average counts `nlu_fallback` as a class of its own
(with no support, precision 0), it scores entities per token, and it does not score the answer
a seller gets (the best answer inside the predicted topic). Topic and answer scores come from
tools/nlu_scoring.py, shared with the baseline (tools/baseline_nlu.py), so every system in
`make eval` is scored the same way; an entity counts only if type, start and end all match.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

# The model names its custom component by module path (akar_nlu.answer_classifier).
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from nlu_scoring import answer_errors, score

NLU_FALLBACK = "nlu_fallback"
# Entities the NLU extracts; `topik` only ever comes from button payloads.
EVALUATED_ENTITIES = {"kota", "platform", "kurir", "berat", "dimensi"}

Span = tuple[str, int, int]


def gold_examples(path: str) -> list[dict[str, Any]]:
    from rasa.shared.nlu.training_data.loading import load_data

    data = load_data(path, language="id")
    examples = []
    for message in data.intent_examples:
        examples.append(
            {
                "text": message.get("text"),
                "intent": message.get("intent"),
                "key": message.get("intent_response_key") or message.get("intent"),
                "entities": [
                    {
                        "entity": e["entity"],
                        "start": e["start"],
                        "end": e["end"],
                        "role": e.get("role"),
                    }
                    for e in message.get("entities", []) or []
                ],
            }
        )
    return examples


def ranked_answers(parsed: dict[str, Any]) -> list[tuple[str, float]]:
    """Every specific answer the response selector ranked, best first, with its confidence."""
    scored: dict[str, float] = {}
    for name, block in (parsed.get("response_selector") or {}).items():
        if name == "all_retrieval_intents" or not isinstance(block, dict):
            continue
        for entry in block.get("ranking") or []:
            key = entry.get("intent_response_key")
            if key:
                scored[key] = max(scored.get(key, 0.0), float(entry.get("confidence") or 0.0))
    return sorted(scored.items(), key=lambda item: -item[1])


async def predict(model: str, examples: list[dict[str, Any]]) -> list[dict[str, Any]]:
    from rasa.core.agent import Agent

    agent = Agent.load(model)
    # Warm-up: the first parse builds TensorFlow's graph and would distort the latency figures.
    await agent.parse_message("halo")
    predictions = []
    for example in examples:
        started = time.perf_counter()
        parsed = await agent.parse_message(example["text"])
        elapsed_ms = (time.perf_counter() - started) * 1000
        predictions.append(
            {
                "intent": (parsed.get("intent") or {}).get("name") or NLU_FALLBACK,
                "confidence": (parsed.get("intent") or {}).get("confidence") or 0.0,
                "answers": [key for key, _ in ranked_answers(parsed)],
                "answer_scores": [score for _, score in ranked_answers(parsed)],
                "entities": [
                    {
                        "entity": e["entity"],
                        "start": e["start"],
                        "end": e["end"],
                        "role": e.get("role"),
                        "value": e.get("value"),
                    }
                    for e in parsed.get("entities", [])
                    if e.get("entity") in EVALUATED_ENTITIES
                ],
                "latency_ms": elapsed_ms,
            }
        )
    return predictions


def entity_metrics(
    gold: list[list[dict[str, Any]]], predicted: list[list[dict[str, Any]]]
) -> dict[str, Any]:
    """Exact-span F1 (type + start + end), micro over all entities and per entity type."""
    counts: dict[str, Counter] = {}
    role_total = role_correct = 0
    for gold_entities, predicted_entities in zip(gold, predicted, strict=True):
        gold_spans: set[Span] = {(e["entity"], e["start"], e["end"]) for e in gold_entities}
        predicted_spans: set[Span] = {
            (e["entity"], e["start"], e["end"]) for e in predicted_entities
        }
        for span in gold_spans | predicted_spans:
            bucket = counts.setdefault(span[0], Counter())
            if span in gold_spans and span in predicted_spans:
                bucket["tp"] += 1
            elif span in predicted_spans:
                bucket["fp"] += 1
            else:
                bucket["fn"] += 1
        predicted_roles = {
            (e["entity"], e["start"], e["end"]): e.get("role") for e in predicted_entities
        }
        for e in gold_entities:
            if e.get("role"):
                role_total += 1
                role_correct += (
                    predicted_roles.get((e["entity"], e["start"], e["end"])) == e["role"]
                )

    def f1(c: Counter) -> dict[str, Any]:
        precision = c["tp"] / max(1, c["tp"] + c["fp"])
        recall = c["tp"] / max(1, c["tp"] + c["fn"])
        score = 2 * precision * recall / max(1e-9, precision + recall)
        return {
            "precision": round(precision, 4),
            "recall": round(recall, 4),
            "f1": round(score, 4),
            "support": c["tp"] + c["fn"],
        }

    total = sum(counts.values(), Counter())
    return {
        "micro_f1": f1(total)["f1"],
        "role_accuracy": round(role_correct / max(1, role_total), 4),
        "per_entity": {name: f1(c) for name, c in sorted(counts.items())},
    }


def plot_confusion(gold: list[str], predicted: list[str], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from sklearn.metrics import confusion_matrix

    labels = sorted(set(gold)) + ([NLU_FALLBACK] if NLU_FALLBACK in predicted else [])
    labels += sorted(set(predicted) - set(labels))
    matrix = confusion_matrix(gold, predicted, labels=labels)
    size = max(8, len(labels) * 0.45)
    figure, axes = plt.subplots(figsize=(size, size))
    axes.imshow(matrix, cmap="Blues")
    axes.set_xticks(range(len(labels)), labels, rotation=90, fontsize=8)
    axes.set_yticks(range(len(labels)), labels, fontsize=8)
    axes.set_xlabel("predicted")
    axes.set_ylabel("true")
    for i in range(len(labels)):
        for j in range(len(labels)):
            if matrix[i, j]:
                colour = "white" if matrix[i, j] > matrix.max() / 2 else "black"
                axes.text(
                    j, i, str(matrix[i, j]), ha="center", va="center", fontsize=7, color=colour
                )
    axes.set_title(f"Intent confusion: {path.parent.name}")
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


def evaluate(model: str, data: str, name: str, out: Path) -> dict[str, Any]:
    examples = gold_examples(data)
    predictions = asyncio.run(predict(model, examples))
    latencies = [p["latency_ms"] for p in predictions]
    report = {
        "name": name,
        "data": data,
        "model": model,
        **score(examples, predictions),
        "entities": entity_metrics(
            [e["entities"] for e in examples], [p["entities"] for p in predictions]
        ),
        "parse_latency_ms": {
            "p50": round(percentile(latencies, 50), 1),
            "p95": round(percentile(latencies, 95), 1),
        },
    }
    folder = out / name
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "report.json").write_text(json.dumps(report, indent=2, ensure_ascii=False))
    (folder / "answer_errors.json").write_text(
        json.dumps(answer_errors(examples, predictions), indent=2, ensure_ascii=False)
    )
    plot_confusion(
        [e["intent"] for e in examples],
        [p["intent"] for p in predictions],
        folder / "intent_confusion_matrix.png",
    )
    return report


def _table_row(label: str, m: dict[str, Any]) -> str:
    return (
        f"| {label} | {m['precision']:.2f} | {m['recall']:.2f} | {m['f1']:.2f} | {m['support']} |"
    )


def clarify_line(clarify: dict[str, Any] | None) -> list[str]:
    if not clarify:
        return []
    return [
        f'- "Maksud Kakak yang mana?" asked for {clarify["asked_rate"]:.1%} of topic messages; '
        f"right answer among its buttons {clarify['right_among_choices']:.1%}; right answer "
        f"sent or offered {clarify['right_either_way']:.3f}"
    ]


def summary(report: dict[str, Any]) -> str:
    intents, entities = report["intents"], report["entities"]
    answers = report["answers"]
    latency = report["parse_latency_ms"]
    lines = [
        f"## {report['name']} ({report['messages']} messages, {report['data']})",
        f"- topic macro-F1 {intents['macro_f1']:.3f}, accuracy {intents['accuracy']:.3f}",
        f"- specific answer top-1 {answers['top1']:.3f}, top-3 {answers['top3']:.3f} "
        f"({answers['messages']} topic messages; top-1 when the topic is right "
        f"{answers['top1_when_topic_right']:.3f})",
        *clarify_line(report.get("clarify")),
        f"- in-scope fallback rate {intents['in_scope_fallback_rate']:.1%}",
        f"- entity F1 (exact span) {entities['micro_f1']:.3f}; "
        f"role accuracy {entities['role_accuracy']:.3f}",
        f"- parse latency p50 {latency['p50']} ms, p95 {latency['p95']} ms",
        "",
        "| intent | precision | recall | F1 | n |",
        "|---|---|---|---|---|",
    ]
    for label, m in intents["per_intent"].items():
        lines.append(_table_row(label, m))
    lines += ["", "| entity | precision | recall | F1 | n |", "|---|---|---|---|---|"]
    for label, m in entities["per_entity"].items():
        lines.append(_table_row(label, m))
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description="Evaluate the trained NLU on a held-out file.")
    parser.add_argument("--model", default="models/akar.tar.gz")
    parser.add_argument("--data", default="tests/nlu/test_nlu.yml")
    parser.add_argument("--name", default="heldout")
    parser.add_argument("--out", type=Path, default=Path("results/eval"))
    parser.add_argument("--min-macro-f1", type=float, default=None, help="fail below this")
    parser.add_argument(
        "--min-answer-top1", type=float, default=None, help="fail below this answer accuracy"
    )
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    from rasa.utils.log_utils import configure_structlog

    # Rasa logs every parse at debug level through structlog; the report is what matters here.
    configure_structlog(logging.WARNING)
    report = evaluate(args.model, args.data, args.name, args.out)
    text = summary(report)
    (args.out / args.name / "summary.md").write_text(text)
    print(text)
    failed = False
    for label, value, floor in (
        ("topic macro-F1", report["intents"]["macro_f1"], args.min_macro_f1),
        ("specific-answer top-1", report["answers"]["top1"], args.min_answer_top1),
    ):
        if floor is not None and value < floor:
            print(f"FAIL: {label} {value:.3f} < floor {floor}", file=sys.stderr)
            failed = True
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
