"""Problems svc-exchange answers with (RFC 9457); each slug is stable."""

from __future__ import annotations

from gov_common.errors import Conflict, Forbidden, NotFound, ProblemError


class SystemNotRegistered(Forbidden):
    slug, title = "system-not-registered", "This client is not a registered, active external system"


class ScopeNotGranted(Forbidden):
    slug, title = "scope-not-granted", "The system is not granted the scope this operation needs"


class RateLimited(ProblemError):
    slug, status, title = "rate-limited", 429, "Too many requests from this system"


class SystemNotFound(NotFound):
    slug, title = "system-not-found", "No such external system"


class SystemExists(Conflict):
    slug, title = "system-exists", "A system with this identifier or client id is already registered"


class InvalidIdentifier(ProblemError):
    slug, status, title = "invalid-system-identifier", 422, "The system identifier is not in the documented form"


class SubscriptionNotFound(NotFound):
    slug, title = "subscription-not-found", "No such webhook subscription"


class SecretUnavailable(ProblemError):
    slug, status, title = (
        "secret-unavailable",
        503,
        "The platform cannot read this subscription's signing secret now; its operators are told",
    )


class DeliveryNotFound(NotFound):
    slug, title = "delivery-not-found", "No such webhook delivery"


class WebhookUrlNotAllowed(ProblemError):
    slug, status, title = "webhook-url-not-allowed", 422, "The webhook URL does not reach a public address"


class UnknownEventType(ProblemError):
    slug, status, title = "unknown-event-type", 422, "An event type cannot be subscribed to"


class DatasetNotFound(NotFound):
    slug, title = "dataset-not-found", "No such shared dataset"


class UnknownFields(ProblemError):
    slug, status, title = "unknown-fields", 422, "Requested fields are not in the dataset"


class SharingRequestNotFound(NotFound):
    slug, title = "sharing-request-not-found", "No such sharing request"


class NotDataOwner(Forbidden):
    slug, title = "not-data-owner", "Only the owner department decides on this dataset"


class AlreadyDecided(Conflict):
    slug, title = "already-decided", "The sharing request was already decided"


class NoApproval(Forbidden):
    slug, title = "no-sharing-approval", "Your department has no current approval for this dataset"


class RecordNotFound(NotFound):
    slug, title = "record-not-found", "No record with this key in the dataset"


class BadImportFile(ProblemError):
    slug, status, title = "bad-import-file", 422, "The import file cannot be read"


class RegionNotAllowed(Forbidden):
    slug, title = "region-not-allowed", "The system may not act in this region"


class NationalUnavailable(ProblemError):
    slug, status, title = "national-platform-unavailable", 502, "The national platform adapter failed"


class ForwardNotFound(NotFound):
    slug, title = "hotline-forward-not-found", "No 12345 work order with this id was forwarded to your platform"


class ReplySignatureInvalid(ProblemError):
    slug, status, title = (
        "reply-signature-invalid",
        401,
        "The reply is not signed with a secret of your subscription to hotline.order.forwarded",
    )


class ForwardEnded(Conflict):
    slug, title = "hotline-forward-ended", "The forwarded work order takes no such reply now"


class InvalidReply(ProblemError):
    slug, status, title = "invalid-hotline-reply", 422, "The reply is not valid"
