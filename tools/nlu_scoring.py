"""Scores NLU predictions against a held-out file the same way for every system in `make eval`.

Every system (the Rasa pipeline, Rasa's default config, the TF-IDF baseline) turns each test
message into one prediction: the topic intent, its confidence, and the ranked specific answers
(`tanya_cod/paket_ditolak`, best first, any topic). Scoring only sees that, so the systems are
compared on exactly the same terms.

What a seller gets is decided like `action_jawab_topik` decides it: the best-ranked answer
*inside the predicted topic*. So the answer is right only when the topic is right and that
answer is the gold key; top-3 asks whether the gold key is among the first three answers of the
predicted topic (what a "Maksud Kakak yang mana?" question with three buttons could offer).
A fallback counts as a miss for the true intent; macro-F1 is over the intents of the test set.

Clarifying questions are scored with the assistant's own rule (actions/topic_answer.py
`close_answers`): how often "Maksud Kakak yang mana?" would be asked, how often the right answer
is among its buttons, and how often the seller ends with the right answer either way (sent
directly, or offered as a button).
"""

from __future__ import annotations

import statistics
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypedDict

NLU_FALLBACK = "nlu_fallback"
OUT_OF_SCOPE = "di_luar_topik"


class Gold(TypedDict):
    text: str
    intent: str
    key: str  # the specific answer (`tanya_cod/paket_ditolak`) or, outside topics, the intent


class Prediction(TypedDict):
    intent: str
    confidence: float
    answers: list[str]  # specific answers, best first (may span topics)
    answer_scores: list[float]  # their confidences, in the same order


def topic_of(key: str) -> str:
    return key.split("/", 1)[0]


def answers_within(prediction: Prediction, topic: str) -> list[str]:
    return [key for key in prediction["answers"] if topic_of(key) == topic]


def macro_f1(gold: Sequence[str], predicted: Sequence[str]) -> dict[str, Any]:
    labels = sorted(set(gold))
    per_intent: dict[str, dict[str, float]] = {}
    for label in labels:
        tp = sum(g == label and p == label for g, p in zip(gold, predicted, strict=True))
        fp = sum(g != label and p == label for g, p in zip(gold, predicted, strict=True))
        fn = sum(g == label and p != label for g, p in zip(gold, predicted, strict=True))
        precision = tp / (tp + fp) if tp + fp else 0.0
        recall = tp / (tp + fn) if tp + fn else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        per_intent[label] = {
            "precision": round(precision, 4),
            "recall": round(recall, 4),
            "f1": round(f1, 4),
            "support": tp + fn,
        }
    in_scope = [p for g, p in zip(gold, predicted, strict=True) if g != OUT_OF_SCOPE]
    return {
        "macro_f1": round(statistics.fmean(v["f1"] for v in per_intent.values()), 4),
        "accuracy": round(sum(g == p for g, p in zip(gold, predicted, strict=True)) / len(gold), 4),
        "in_scope_fallback_rate": round(
            sum(p == NLU_FALLBACK for p in in_scope) / max(1, len(in_scope)), 4
        ),
        "per_intent": per_intent,
    }


def answer_scores(gold: Sequence[Gold], predictions: Sequence[Prediction]) -> dict[str, Any]:
    """Specific-answer accuracy over the topic messages (those whose key has a `/`)."""
    total = top1 = top3 = topic_right = top1_given_topic = 0
    per_key: dict[str, list[int]] = {}
    for expected, predicted in zip(gold, predictions, strict=True):
        if "/" not in expected["key"]:
            continue
        total += 1
        ranked = answers_within(predicted, predicted["intent"])
        hit1 = predicted["intent"] == expected["intent"] and ranked[:1] == [expected["key"]]
        top1 += hit1
        top3 += predicted["intent"] == expected["intent"] and expected["key"] in ranked[:3]
        if predicted["intent"] == expected["intent"]:
            topic_right += 1
            top1_given_topic += hit1
        per_key.setdefault(expected["key"], [0, 0])
        per_key[expected["key"]][0] += hit1
        per_key[expected["key"]][1] += 1
    return {
        "messages": total,
        "top1": round(top1 / max(1, total), 4),
        "top3": round(top3 / max(1, total), 4),
        "top1_when_topic_right": round(top1_given_topic / max(1, topic_right), 4),
        "per_key": {key: {"right": r, "of": n} for key, (r, n) in sorted(per_key.items())},
    }


def clarify_scores(
    gold: Sequence[Gold],
    predictions: Sequence[Prediction],
    close_answers: Callable[[list[tuple[str, float]]], list[str]],
) -> dict[str, Any]:
    total = asked = offered_right = direct = direct_right = 0
    for expected, predicted in zip(gold, predictions, strict=True):
        if "/" not in expected["key"]:
            continue
        total += 1
        if predicted["intent"] != expected["intent"]:
            direct += 1
            continue
        ranked = [
            (key, score)
            for key, score in zip(predicted["answers"], predicted["answer_scores"], strict=True)
            if topic_of(key) == predicted["intent"]
        ]
        choices = close_answers(ranked)
        if choices:
            asked += 1
            offered_right += expected["key"] in choices
        else:
            direct += 1
            direct_right += bool(ranked) and ranked[0][0] == expected["key"]
    return {
        "asked_rate": round(asked / max(1, total), 4),
        "right_among_choices": round(offered_right / max(1, asked), 4),
        "right_when_answered_directly": round(direct_right / max(1, direct), 4),
        "right_either_way": round((offered_right + direct_right) / max(1, total), 4),
    }


def answer_errors(gold: Sequence[Gold], predictions: Sequence[Prediction]) -> list[dict[str, Any]]:
    """Topic messages whose answer would be wrong, with what the seller would have got."""
    errors = []
    for expected, predicted in zip(gold, predictions, strict=True):
        ranked = answers_within(predicted, predicted["intent"])
        got = ranked[0] if ranked else predicted["intent"]
        if got != expected["key"]:
            errors.append(
                {
                    "text": expected["text"],
                    "expected": expected["key"],
                    "got": got,
                    "confidence": round(float(predicted["confidence"]), 3),
                }
            )
    return errors


def assistant_rule() -> Callable[[list[tuple[str, float]]], list[str]] | None:
    """The action server's clarifying rule, where its code can be imported (rasa_sdk)."""
    root = str(Path(__file__).resolve().parent.parent)
    if root not in sys.path:
        sys.path.insert(0, root)
    try:
        from actions.topic_answer import close_answers
    except ImportError:
        return None
    return close_answers


def score(gold: Sequence[Gold], predictions: Sequence[Prediction]) -> dict[str, Any]:
    rule = assistant_rule()
    return {
        "messages": len(gold),
        "intents": macro_f1(
            [g["intent"] for g in gold], [p["intent"] or NLU_FALLBACK for p in predictions]
        ),
        "answers": answer_scores(gold, predictions),
        "clarify": clarify_scores(gold, predictions, rule) if rule else None,
    }
