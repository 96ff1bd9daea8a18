"""Argon2id password hashing (argon2-cffi's defaults follow RFC 9106's second recommended profile)."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()
# Verified when the account is unknown, so that a miss costs as long as a wrong password.
_DUMMY = _hasher.hash("not-a-password")

MIN_LENGTH = 10


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(stored: str | None, password: str) -> bool:
    try:
        return _hasher.verify(stored or _DUMMY, password) and stored is not None
    except (VerificationError, InvalidHashError):
        return False


def password_problem(password: str, *, chinese: bool = False) -> str | None:
    """Why a new password is refused, or None (in Chinese for the sign-in pages, in English for the API)."""
    if len(password) < MIN_LENGTH:
        return f"密码至少 {MIN_LENGTH} 位" if chinese else f"a password has at least {MIN_LENGTH} characters"
    if password.isdigit() or password.isalpha():
        return "密码须同时包含字母和数字或符号" if chinese else "a password mixes letters with digits or symbols"
    return None
