"""Fixtures of the security suite: a list of attacks and the platform's answers.

Attacks that cross the edge run against the gateway and the eight services as real processes on
PostgreSQL and Kafka (tests/e2e/harness.py, imported by plain name like the e2e tests do); attacks on one
service's rules boot that service in-process on PostgreSQL."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

_TESTS = Path(__file__).resolve().parent.parent
for folder in ("e2e", "integration"):
    if str(_TESTS / folder) not in sys.path:
        sys.path.insert(0, str(_TESTS / folder))

import importlib.util  # noqa: E402

from harness import Platform, postgres_platform  # noqa: E402


def _load(relative: str, name: str) -> object:
    """A test helper module that is not in a package, importable afterwards by ``name``."""
    spec = importlib.util.spec_from_file_location(name, _TESTS.parent / relative)
    assert spec is not None and spec.loader is not None
    module = sys.modules.setdefault(name, importlib.util.module_from_spec(spec))
    spec.loader.exec_module(module)
    return module


# svc-identity's own fixtures (the app on a fresh database, browser-like sign-in), not a copy of them: the
# attacks on identity use its ``idp`` fixture and ``import identity_test_fixtures`` for the helpers.
idp = _load("svc-identity/tests/conftest.py", "identity_test_fixtures").idp  # type: ignore[attr-defined]


@pytest.fixture(scope="module")
def platform(pg_admin_dsn: str, kafka_bootstrap: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Platform]:
    """Gateway and eight services on fresh PostgreSQL databases and Kafka, demo data on; one per module."""
    with postgres_platform(tmp_path_factory.mktemp("platform"), pg_admin_dsn, kafka_bootstrap) as running:
        yield running
