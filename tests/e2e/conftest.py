"""Fixtures of the end-to-end tests: the whole platform as real processes (tests/e2e/harness.py).

The helper modules next to this file (harness, identity_flows, citizen_journey) are imported by plain
name; pytest's importlib mode does not put test folders on ``sys.path``, so this conftest does."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import Platform, postgres_platform
from harness import embedded_platform as _embedded


@pytest.fixture(scope="module")
def platform(pg_admin_dsn: str, kafka_bootstrap: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Platform]:
    """Gateway and eight services on fresh PostgreSQL databases and Kafka, demo data on; one per module,
    so that only one platform consumes the shared topics at a time."""
    with postgres_platform(tmp_path_factory.mktemp("platform"), pg_admin_dsn, kafka_bootstrap) as running:
        yield running


@pytest.fixture
def embedded_platform(tmp_path: Path) -> Iterator[Platform]:
    """The same on ``make run``'s embedded default (SQLite files and the embedded event log)."""
    with _embedded(tmp_path) as running:
        yield running
