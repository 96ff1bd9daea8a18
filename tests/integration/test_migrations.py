"""Each service's migrations form one line (two branches adding migrations on the same parent fail here,
not in production), and revision ids never collide between services."""

from __future__ import annotations

import importlib

import pytest
from alembic.script import ScriptDirectory

from gov_common.migrations import alembic_config
from gov_common.testing import SERVICES


@pytest.mark.parametrize("service", SERVICES)
def test_one_head_and_service_prefixed_revisions(service: str) -> None:
    spec = importlib.import_module(f"{service}.main").SPEC
    script = ScriptDirectory.from_config(alembic_config(spec.migrations_dir, "sqlite://"))
    assert len(script.get_heads()) == 1, f"{service} has diverging migration heads: {script.get_heads()}"
    for rev in script.walk_revisions():
        assert rev.revision.startswith(f"{service}_"), rev.revision
