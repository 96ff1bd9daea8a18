"""Problems a client of svc-hotline may see; each slug is stable (clients branch on it)."""

from gov_common.errors import Conflict, Forbidden, NotFound, ProblemError


class OrderNotFound(NotFound):
    slug, title = "hotline-order-not-found", "No such work order"


class EntryNotFound(NotFound):
    slug, title = "knowledge-entry-not-found", "No such knowledge entry"


class TopicNotFound(NotFound):
    slug, title = "topic-not-found", "No such topic"


class OutOfScope(Forbidden):
    slug, title = "outside-your-scope", "The record belongs to another department or region"


class NotAnOperator(Forbidden):
    slug, title = "hotline-operator-only", "Only 12345 operators of the order's region may do this"


class InvalidTransition(Conflict):
    slug, title = "invalid-order-transition", "The work order cannot do that in its current state"


class NoDispatchRule(ProblemError):
    slug, status, title = "no-dispatch-rule", 422, "No rule names a department for this category and region"


class UnknownCategory(ProblemError):
    slug, status, title = "unknown-category", 422, "No such category"


class InvalidOrder(ProblemError):
    slug, status, title = "invalid-work-order", 422, "The work order is not valid"


class InvalidPeriod(ProblemError):
    slug, status, title = "invalid-period", 422, "The period is not valid"


class DuplicateEntry(Conflict):
    slug, title = "knowledge-entry-exists", "An entry with that title already exists"


class RevisionNotFound(NotFound):
    slug, title = "knowledge-revision-not-found", "No such revision of the entry"


class RevisionPending(Conflict):
    slug, title = "knowledge-revision-pending", "The entry already has a revision waiting for review"


class InvalidForward(ProblemError):
    slug, status, title = "invalid-forward", 422, "The order cannot be forwarded to that city"
