"""Problems a client of svc-application may see; each slug is stable (clients branch on it)."""

from gov_common.errors import Conflict, Forbidden, NotFound, ProblemError


class ApplicationNotFound(NotFound):
    slug, title = "application-not-found", "No such application"


class ItemNotAvailable(ProblemError):
    slug, status, title = "item-not-available", 422, "The item is not published in this region"


class CrossRegionNotAllowed(ProblemError):
    slug, status, title = (
        "cross-region-acceptance-not-allowed",
        422,
        "This item may not be accepted by a window of another region",
    )


class FormInvalid(ProblemError):
    slug, status, title = "form-invalid", 422, "The form data does not match the item's form"


class ApplicantInvalid(ProblemError):
    slug, status, title = "applicant-invalid", 422, "The applicant's identification is not valid"


class NotForYou(Forbidden):
    slug, title = "not-allowed", "You may not do this"


class InvalidState(Conflict):
    slug, title = "invalid-application-state", "The application cannot do that in its current state"


class AlreadySubmitted(Conflict):
    slug, title = "already-submitted", "The application was already submitted with another Idempotency-Key"


class PreReviewFailed(ProblemError):
    slug, status, title = "pre-review-failed", 422, "The application is not complete"


class UnknownMaterial(ProblemError):
    slug, status, title = "unknown-material", 422, "The item asks for no material of that name"


class MaterialTooLarge(ProblemError):
    slug, status, title = "material-too-large", 413, "The file is larger than allowed"


class MaterialTypeRefused(ProblemError):
    slug, status, title = "material-type-refused", 415, "The file's content is not an accepted type"


class MaterialInfected(ProblemError):
    slug, status, title = "material-infected", 422, "The file did not pass the virus scan"


class LicenseNotUsable(ProblemError):
    slug, status, title = "license-not-usable", 422, "The e-license cannot replace this material"


class LicenseServiceUnavailable(ProblemError):
    slug, status, title = "license-service-unavailable", 503, "E-licenses cannot be looked up right now"


class StatusCheckFailed(NotFound):
    slug, title = "status-not-found", "No application matches this tracking number and check"


class TooManyRequests(ProblemError):
    slug, status, title = "too-many-requests", 429, "Too many requests; try again later"


class HallNotFound(NotFound):
    slug, title = "hall-not-found", "No such hall"


class AppointmentNotFound(NotFound):
    slug, title = "appointment-not-found", "No such appointment"


class SlotNotBookable(ProblemError):
    slug, status, title = "slot-not-bookable", 422, "The hall takes no appointments at that time"


class SlotFull(Conflict):
    slug, title = "slot-full", "That slot is fully booked"


class DeliveryNotAllowed(ProblemError):
    slug, status, title = "delivery-not-allowed", 422, "The item does not deliver its result that way"


class MaterialNotFound(NotFound):
    slug, title = "material-not-found", "No such material of this application"


class MaterialHasNoFile(NotFound):
    slug, title = "material-has-no-file", "The material is an e-license, not an uploaded file"


class MaterialContentMissing(ProblemError):
    slug, status, title = "material-content-missing", 500, "The material's file is missing from storage"


class BundleNotAvailable(ProblemError):
    slug, status, title = "bundle-not-available", 422, "The one-thing bundle is not published"


class BundleApplicationNotFound(NotFound):
    slug, title = "bundle-application-not-found", "No such bundle application"


class PartOfBundle(Conflict):
    slug, title = "part-of-bundle", "This application is one part of a bundle application: act on the bundle"
