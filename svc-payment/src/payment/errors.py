"""Problems a client of svc-payment may see; each slug is stable (clients branch on it)."""

from gov_common.errors import Conflict, Forbidden, NotFound, ProblemError


class OrderNotFound(NotFound):
    slug, title = "payment-order-not-found", "No such payment order"


class RefundNotFound(NotFound):
    slug, title = "refund-not-found", "No such refund"


class ReportNotFound(NotFound):
    slug, title = "reconciliation-report-not-found", "No reconciliation report for that day"


class NotYourOrder(Forbidden):
    slug, title = "payment-order-forbidden", "This order is not yours to act on"


class InvalidTransition(Conflict):
    slug, title = "invalid-order-transition", "The order cannot change to that state now"


class OrderNotPayable(Conflict):
    slug, title = "order-not-payable", "The order cannot be paid in its current state"


class UnknownChannel(ProblemError):
    slug, status, title = "unknown-channel", 422, "No such payment channel"


class ChannelUnavailable(ProblemError):
    slug, status, title = "channel-unavailable", 502, "The payment channel did not answer correctly"


class InvalidNotification(ProblemError):
    slug, status, title = "invalid-notification", 400, "The channel notification is not valid"


class AmountMismatch(ProblemError):
    slug, status, title = "amount-mismatch", 422, "The order amount does not equal the sum of its lines"


class StaleRefundable(Conflict):
    slug, title = "stale-refundable-amount", "The refundable amount changed since you read it"


class RefundExceedsPaid(Conflict):
    slug, title = "refund-exceeds-refundable", "The refund is larger than what can still be refunded"


class RefundNotPending(Conflict):
    slug, title = "refund-not-pending", "The refund was already decided"


class SameApprover(Forbidden):
    slug, title = "four-eyes-required", "A refund must be approved by someone other than its requester"


class OutOfScope(Forbidden):
    slug, title = "outside-your-scope", "The record belongs to another department or region"


class CombinedPaymentNotFound(NotFound):
    slug, title = "combined-payment-not-found", "No such combined payment"
