"""Webhook signatures follow the Standard Webhooks specification (standardwebhooks.com), so receivers
verify with any of its libraries or by hand, as documented in the README ("Webhooks"):

    webhook-id: <delivery id, the same on every retry: use it to drop duplicates>
    webhook-timestamp: <unix seconds of this attempt>
    webhook-signature: v1,<base64 HMAC-SHA256(key, "<webhook-id>.<webhook-timestamp>.<raw body>")>

``key`` is the subscription secret ``whsec_<base64>`` with the prefix dropped, base64-decoded. Reject
timestamps more than 5 minutes away from your clock."""

from __future__ import annotations

import base64
import secrets
from datetime import datetime

from standardwebhooks.webhooks import Webhook

ID_HEADER = "webhook-id"
TIMESTAMP_HEADER = "webhook-timestamp"
SIGNATURE_HEADER = "webhook-signature"
EVENT_TYPE_HEADER = "X-Gov-Event-Type"


def new_secret() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


def signed_headers(secret: str, sent_at: datetime, body: str, *, delivery_id: str, event_type: str) -> dict[str, str]:
    """Headers of one attempt; ``body`` is sent as its UTF-8 bytes, exactly as signed."""
    return {
        "Content-Type": "application/json",
        ID_HEADER: delivery_id,
        TIMESTAMP_HEADER: str(int(sent_at.timestamp())),
        SIGNATURE_HEADER: Webhook(secret).sign(delivery_id, sent_at, body),
        EVENT_TYPE_HEADER: event_type,
    }
