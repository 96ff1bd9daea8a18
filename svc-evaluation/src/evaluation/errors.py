"""Problems a client of svc-evaluation may see; each slug is stable (clients branch on it)."""

from gov_common.errors import Conflict, Forbidden, NotFound, ProblemError


class CaseNotRatable(NotFound):
    slug, title = "case-not-ratable", "No completed case with that id is known to the evaluation service"


class RatingNotFound(NotFound):
    slug, title = "rating-not-found", "No such rating"


class RectificationNotFound(NotFound):
    slug, title = "rectification-not-found", "No such rectification"


class ConsultationNotFound(NotFound):
    slug, title = "consultation-not-found", "No such consultation or complaint"


class NotTheApplicant(Forbidden):
    slug, title = "not-the-applicant", "Only the applicant of a case may rate it"


class OwnCaseRating(Forbidden):
    slug, title = "rating-own-handling", "Staff cannot rate a case they handled"


class NotYourRecord(Forbidden):
    slug, title = "evaluation-forbidden", "This record is not yours to act on"


class OutOfScope(Forbidden):
    slug, title = "outside-your-scope", "The record belongs to another department or region"


class AlreadyRated(Conflict):
    slug, title = "rating-already-submitted", "This case has already been rated; a rating cannot be changed"


class InvalidTransition(Conflict):
    slug, title = "invalid-rectification-transition", "The rectification cannot do that in its current state"


class AlreadyAnswered(Conflict):
    slug, title = "consultation-already-answered", "The consultation has already been answered"


class AnsweredInHotline(Conflict):
    slug, title = "consultation-answered-in-hotline", "The department answers this one as a 12345 work order"


class NotAnswered(Conflict):
    slug, title = "consultation-not-answered", "The consultation has not been answered yet"


class AlreadyJudged(Conflict):
    slug, title = "satisfaction-already-given", "The satisfaction of this answer was already given"


class InvalidReasons(ProblemError):
    slug, status, title = "invalid-rating-reasons", 422, "The reasons are not on the list for that level"


class ReasonRequired(ProblemError):
    slug, status, title = "rating-reason-required", 422, "A bad rating needs at least one reason"


class InvalidRatingTarget(ProblemError):
    slug, status, title = "invalid-rating-target", 422, "Rate either a case or on-site service at a window"


class CannotRoute(ProblemError):
    slug, status, title = "consultation-unroutable", 422, "No department can be found for this question"


class InvalidPeriod(ProblemError):
    slug, status, title = "invalid-period", 422, "The period is not valid"
