"""Password hashes for desk accounts: Argon2id through argon2-cffi's `PasswordHasher`.

The library's defaults follow RFC 9106's recommended profile and move with new releases; a hash
made with older parameters still verifies and is replaced at the next successful login
(`needs_rehash`), so tightening them never locks anyone out. Nothing here logs or keeps a
password: callers pass it in and drop it.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Final

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

MIN_LENGTH: Final = 12
# Far above any real password; bounds the work one form post can cause.
MAX_LENGTH: Final = 1024

_hasher = PasswordHasher()


class WeakPassword(ValueError):
    """The password breaks a rule; the message is for the person typing it (Indonesian)."""


def check_rules(password: str) -> None:
    if len(password) < MIN_LENGTH:
        raise WeakPassword(f"Kata sandi minimal {MIN_LENGTH} karakter.")
    if len(password) > MAX_LENGTH:
        raise WeakPassword(f"Kata sandi maksimal {MAX_LENGTH} karakter.")
    if not password.strip():
        raise WeakPassword("Kata sandi tidak boleh hanya spasi.")


def hash_password(password: str) -> str:
    """A self-describing `$argon2id$...` string (parameters and salt included)."""
    check_rules(password)
    return _hasher.hash(password)


def verify(password_hash: str, password: str) -> bool:
    """True when `password` matches; False for a wrong password or an unreadable hash."""
    if len(password) > MAX_LENGTH:
        return False
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    """True when the hash was made with other parameters than the current defaults."""
    try:
        return _hasher.check_needs_rehash(password_hash)
    except InvalidHashError:
        return True


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    return _hasher.hash("akar-desk-dummy-password")


def spend_same_time(password: str) -> None:
    """Verify against a throwaway hash, so an unknown or locked username costs as much time as
    a wrong password: response times must not tell which usernames exist."""
    verify(_dummy_hash(), password[:MAX_LENGTH])
