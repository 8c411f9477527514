"""The strongest simple alternative to the Rasa pipeline: TF-IDF + logistic regression.

Word 1-2-grams and character 2-5-grams (within word boundaries), sublinear TF-IDF, one
multinomial logistic regression over every specific answer (`tanya_cod/paket_ditolak`) and
every non-topic intent, trained on the same nlu/ files as the pipeline. The topic is the one
whose answers together have the highest probability (a better topic than the single best
answer's, so the baseline is given its best shot). Scored by tools/nlu_scoring.py exactly like
the Rasa models, so `make eval` puts it side by side with them.

Runs in the Rasa environment (scikit-learn and Rasa's data loader):

    .venv-rasa/bin/python tools/baseline_nlu.py --train nlu --data tests/nlu/test_nlu.yml \
        --name baseline-heldout --out results/eval
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from collections.abc import Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from nlu_scoring import Gold, Prediction, answer_errors, score, topic_of

# nlu/ also holds the normalisation dictionary (a .tsv), which Rasa's loader does not read.
TRAINING_SUFFIXES = (".yml", ".yaml")


def load_examples(path: str | Path) -> list[Gold]:
    from rasa.shared.nlu.training_data.loading import load_data
    from rasa.shared.nlu.training_data.training_data import TrainingData

    path = Path(path)
    files = (
        sorted(p for p in path.iterdir() if p.suffix in TRAINING_SUFFIXES)
        if path.is_dir()
        else [path]
    )
    data = TrainingData().merge(*(load_data(str(f), language="id") for f in files))
    return [
        {
            "text": str(message.get("text")),
            "intent": str(message.get("intent")),
            "key": str(message.get("intent_response_key") or message.get("intent")),
        }
        for message in data.intent_examples
    ]


class TfidfLogReg:
    """Fit on examples' texts and keys; rank keys and marginalise them into topics."""

    def __init__(self, c: float = 10.0) -> None:
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression
        from sklearn.pipeline import make_union

        self.features = make_union(
            TfidfVectorizer(analyzer="word", ngram_range=(1, 2), sublinear_tf=True),
            TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True),
        )
        self.classifier = LogisticRegression(C=c, max_iter=2000)

    def fit(self, examples: Sequence[Gold]) -> TfidfLogReg:
        matrix = self.features.fit_transform([e["text"] for e in examples])
        self.classifier.fit(matrix, [e["key"] for e in examples])
        return self

    def predict(self, texts: Sequence[str]) -> list[Prediction]:
        import numpy as np

        keys = [str(k) for k in self.classifier.classes_]
        topics = sorted({topic_of(k) for k in keys})
        membership = np.array([[topic_of(k) == t for t in topics] for k in keys], dtype=float)
        probabilities = self.classifier.predict_proba(self.features.transform(list(texts)))
        predictions: list[Prediction] = []
        for row in probabilities:
            topic_scores = row @ membership
            best = int(topic_scores.argmax())
            order = np.argsort(-row)
            predictions.append(
                {
                    "intent": topics[best],
                    "confidence": float(topic_scores[best]),
                    "answers": [keys[i] for i in order if "/" in keys[i]],
                    "answer_scores": [float(row[i]) for i in order if "/" in keys[i]],
                }
            )
        return predictions


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--train", default="nlu")
    parser.add_argument("--data", nargs="+", default=["tests/nlu/test_nlu.yml"])
    parser.add_argument("--name", nargs="+", default=["baseline-heldout"])
    parser.add_argument("--out", type=Path, default=Path("results/eval"))
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    started = time.perf_counter()
    model = TfidfLogReg().fit(load_examples(args.train))
    train_seconds = time.perf_counter() - started
    for data, name in zip(args.data, args.name, strict=True):
        gold = load_examples(data)
        started = time.perf_counter()
        predictions = model.predict([g["text"] for g in gold])
        per_message_ms = (time.perf_counter() - started) * 1000 / max(1, len(gold))
        report = {
            "name": name,
            "data": data,
            "model": "TF-IDF (word 1-2, char_wb 2-5) + logistic regression",
            **score(gold, predictions),
            "train_seconds": round(train_seconds, 1),
            "batch_ms_per_message": round(per_message_ms, 2),
        }
        folder = args.out / name
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "report.json").write_text(json.dumps(report, indent=2, ensure_ascii=False))
        (folder / "answer_errors.json").write_text(
            json.dumps(answer_errors(gold, predictions), indent=2, ensure_ascii=False)
        )
        intents, answers = report["intents"], report["answers"]
        print(
            f"{name}: topic macro-F1 {intents['macro_f1']:.3f}, answer top-1 "
            f"{answers['top1']:.3f}, top-3 {answers['top3']:.3f}, training {train_seconds:.1f} s"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
