"""Problems svc-workflow answers with (RFC 9457, stable slugs)."""

from __future__ import annotations

from gov_common.errors import Conflict, Forbidden, NotFound, ProblemError


class CaseNotFound(NotFound):
    slug, title = "case-not-found", "No such case (or not yours to see)"


class TaskNotFound(NotFound):
    slug, title = "task-not-found", "No such task (or not yours to see)"


class TaskAlreadyClaimed(Conflict):
    slug, title = "task-already-claimed", "Someone else has claimed this task"


class TaskNotClaimable(Conflict):
    slug, title = "task-not-claimable", "The task is not open for claiming"


class TaskNotYours(Forbidden):
    slug, title = "task-not-claimed-by-you", "Claim the task before acting on it"


class ActionNotAllowed(ProblemError):
    slug, status, title = "action-not-allowed", 422, "This action does not fit the task's step"


class CaseClosed(Conflict):
    slug, title = "case-closed", "The case is closed"


class OutOfScope(Forbidden):
    slug, title = "out-of-scope", "Outside your department, region or role"


class InvalidCalendar(ProblemError):
    slug, status, title = "invalid-calendar", 422, "The holiday arrangement is not valid"


class TimeTravelDisabled(Forbidden):
    slug, title = "time-travel-disabled", "Evaluating at another time is disabled in this deployment"


class InvalidQuery(ProblemError):
    slug, status, title = "invalid-query", 400, "A query parameter is not valid"


class TransitionRefused(Conflict):
    slug, title = "transition-refused", "The case's status does not allow this"


class OrderNotFound(NotFound):
    slug, title = "supervision-order-not-found", "No such supervision order (or not yours to see)"


class OrderAlreadyReplied(Conflict):
    slug, title = "supervision-order-replied", "The supervision order has been replied to already"


class ExternalCaseNotFound(NotFound):
    slug, title = "external-case-not-found", "No such city-platform case (or not yours to see)"


class NoDepartmentToOrder(ProblemError):
    slug, status, title = "no-department-to-order", 422, "The case names no department to order"


class NoteNotFound(NotFound):
    slug, title = "case-note-not-found", "No such note on this case"


class TooManyNotes(Conflict):
    slug, title = "case-notes-full", "The case holds as many notes as it may"


class CountersignNotFound(NotFound):
    slug, title = "countersign-not-found", "No such countersign request (or not yours to see)"


class CountersignAnswered(Conflict):
    slug, title = "countersign-answered", "The countersign request has been answered already"


class InvalidCountersign(ProblemError):
    slug, status, title = "invalid-countersign", 422, "This department cannot be asked to countersign the case"
