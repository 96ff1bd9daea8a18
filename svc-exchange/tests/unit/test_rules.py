"""Pure rules of svc-exchange: identifiers, signatures, the retry schedule, the rate limiter, the audit
chain, the event schemas and the import file reader."""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import UTC, datetime, timedelta

import pytest
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from exchange.access import TokenBucket
from exchange.audit.service import GENESIS, entry_hash, verify_chain
from exchange.errors import BadImportFile
from exchange.identifiers import SYSTEM_IDENTIFIER, blind_index
from exchange.imports.service import parse_file
from exchange.models import AccessAudit
from exchange.settings import Settings
from exchange.webhooks.outbound import SUBSCRIBABLE
from exchange.webhooks.signing import new_secret, signed_headers
from exchange.webhooks.worker import next_state
from gov_common.crypto import BlindIndex
from gov_contracts.exchange import CaseSynced


def test_system_identifier_form() -> None:
    assert SYSTEM_IDENTIFIER.match("GX/city/11450100MBQH0Y21QM/nanning-portal")
    assert SYSTEM_IDENTIFIER.match("CN/national/11100000000013127D/gjzwfw")
    assert not SYSTEM_IDENTIFIER.match("GX/town/11450100MBQH0Y21QM/x1")
    assert not SYSTEM_IDENTIFIER.match("GX/city/short/x1")


def test_signatures_follow_standard_webhooks_and_the_documented_recipe() -> None:
    secret = new_secret()
    body = '{"id":"e1","data":{"x":"中"}}'
    sent = datetime.now(UTC)
    headers = signed_headers(secret, sent, body, delivery_id="d1", event_type="workflow.case.completed")
    assert Webhook(secret).verify(body.encode(), headers) == {"id": "e1", "data": {"x": "中"}}
    key = base64.b64decode(secret.removeprefix("whsec_"))
    by_hand = hmac.new(key, f"d1.{int(sent.timestamp())}.{body}".encode(), hashlib.sha256).digest()
    assert headers["webhook-signature"] == "v1," + base64.b64encode(by_hand).decode()
    with pytest.raises(WebhookVerificationError):
        Webhook(new_secret()).verify(body.encode(), headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(body.replace("中", "X").encode(), headers)
    stale = signed_headers(secret, sent - timedelta(minutes=10), body, delivery_id="d1", event_type="t")
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(body.encode(), stale)


def test_default_retry_schedule_lasts_at_least_a_day_then_dead_letters() -> None:
    schedule = Settings().webhook_backoff_seconds
    assert sum(schedule) >= 24 * 3600
    assert schedule == sorted(schedule), "back-off grows"
    now = datetime(2026, 1, 1, tzinfo=UTC)
    assert next_state(1, schedule, now) == ("pending", now + timedelta(seconds=schedule[0]))
    assert next_state(len(schedule), schedule, now)[0] == "pending"
    assert next_state(len(schedule) + 1, schedule, now) == ("dead", None)


def test_token_bucket_allows_a_burst_then_refills() -> None:
    bucket = TokenBucket(rate_per_second=1.0, burst=2)
    assert [bucket.take("a", now=0.0) for _ in range(3)] == [0.0, 0.0, 1.0]
    assert bucket.take("b", now=0.0) == 0.0, "per system"
    assert bucket.take("a", now=1.0) == 0.0


def _entry(prev: str, actor: str, seq: int) -> AccessAudit:
    entry = AccessAudit(
        seq=seq,
        at=datetime(2026, 1, 1, tzinfo=UTC),
        request_id=f"r{seq}",
        actor=actor,
        consumer_department=None,
        dataset_code="d",
        owner_department="o",
        method="GET",
        path="/v1/x",
        request_hash="a" * 64,
        response_hash="b" * 64,
        prev_hash=prev,
        hash="",
    )
    from exchange.audit.service import _fields

    entry.hash = entry_hash(prev, _fields(entry))
    return entry


def test_the_audit_chain_detects_changed_and_removed_entries() -> None:
    first = _entry(GENESIS, "sys-a", 1)
    second = _entry(first.hash, "sys-b", 2)
    third = _entry(second.hash, "sys-c", 3)
    assert verify_chain([first, second, third]) == (True, None)
    assert verify_chain([first, third]) == (False, 3), "a removed entry breaks the next link"
    second.actor = "someone-else"
    assert verify_chain([first, second, third]) == (False, 2)
    naive = _entry(GENESIS, "sys-a", 1)
    naive.at = naive.at.replace(tzinfo=None)  # SQLite gives UTC back without offset
    assert verify_chain([naive]) == (True, None)


def test_published_events_validate_against_their_schema() -> None:
    data = {
        "record_id": "r",
        "origin": "city_platform",
        "source": "GX/city/11450100MBQH0Y21QM/p",
        "external_id": "C-1",
        "tracking_number": None,
        "item_code": "I",
        "item_name": None,
        "region": "450103",
        "department": None,
        "status": "accepted",
        "status_at": "2026-01-01T00:00:00+08:00",
        "received_at": "2026-01-01T00:00:00+08:00",
        "change": "created",
    }
    assert CaseSynced.model_validate(data).to_data()["flags"] == []
    with pytest.raises(ValueError):
        CaseSynced.model_validate({**data, "applicant_id": "11010519491231002X"})


def test_subscribable_types_are_published_by_someone() -> None:
    producers = (
        "catalog.item.",
        "workflow.case.",
        "workflow.supervision.",
        "certificates.license.",
        "evaluation.",
        "hotline.order.",
    )
    assert all(t.startswith(producers) for t in SUBSCRIBABLE)


def test_import_files_csv_json_and_refusals() -> None:
    rows = parse_file("\ufefflegacy_id,b\n1,\n".encode(), "text/csv; charset=utf-8")
    assert rows == [{"legacy_id": "1", "b": None}]
    assert parse_file(b'[{"a": 1}]', "application/json") == [{"a": 1}]
    refused = (
        (b'{"a": 1}', "application/json"),
        (b"\xff\xfe", "text/csv"),
        (b"x", "text/plain"),
        (b"{}", "text/csv"),  # found by the API fuzzing: no header naming the columns was "0 rows imported"
        (b"", "text/csv"),
        (b"a,b\n1,2\n", "text/csv"),
    )
    for raw, kind in refused:
        with pytest.raises(BadImportFile):
            parse_file(raw, kind)


def test_blind_index_is_keyed_and_normalised() -> None:
    k, other = BlindIndex(bytes(range(32))), BlindIndex(bytes(range(1, 33)))
    assert blind_index(k, "11010519491231002x") == blind_index(k, " 11010519491231002X ")
    assert blind_index(k, "11010519491231002X") != blind_index(other, "11010519491231002X")
