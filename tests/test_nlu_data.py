"""The NLU data keeps its contract: intents, sub-questions with answers, an independent test set.

These checks read the YAML files directly (the app environment has no Rasa); `make validate`
and the trained-model tests cover what only Rasa can check.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

ROOT = Path(__file__).resolve().parent.parent
TOPICS = {
    "tanya_cod": 8,
    "tanya_ongkir": 8,
    "tanya_algoritma": 8,
    "tanya_pemasaran_digital": 4,
    "tanya_listing_produk": 4,
    "tanya_harga": 4,
    "tanya_retur_komplain": 4,
    "tanya_pembayaran": 4,
    "tanya_keamanan_akun": 4,
    "tanya_aturan_hukum": 4,
    "tanya_daftar_toko": 4,
    "tanya_program_akar": 4,
}
CONVERSATION = {
    "lihat_modul",
    "sapa",
    "terima_kasih",
    "pamit",
    "minta_bantuan_manusia",
    "bot_challenge",
    "di_luar_topik",
    "setuju",
    "tidak",
}
_ANNOTATION = re.compile(r"\[([^\]]+)\](?:\([^)]*\)|\{[^}]*\})")


def load(path: Path) -> Any:
    with path.open(encoding="utf-8") as handle:
        return YAML(typ="safe", pure=True).load(handle)


def plain(example: str) -> str:
    """The message as a seller would type it: annotations removed, case and spacing folded."""
    return " ".join(_ANNOTATION.sub(r"\1", example).lower().split())


def examples_of(path: Path) -> dict[str, list[str]]:
    found: dict[str, list[str]] = defaultdict(list)
    for block in load(path).get("nlu") or []:
        if "intent" in block:
            lines = str(block.get("examples", "")).splitlines()
            found[block["intent"]] += [line.strip()[2:] for line in lines if line.strip()]
    return found


@pytest.fixture(scope="module")
def training() -> dict[str, list[str]]:
    merged: dict[str, list[str]] = defaultdict(list)
    for path in sorted((ROOT / "nlu").glob("*.yml")):
        for intent, examples in examples_of(path).items():
            merged[intent] += examples
    return merged


@pytest.fixture(scope="module")
def held_out() -> dict[str, list[str]]:
    return examples_of(ROOT / "tests" / "nlu" / "test_nlu.yml")


@pytest.fixture(scope="module")
def responses() -> dict[str, Any]:
    merged: dict[str, Any] = {}
    for path in sorted((ROOT / "domain").glob("*.yml")):
        merged.update(load(path).get("responses") or {})
    return merged


def test_held_out_set_is_never_in_the_training_data(
    training: dict[str, list[str]], held_out: dict[str, list[str]]
) -> None:
    seen = {plain(e) for examples in training.values() for e in examples}
    leaked = sorted(
        plain(e) for examples in held_out.values() for e in examples if plain(e) in seen
    )
    assert not leaked, f"held-out messages copied into nlu/: {leaked[:10]}"


def test_held_out_set_covers_every_contract_intent(held_out: dict[str, list[str]]) -> None:
    assert sum(len(v) for v in held_out.values()) >= 600
    topics = {intent.split("/")[0] for intent in held_out}
    assert topics == set(TOPICS) | CONVERSATION
    per_topic: Counter[str] = Counter()
    for intent, examples in held_out.items():
        per_topic[intent.split("/")[0]] += len(examples)
        assert len({plain(e) for e in examples}) == len(examples), f"duplicates in {intent}"
    assert all(count >= 10 for count in per_topic.values()), per_topic


def test_held_out_topic_messages_carry_their_specific_answer_key(
    training: dict[str, list[str]], held_out: dict[str, list[str]]
) -> None:
    """Scoring the answer, not only the topic, needs the answer key on every topic message,
    and enough messages per answer that one mistake is not a swing of the whole figure."""
    sub_questions = {intent for intent in training if "/" in intent}
    for intent, examples in held_out.items():
        if intent.split("/")[0] in TOPICS:
            assert intent in sub_questions, f"{intent}: not a sub-question of nlu/"
            assert len(examples) >= 5, f"{intent}: {len(examples)} held-out messages"
    missing = sub_questions - set(held_out)
    assert not missing, f"sub-questions without held-out messages: {sorted(missing)}"


def test_topics_are_retrieval_intents_with_enough_sub_questions(
    training: dict[str, list[str]],
) -> None:
    subs: dict[str, set[str]] = defaultdict(set)
    for intent in training:
        top, _, sub = intent.partition("/")
        if top in TOPICS:
            assert sub, f"{intent}: every topic example needs a sub-question key"
            subs[top].add(sub)
    for topic, minimum in TOPICS.items():
        assert len(subs[topic]) >= minimum, f"{topic} has {sorted(subs[topic])}"


def test_every_sub_question_has_an_answer_and_every_answer_a_question(
    training: dict[str, list[str]], responses: dict[str, Any]
) -> None:
    retrieval = {f"utter_{intent}" for intent in training if "/" in intent}
    answers = {name for name in responses if "/" in name}
    assert retrieval == answers


def test_each_sub_question_has_enough_varied_examples(training: dict[str, list[str]]) -> None:
    for intent, examples in training.items():
        if "/" in intent:
            assert len(examples) >= 12, f"{intent}: {len(examples)} examples"
            assert len({plain(e) for e in examples}) == len(examples), f"duplicates in {intent}"


def test_no_message_is_taught_as_two_intents(training: dict[str, list[str]]) -> None:
    owners: dict[str, set[str]] = defaultdict(set)
    for intent, examples in training.items():
        for example in examples:
            owners[plain(example)].add(intent.split("/")[0])
    clashes = {text: sorted(i) for text, i in owners.items() if len(i) > 1}
    assert not clashes, clashes


def test_platform_variants_only_use_known_platform_values(responses: dict[str, Any]) -> None:
    base = load(ROOT / "domain" / "base.yml")
    allowed = set(base["slots"]["platform"]["values"])
    used: Counter[str] = Counter()
    for name, variations in responses.items():
        if "/" not in name:
            continue
        unconditional = [v for v in variations if not v.get("condition")]
        assert len(unconditional) == 1, f"{name} needs exactly one answer without a condition"
        for variation in variations:
            for condition in variation.get("condition") or []:
                assert condition["name"] == "platform" and condition["value"] in allowed, name
                used[condition["value"]] += 1
    assert used, "no platform-specific answer at all"


def test_every_answer_has_a_short_title_unique_within_its_topic(
    responses: dict[str, Any],
) -> None:
    """Titles label the "which did you mean?" buttons, so each answer of a topic needs its own.

    The title lives in the default (unconditioned, first) variation's metadata only, so a
    platform variant can never show a different label for the same answer.
    """
    titles: dict[str, dict[str, str]] = defaultdict(dict)
    for name, variations in responses.items():
        if not (name.startswith("utter_tanya_") and "/" in name):
            continue
        first, *others = variations
        assert not first.get("condition"), f"{name}: the first variation must be the default"
        metadata = first.get("metadata")
        assert isinstance(metadata, dict), f"{name}: the first variation has no metadata"
        title = metadata.get("judul")
        assert isinstance(title, str), f"{name}: metadata.judul must be a string, got {title!r}"
        assert 1 <= len(title) <= 32, f"{name}: judul {title!r} has {len(title)} characters"
        for variation in others:
            extra = variation.get("metadata")
            assert not (isinstance(extra, dict) and "judul" in extra), (
                f"{name}: only the first variation may carry a judul"
            )
        topic = name.partition("/")[0]
        titles[topic][name] = title
    assert titles, "no utter_tanya_*/* answers found"
    for topic, named in titles.items():
        seen: dict[str, str] = {}
        for name, title in named.items():
            key = " ".join(title.casefold().split())
            assert key not in seen, f"{topic}: {seen.get(key)} and {name} share the judul {title!r}"
            seen[key] = name
