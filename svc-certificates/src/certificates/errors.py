"""Problems svc-certificates answers with (RFC 9457); the slugs are stable."""

from __future__ import annotations

from gov_common.errors import ProblemError


class LicenseNotFound(ProblemError):
    slug, status, title = "certificates-license-not-found", 404, "No such license"


class LicenseTypeNotFound(ProblemError):
    slug, status, title = "certificates-license-type-not-found", 404, "No such license type"


class LicenseTypeExists(ProblemError):
    slug, status, title = "certificates-license-type-exists", 409, "A license type with this code or name exists"


class GrantNotFound(ProblemError):
    slug, status, title = "certificates-grant-not-found", 404, "No such grant"


class SealNotFound(ProblemError):
    slug, status, title = "certificates-seal-not-found", 404, "No seal for this department"


class InvalidHolder(ProblemError):
    slug, status, title = "certificates-invalid-holder", 422, "The holder identifier is not valid"


class InvalidFields(ProblemError):
    slug, status, title = "certificates-invalid-fields", 422, "The license fields do not match the license type"


class InvalidTransition(ProblemError):
    slug, status, title = "certificates-invalid-transition", 409, "The license is not in a state that allows this"


class CaseNotFound(ProblemError):
    slug, status, title = "certificates-case-not-found", 404, "No approved case of yours produces a license"


class NotTheCaseLicense(ProblemError):
    slug, status, title = "certificates-not-the-case-license", 403, "The case's item produces another license type"


class LicenseExists(ProblemError):
    slug, status, title = "certificates-license-exists", 409, "The case's license is already issued"


class InvalidVerificationRequest(ProblemError):
    slug, status, title = "certificates-invalid-verification-request", 400, "Send a credential or an identifier"


class HolderUnresolved(ProblemError):
    slug, status, title = "certificates-holder-unresolved", 503, "The holder's identifier cannot be resolved now"


class RateLimited(ProblemError):
    slug, status, title = "certificates-rate-limited", 429, "Too many verification requests"


class HolderCheckLimited(ProblemError):
    slug, status, title = (
        "certificates-holder-check-limited",
        429,
        "Too many holder-ID checks of this license; try again later",
    )


class NotADepartmentSystem(ProblemError):
    slug, status, title = (
        "certificates-not-a-department-system",
        403,
        "Only a department's own system, registered for its department and region, imports licences",
    )


class NotTheDepartmentsLicense(ProblemError):
    slug, status, title = (
        "certificates-not-the-departments-license-type",
        403,
        "No published item of your department produces this license type",
    )


class LicenseAlreadyImported(ProblemError):
    slug, status, title = "certificates-license-already-imported", 409, "This source reference is already imported"


class NoticeNotFound(ProblemError):
    slug, status, title = "certificates-notice-not-found", 404, "No such notice"
