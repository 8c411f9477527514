"""K-fold cross-validation of the Rasa pipeline and the TF-IDF baseline on the same folds.

Why not `rasa test nlu --cross-validation`: it does not score the answer a seller gets (the best
answer inside the predicted topic), and it cannot run the baseline on the same folds. Here the
folds are stratified by specific answer with a fixed seed; each fold trains the Rasa NLU model
from `--config` (with the domain, whose answers the pipeline also learns from) and the baseline
on the same training part, and both are scored by tools/nlu_scoring.py on the held-back part.
Lookup tables, synonyms and regexes stay in every fold's training data.

Runs in the Rasa environment:

    .venv-rasa/bin/python tools/cross_validate_nlu.py --config config.yml --folds 5 \
        --out results/eval/cv
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from baseline_nlu import TRAINING_SUFFIXES, TfidfLogReg
from evaluate_nlu import ranked_answers
from nlu_scoring import Gold, Prediction, score

SEED = 7


def gold_of(message: Any) -> Gold:
    return {
        "text": str(message.get("text")),
        "intent": str(message.get("intent")),
        "key": str(message.get("intent_response_key") or message.get("intent")),
    }


async def rasa_predictions(model: str, texts: list[str]) -> list[Prediction]:
    from rasa.core.agent import Agent

    agent = Agent.load(model)
    predictions: list[Prediction] = []
    for text in texts:
        parsed = await agent.parse_message(text)
        intent = parsed.get("intent") or {}
        ranked = ranked_answers(parsed)
        predictions.append(
            {
                "intent": intent.get("name") or "nlu_fallback",
                "confidence": float(intent.get("confidence") or 0.0),
                "answers": [key for key, _ in ranked],
                "answer_scores": [score for _, score in ranked],
            }
        )
    return predictions


def summarise(folds: list[dict[str, Any]]) -> dict[str, Any]:
    def mean(path: tuple[str, str]) -> float:
        return round(statistics.fmean(f[path[0]][path[1]] for f in folds), 4)

    return {
        "topic_macro_f1": mean(("intents", "macro_f1")),
        "answer_top1": mean(("answers", "top1")),
        "answer_top3": mean(("answers", "top3")),
        "train_seconds": round(statistics.fmean(f["train_seconds"] for f in folds), 1),
        "folds": [
            {
                "topic_macro_f1": f["intents"]["macro_f1"],
                "answer_top1": f["answers"]["top1"],
                "answer_top3": f["answers"]["top3"],
                "train_seconds": f["train_seconds"],
            }
            for f in folds
        ],
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", default="config.yml")
    parser.add_argument("--nlu", type=Path, default=Path("nlu"))
    parser.add_argument("--domain", default="domain")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--out", type=Path, default=Path("results/eval/cv"))
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    from rasa.model_training import train_nlu
    from rasa.shared.nlu.training_data.formats.rasa_yaml import RasaYAMLWriter
    from rasa.shared.nlu.training_data.loading import load_data
    from rasa.shared.nlu.training_data.training_data import TrainingData
    from rasa.utils.log_utils import configure_structlog
    from sklearn.model_selection import StratifiedKFold

    configure_structlog(logging.WARNING)
    files = sorted(p for p in args.nlu.iterdir() if p.suffix in TRAINING_SUFFIXES)
    data = TrainingData().merge(*(load_data(str(f), language="id") for f in files))
    examples = data.intent_examples
    keys = [gold_of(m)["key"] for m in examples]
    splitter = StratifiedKFold(n_splits=args.folds, shuffle=True, random_state=SEED)
    pipeline_folds: list[dict[str, Any]] = []
    baseline_folds: list[dict[str, Any]] = []
    args.out.mkdir(parents=True, exist_ok=True)
    for number, (train_index, test_index) in enumerate(splitter.split(examples, keys), 1):
        held_back = {id(examples[i]) for i in test_index}
        fold_data = data.filter_training_examples(
            lambda m, held_back=held_back: id(m) not in held_back
        )
        gold = [gold_of(examples[i]) for i in test_index]
        with tempfile.TemporaryDirectory() as folder:
            nlu_file = Path(folder) / "nlu.yml"
            RasaYAMLWriter().dump(nlu_file, fold_data)
            started = time.perf_counter()
            model = train_nlu(
                args.config, str(nlu_file), folder, fixed_model_name="fold", domain=args.domain
            )
            seconds = time.perf_counter() - started
            assert model, "Rasa did not train a model"
            predictions = asyncio.run(rasa_predictions(model, [g["text"] for g in gold]))
        pipeline_folds.append({**score(gold, predictions), "train_seconds": seconds})
        started = time.perf_counter()
        baseline = TfidfLogReg().fit([gold_of(examples[i]) for i in train_index])
        seconds = time.perf_counter() - started
        baseline_predictions = baseline.predict([g["text"] for g in gold])
        baseline_folds.append({**score(gold, baseline_predictions), "train_seconds": seconds})
        print(
            f"fold {number}: pipeline answer top-1 {pipeline_folds[-1]['answers']['top1']:.3f}, "
            f"baseline {baseline_folds[-1]['answers']['top1']:.3f}",
            flush=True,
        )
    report = {
        "folds": args.folds,
        "seed": SEED,
        "examples": len(examples),
        "pipeline": summarise(pipeline_folds),
        "baseline": summarise(baseline_folds),
    }
    (args.out / "report.json").write_text(json.dumps(report, indent=2), encoding="utf-8")
    for name in ("pipeline", "baseline"):
        s = report[name]
        print(
            f"{name}: topic macro-F1 {s['topic_macro_f1']:.3f}, answer top-1 "
            f"{s['answer_top1']:.3f}, top-3 {s['answer_top3']:.3f}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
