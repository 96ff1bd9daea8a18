"""The outbox relay's wake-up: a commit that wakes the relay while it is publishing is not lost (the relay reads
again at once instead of sleeping its poll interval). Pure logic: the publishing is replaced, no database."""

from __future__ import annotations

import asyncio
import time

from gov_common.outbox import OutboxRelay


class _Relay(OutboxRelay):
    """Counts its reads; during the first one a commit elsewhere wakes it (as the commit hook does)."""

    def __init__(self) -> None:
        super().__init__(db=None, bus=None, poll_seconds=30.0)  # type: ignore[arg-type]
        self.reads: list[float] = []
        self.second_read = asyncio.Event()

    async def publish_pending(self) -> int:
        self.reads.append(time.monotonic())
        if len(self.reads) == 1:
            await asyncio.sleep(0)  # the publish is under way ...
            self.wake()  # ... when another request commits an event
        else:
            self.second_read.set()
        return 0


async def test_a_wake_during_a_publish_makes_the_relay_read_again_at_once() -> None:
    relay = _Relay()
    await relay.start()
    try:
        # With the wake-up lost, the second read would come only after the 30 s poll interval.
        await asyncio.wait_for(relay.second_read.wait(), timeout=5)
    finally:
        await relay.stop()
    assert len(relay.reads) >= 2
    assert relay.reads[1] - relay.reads[0] < 5
