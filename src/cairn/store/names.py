"""Generated job names: `adjective_noun_suffix`, as Azure ML names jobs (`brave_river_4x7k2m9q`).

Owns the word lists (`words/*.txt`: neutral words, no people's names) and the generator. It does
not check uniqueness — the job store retries on a collision inside its write transaction. With
about 260 × 280 word pairs and 36⁸ suffixes a collision is astronomically rare, which is why a few
retries are enough.
"""

from __future__ import annotations

import random
import secrets
import string
from collections.abc import Callable
from functools import cache
from importlib import resources

NameGenerator = Callable[[], str]
"""Returns a fresh candidate job name each call."""

SUFFIX_LENGTH = 8
_SUFFIX_ALPHABET = string.ascii_lowercase + string.digits


@cache
def words(kind: str) -> tuple[str, ...]:
    """The word list `kind` ("adjectives" or "nouns")."""
    text = (
        resources.files("cairn.store").joinpath("words").joinpath(f"{kind}.txt").read_text("utf-8")
    )
    return tuple(line.strip() for line in text.splitlines() if line.strip())


def display_name(rng: random.Random | None = None) -> str:
    """An `adjective_noun` pair, what Azure shows as a default display name."""
    choice = rng.choice if rng else secrets.choice
    return f"{choice(words('adjectives'))}_{choice(words('nouns'))}"


def job_name(rng: random.Random | None = None) -> str:
    """A new `adjective_noun_suffix` name; pass `rng` for a reproducible sequence."""
    choice = rng.choice if rng else secrets.choice
    suffix = "".join(choice(_SUFFIX_ALPHABET) for _ in range(SUFFIX_LENGTH))
    return f"{display_name(rng)}_{suffix}"


def seeded_generator(seed: int) -> NameGenerator:
    """A reproducible generator (tests, demos)."""
    rng = random.Random(seed)  # noqa: S311 — names are identifiers, not secrets
    return lambda: job_name(rng)
