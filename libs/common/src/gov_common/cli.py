"""Database commands.

``gov-migrate <service> [revision]`` upgrades a service's database, as the Kubernetes migration Job does;
it reads the service's settings from the environment exactly as the service would.

``gov-revision <service> -m "what changes" [--autogenerate]`` writes the service's next migration
(``<service>_NNNN``), compared against a scratch database at the current head when autogenerating.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import shutil
import sys
import tempfile
from pathlib import Path

from alembic import command
from alembic.script import ScriptDirectory

from gov_common.db import Database
from gov_common.migrations import alembic_config, upgrade
from gov_common.service import ServiceSpec


async def _migrate(spec: ServiceSpec, revision: str) -> str:
    settings = spec.settings_cls(service_name=spec.name)
    db = Database(settings.effective_database_url, pool_size=1)
    try:
        await upgrade(db, spec.migrations_dir, revision)
    finally:
        await db.dispose()
    return db.url.render_as_string(hide_password=True)


def _spec(parser: argparse.ArgumentParser, service: str) -> ServiceSpec:
    try:
        spec: ServiceSpec = importlib.import_module(f"{service}.main").SPEC
    except (ImportError, AttributeError):
        parser.error(f"{service!r} is not a service of this platform")
    return spec


def migrate_main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="gov-migrate", description=__doc__)
    parser.add_argument("service", help="import name of the service, e.g. catalog")
    parser.add_argument("revision", nargs="?", default="head")
    args = parser.parse_args(argv)
    spec = _spec(parser, args.service)
    url = asyncio.run(_migrate(spec, args.revision))
    print(f"{spec.name}: migrated {url} to {args.revision}")
    return 0


def revision_main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="gov-revision", description=__doc__)
    parser.add_argument("service")
    parser.add_argument("-m", "--message", required=True)
    parser.add_argument("--autogenerate", action="store_true")
    args = parser.parse_args(argv)
    spec = _spec(parser, args.service)
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite+aiosqlite:///{Path(tmp) / 'scratch.db'}"
        db = Database(url)
        asyncio.run(upgrade(db, spec.migrations_dir))
        asyncio.run(db.dispose())
        cfg = alembic_config(spec.migrations_dir, url)
        count = sum(1 for _ in ScriptDirectory.from_config(cfg).walk_revisions())
        rev_id = f"{spec.name}_{count + 1:04d}"
        ruff = shutil.which("ruff")
        if ruff:  # the revision leaves formatted, as `make lint` wants it
            cfg.set_section_option("post_write_hooks", "hooks", "ruff")
            cfg.set_section_option("post_write_hooks", "ruff.type", "exec")
            cfg.set_section_option("post_write_hooks", "ruff.executable", ruff)
            cfg.set_section_option("post_write_hooks", "ruff.options", "format REVISION_SCRIPT_FILENAME")
        command.revision(cfg, message=args.message, autogenerate=args.autogenerate, rev_id=rev_id)
    print(f"{spec.name}: wrote revision {rev_id} in {spec.migrations_dir / 'versions'}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(migrate_main())
