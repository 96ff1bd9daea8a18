"""``gov-migrate <service> [revision]``: upgrade a service's database, as the Kubernetes migration Job does.

Reads the service's settings from the environment exactly as the service would.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import sys

from gov_common.db import Database
from gov_common.migrations import upgrade
from gov_common.service import ServiceSpec


async def _migrate(spec: ServiceSpec, revision: str) -> str:
    settings = spec.settings_cls(service_name=spec.name)
    db = Database(settings.effective_database_url, pool_size=1)
    try:
        await upgrade(db, spec.migrations_dir, revision)
    finally:
        await db.dispose()
    return db.url.render_as_string(hide_password=True)


def migrate_main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="gov-migrate", description=__doc__)
    parser.add_argument("service", help="import name of the service, e.g. catalog")
    parser.add_argument("revision", nargs="?", default="head")
    args = parser.parse_args(argv)
    try:
        spec: ServiceSpec = importlib.import_module(f"{args.service}.main").SPEC
    except (ImportError, AttributeError):
        parser.error(f"{args.service!r} is not a service of this platform")
    url = asyncio.run(_migrate(spec, args.revision))
    print(f"{spec.name}: migrated {url} to {args.revision}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(migrate_main())
