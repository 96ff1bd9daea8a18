"""The restore drill (scripts/restore-drill.sh) on a real PostgreSQL of its own: a base backup with WAL
archiving, the database destroyed, restored to a point in time; everything committed before that point is
back with the same content, nothing committed after it, and the outbox rows not yet sent are there for the
relay (docs/ops/restore.md)."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port


def test_the_restore_drill_restores_to_a_point_in_time_and_loses_nothing() -> None:
    port = free_port()  # its own server and folder: runs beside other test runs
    folder = ROOT / ".var" / f"drill-test-{port}"  # under the checkout: the postgres user can reach it
    env = {**os.environ, "DRILL_DIR": str(folder), "DRILL_PG_PORT": str(port), "DRILL_ROWS": "3000"}
    try:
        run = subprocess.run(
            [str(ROOT / "scripts/restore-drill.sh")], capture_output=True, text=True, env=env, timeout=280, check=False
        )
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    assert run.returncode == 0, run.stdout + run.stderr
    report = json.loads(run.stdout.strip().splitlines()[-1])
    assert report["ok"] is True
    assert report["applications_before_target"] == 3500  # 3000 before the base backup, 500 after it, all before T
    assert report["applications_restored"] == report["applications_before_target"]
    assert report["restored_digest"] == report["expected_digest"], "the same rows with the same content"
    assert report["applications_after_target"] == 300 and report["restored_after_target"] == 0
    assert report["deleted_after_target_and_restored"] == 10, "the mistake after T is undone"
    assert report["wal_segments_archived"] >= 2, "the restore replayed archived WAL, not only the base backup"
    assert 0 < report["outbox_unpublished"] < report["applications_restored"], "unsent events are there to send"
    assert "restored 3500 applications" in run.stderr
