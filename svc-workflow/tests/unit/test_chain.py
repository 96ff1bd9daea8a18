"""The hash chain finds edited, missing and truncated entries."""

from __future__ import annotations

from typing import Any

from workflow.chain import GENESIS, entry_hash, verify


def build(n: int) -> list[tuple[int, str, str, dict[str, Any]]]:
    rows, prev = [], GENESIS
    for seq in range(1, n + 1):
        content = {"seq": seq, "action": f"a{seq}", "opinion": "ok"}
        h = entry_hash(prev, content)
        rows.append((seq, prev, h, content))
        prev = h
    return rows


def test_an_intact_chain_verifies() -> None:
    rows = build(4)
    assert verify(rows, head_hash=rows[-1][2], head_seq=4).valid


def test_an_edited_entry_is_found() -> None:
    rows = build(4)
    seq, prev, h, content = rows[1]
    rows[1] = (seq, prev, h, {**content, "opinion": "changed"})
    verdict = verify(rows, head_hash=rows[-1][2], head_seq=4)
    assert (verdict.valid, verdict.first_bad_seq) == (False, 2)


def test_an_entry_rehashed_after_editing_breaks_the_next_link() -> None:
    rows = build(4)
    seq, prev, _, content = rows[1]
    forged = {**content, "opinion": "changed"}
    rows[1] = (seq, prev, entry_hash(prev, forged), forged)
    verdict = verify(rows, head_hash=rows[-1][2], head_seq=4)
    assert (verdict.valid, verdict.first_bad_seq) == (False, 3)


def test_a_deleted_entry_is_found() -> None:
    rows = build(4)
    del rows[2]
    assert verify(rows, head_hash=rows[-1][2], head_seq=4).problem == "an entry is missing"


def test_a_truncated_chain_does_not_reach_the_head() -> None:
    rows = build(4)
    verdict = verify(rows[:3], head_hash=rows[-1][2], head_seq=4)
    assert not verdict.valid and "head" in (verdict.problem or "")
