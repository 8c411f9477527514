"""Makes a seeded, perturbed copy of an NLU test file: typos, dropped vowels, abbreviations.

Sellers type fast on phones, so the held-out set is also measured in a noisier form. Only text
outside entity annotations is changed ("[Makassar]{...}" stays as is), so the copy keeps valid
labels. The same seed always gives the same copy, so results are comparable between runs.

Usage: python tools/perturb_nlu.py IN.yml OUT.yml [--seed 13] [--rate 0.35]
"""

from __future__ import annotations

import argparse
import random
import re
from pathlib import Path

# An annotated entity: [text](entity) or [text]{json}.
_ANNOTATION = re.compile(r"\[[^\]]+\](?:\([^)]*\)|\{[^}]*\})")
_WORD = re.compile(r"[A-Za-z]{3,}")
_VOWELS = "aeiou"
# Common chat abbreviations (the inverse direction of nlu/normalisasi.tsv, kept independent of
# it on purpose: the perturbation must not be tuned to the normaliser it tests).
ABBREVIATIONS = {
    "yang": "yg",
    "tidak": "gk",
    "nggak": "ngga",
    "enggak": "gak",
    "banget": "bgt",
    "saya": "sy",
    "berapa": "brp",
    "gimana": "gmn",
    "bagaimana": "bgmn",
    "kenapa": "knp",
    "sama": "sm",
    "dengan": "dgn",
    "untuk": "utk",
    "terus": "trs",
    "sudah": "udh",
    "udah": "udh",
    "belum": "blm",
    "kalau": "klo",
    "kalo": "klo",
    "karena": "krn",
    "tapi": "tp",
    "jadi": "jd",
    "lagi": "lg",
    "bisa": "bs",
    "dari": "dr",
    "aja": "aj",
    "saja": "aja",
    "orang": "org",
    "toko": "tk",
    "kakak": "kk",
    "apa": "ap",
}


def _drop_vowel(word: str, rng: random.Random) -> str:
    positions = [i for i, c in enumerate(word) if c.lower() in _VOWELS and 0 < i < len(word) - 1]
    if not positions:
        return word
    i = rng.choice(positions)
    return word[:i] + word[i + 1 :]


def _swap(word: str, rng: random.Random) -> str:
    if len(word) < 4:
        return word
    i = rng.randrange(1, len(word) - 2)
    return word[:i] + word[i + 1] + word[i] + word[i + 2 :]


def _double(word: str, rng: random.Random) -> str:
    i = rng.randrange(len(word))
    return word[: i + 1] + word[i] + word[i + 1 :]


def _perturb_word(word: str, rng: random.Random, rate: float) -> str:
    if rng.random() >= rate:
        return word
    lower = word.lower()
    if lower in ABBREVIATIONS and rng.random() < 0.7:
        return ABBREVIATIONS[lower]
    operation = rng.choice((_drop_vowel, _swap, _double))
    return operation(word, rng)


def _perturb_plain(text: str, rng: random.Random, rate: float) -> str:
    return _WORD.sub(lambda m: _perturb_word(m.group(0), rng, rate), text)


def perturb_example(example: str, rng: random.Random, rate: float) -> str:
    """Perturbs the text between entity annotations, never the annotations themselves."""
    parts: list[str] = []
    last = 0
    for match in _ANNOTATION.finditer(example):
        parts.append(_perturb_plain(example[last : match.start()], rng, rate))
        parts.append(match.group(0))
        last = match.end()
    parts.append(_perturb_plain(example[last:], rng, rate))
    return "".join(parts)


def perturb_file(text: str, seed: int, rate: float) -> str:
    """Rewrites every "      - example" line of a Rasa NLU YAML file; keeps everything else."""
    rng = random.Random(seed)
    lines = []
    for line in text.splitlines():
        match = re.match(r"^(\s+- )(.*)$", line)
        if match and not line.lstrip().startswith("- intent:"):
            lines.append(match.group(1) + perturb_example(match.group(2), rng, rate))
        else:
            lines.append(line)
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", type=Path)
    parser.add_argument("target", type=Path)
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--rate", type=float, default=0.35, help="share of words changed")
    args = parser.parse_args()
    args.target.parent.mkdir(parents=True, exist_ok=True)
    source = args.source.read_text(encoding="utf-8")
    args.target.write_text(perturb_file(source, args.seed, args.rate), encoding="utf-8")


if __name__ == "__main__":
    main()
