"""The intents staff may pick when correcting the NLU, read from the domain files.

Topic intents are retrieval intents: their training examples are written under a sub-question
(`tanya_cod/aktifkan`, answered by `utter_tanya_cod/aktifkan`), so for them the choices are the
sub-questions, never the bare topic. Other intents (`sapa`, `minta_bantuan_manusia`, ...) are
chosen as they are. `mulai` (only ever sent by /start) and Rasa's `nlu_fallback` are not choices.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path
from typing import Any, Final

from ruamel.yaml import YAML

PROJECT_ROOT: Final = Path(__file__).resolve().parents[2]
DOMAIN_DIR: Final = PROJECT_ROOT / "domain"
NOT_CHOICES: Final = frozenset({"mulai", "nlu_fallback"})


def _load(path: Path) -> Any:
    with path.open(encoding="utf-8") as handle:
        return YAML(typ="safe", pure=True).load(handle) or {}


def intents_from_domain(files: Iterable[Path]) -> frozenset[str]:
    """Annotation choices from these domain files (see the module docstring)."""
    declared: set[str] = set()
    responses: set[str] = set()
    for path in files:
        data = _load(path)
        for item in data.get("intents") or []:
            declared.update([item] if isinstance(item, str) else dict(item))
        responses.update(data.get("responses") or {})
    retrieval: set[str] = set()
    subs: set[str] = set()
    for response in responses:
        name = response.removeprefix("utter_")
        base, _, sub = name.partition("/")
        if sub and base in declared:
            retrieval.add(base)
            subs.add(name)
    return frozenset((declared - retrieval - NOT_CHOICES) | subs)


@lru_cache(maxsize=4)
def known_intents(domain_dir: Path = DOMAIN_DIR) -> frozenset[str]:
    """The annotation choices of the project's domain (cached; the domain changes with a
    deployment, not while running)."""
    return intents_from_domain(sorted(domain_dir.glob("*.yml")))
