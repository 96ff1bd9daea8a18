"""The embedded log is shared by the processes of one machine: what one process appends, another reads;
two members of one group in two processes never both handle an event, and together handle them all."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from pathlib import Path

import pytest

from gov_common.bus import Delivery, Handler, embedded
from gov_common.bus.embedded import EmbeddedBus
from gov_common.events import CloudEvent

from .conftest import wait_until

MEMBER = """
import asyncio, json, sys
from gov_common.bus.embedded import EmbeddedBus

async def main(log, out, seconds):
    bus = EmbeddedBus(log, poll_interval=0.01)
    await bus.start()
    handled = []
    async def handler(event, delivery):
        handled.append(event.data["n"])
        await asyncio.sleep(0.002)
    consumer = bus.consumer(group="shared", topics=["t"], handler=handler)
    await consumer.start()
    await asyncio.sleep(seconds)
    await consumer.stop()
    await bus.stop()
    with open(out, "w") as f:
        json.dump(handled, f)

asyncio.run(main(sys.argv[1], sys.argv[2], float(sys.argv[3])))
"""

PRODUCER = """
import asyncio, sys
from gov_common.bus.embedded import EmbeddedBus
from gov_common.events import CloudEvent

async def main(log):
    bus = EmbeddedBus(log)
    await bus.start()
    for n in range(0, 300, 30):
        await bus.publish("t", [CloudEvent(type="x", source="/p", subject="k", data={"n": i}) for i in range(n, n + 30)])
    await bus.stop()

asyncio.run(main(sys.argv[1]))
"""


async def test_processes_share_the_log_and_a_group(tmp_path: Path) -> None:
    log = tmp_path / "events.db"
    members = [
        subprocess.Popen([sys.executable, "-c", MEMBER, str(log), str(tmp_path / f"m{i}.json"), "6"]) for i in range(2)
    ]
    producer = subprocess.run([sys.executable, "-c", PRODUCER, str(log)], timeout=60)
    assert producer.returncode == 0

    # A third process, in its own group, sees every event in order.
    bus = EmbeddedBus(log, poll_interval=0.01)
    seen: list[int] = []

    async def handler(event: CloudEvent, _d: Delivery) -> None:
        seen.append(event.data["n"])

    observer = bus.consumer(group="observer", topics=["t"], handler=handler)
    await observer.start()
    try:
        await wait_until(lambda: len(seen) >= 300, what="the observer reading every event")
    finally:
        await observer.stop()
        await bus.stop()
    assert seen == list(range(300))

    for m in members:
        assert await asyncio.to_thread(m.wait, 60) == 0
    handled = [json.loads((tmp_path / f"m{i}.json").read_text()) for i in range(2)]
    together = handled[0] + handled[1]
    assert sorted(together) == list(range(300)), "every event handled, none twice, by the two members"


async def test_a_member_busy_longer_than_its_lease_renews_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A member whose handling of one read takes longer than the lease renews the lease as it goes (the
    offsets handled so far committed first), so a second member of the group never takes the topic over
    and nothing is handled twice."""
    monkeypatch.setattr(embedded, "LEASE_SECONDS", 0.4)
    bus = EmbeddedBus(tmp_path / "events.db", poll_interval=0.01)
    await bus.start()
    seen: dict[str, list[int]] = {"first": [], "second": []}

    def handler(name: str) -> Handler:
        async def handle(event: CloudEvent, _d: Delivery) -> None:
            seen[name].append(event.data["n"])
            await asyncio.sleep(0.1)  # twelve of these outlast the lease three times

        return handle

    await bus.publish("t", [CloudEvent(type="t", source="/t", subject="k", data={"n": n}) for n in range(12)])
    first = bus.consumer(group="g", topics=["t"], handler=handler("first"))
    second = bus.consumer(group="g", topics=["t"], handler=handler("second"))
    await first.start()
    await wait_until(lambda: bool(seen["first"]), what="the first member to start")
    await second.start()
    try:
        await wait_until(lambda: len(seen["first"]) + len(seen["second"]) >= 12, what="every event")
        await asyncio.sleep(0.5)
    finally:
        await first.stop()
        await second.stop()
        await bus.stop()
    assert seen == {"first": list(range(12)), "second": []}
