"""The hash chain of a case's trace (全过程留痕): each entry's hash covers its content and the previous
entry's hash, so that an edited, inserted or deleted entry breaks the chain. Pure functions."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

GENESIS = "0" * 64


def canonical(content: Mapping[str, Any]) -> bytes:
    return json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str).encode()


def entry_hash(prev_hash: str, content: Mapping[str, Any]) -> str:
    """SHA-256 over the previous hash and the canonical JSON of the entry's content."""
    return hashlib.sha256(prev_hash.encode() + b"\n" + canonical(content)).hexdigest()


@dataclass(frozen=True)
class Verdict:
    valid: bool
    entries: int
    first_bad_seq: int | None = None
    problem: str | None = None


def verify(entries: Sequence[tuple[int, str, str, Mapping[str, Any]]], *, head_hash: str, head_seq: int) -> Verdict:
    """Check ``entries`` as (seq, prev_hash, hash, content) in seq order against the head the case keeps."""
    prev = GENESIS
    expected_seq = 1
    for seq, prev_hash, stored_hash, content in entries:
        if seq != expected_seq:
            return Verdict(False, len(entries), expected_seq, "an entry is missing")
        if prev_hash != prev:
            return Verdict(False, len(entries), seq, "the entry does not link to the previous one")
        if entry_hash(prev, content) != stored_hash:
            return Verdict(False, len(entries), seq, "the entry's content does not match its hash")
        prev = stored_hash
        expected_seq += 1
    if expected_seq - 1 != head_seq or prev != head_hash:
        return Verdict(False, len(entries), expected_seq, "the chain does not end at the case's recorded head")
    return Verdict(True, len(entries))
