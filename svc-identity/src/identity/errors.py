"""Problems svc-identity's JSON API answers with (problem+json, stable slugs). The OAuth endpoints answer
RFC 6749 errors instead (see :mod:`identity.oidc.errors`)."""

from __future__ import annotations

from gov_common.errors import Conflict, Forbidden, NotFound, ProblemError


class InvalidIdentifierProblem(ProblemError):
    slug, status, title = "invalid-identifier", 422, "The identifier is not valid"


class WeakPassword(ProblemError):
    slug, status, title = "weak-password", 422, "The password is too weak"


class AccountExists(Conflict):
    slug, title = "account-exists", "An account with this identity exists"


class EnterpriseExists(Conflict):
    slug, title = "enterprise-exists", "This enterprise is registered"


class AccountNotFound(NotFound):
    slug, title = "account-not-found", "No such account"


class EnterpriseNotFound(NotFound):
    slug, title = "enterprise-not-found", "No such enterprise"


class DepartmentNotFound(NotFound):
    slug, title = "department-not-found", "No such department"


class DepartmentExists(Conflict):
    slug, title = "department-exists", "A department with this credit code exists"


class RegionNotFound(NotFound):
    slug, title = "region-not-found", "No such region"


class SessionNotFound(NotFound):
    slug, title = "session-not-found", "No such session"


class OutsideRegion(Forbidden):
    slug, title = "outside-region", "Outside your region"


class NotRepresentative(Forbidden):
    slug, title = "not-representative", "Only the legal representative may do this"


class AssuranceTooLow(Forbidden):
    slug, title = "assurance-too-low", "A higher assurance level is required"


class RoleNotGrantable(Forbidden):
    slug, title = "role-not-grantable", "You may not grant this role"


class UnknownScope(ProblemError):
    slug, status, title = "unknown-scope", 422, "Unknown scope"


class UnknownRole(ProblemError):
    slug, status, title = "unknown-role", 422, "Unknown role"


class VerificationFailed(ProblemError):
    slug, status, title = "verification-failed", 422, "The identity could not be verified"


class InvalidClientMetadata(ProblemError):
    slug, status, title = "invalid-client-metadata", 422, "The client metadata is not valid"


class RegionExists(Conflict):
    slug, title = "region-exists", "This region exists"


class InvalidExpiry(ProblemError):
    slug, status, title = "invalid-expiry", 422, "The expiry is not acceptable"


class ClientNotFound(NotFound):
    slug, title = "client-not-found", "No such OAuth client"


class UsernameTaken(Conflict):
    slug, title = "username-taken", "This user name is taken"


class ReauthenticationFailed(Forbidden):
    slug, title = "reauthentication-failed", "Confirm it is you: the password (or TOTP code) is wrong"


class ChangeCodeWrong(ProblemError):
    slug, status, title = "change-code-wrong", 422, "The code is wrong or expired"


class SamePhone(ProblemError):
    slug, status, title = "same-phone", 422, "This is already your mobile number"


class TooManyChanges(ProblemError):
    slug, status, title = "too-many-changes", 429, "Too many changes started; try again later"


class TooManyRealNameChecks(ProblemError):
    slug, status, title = "too-many-real-name-checks", 429, "Too many real-name checks in the last hour"


class LegalPersonMismatch(ProblemError):
    slug, status, title = (
        "legal-person-mismatch",
        422,
        "The legal-person base names another enterprise or representative",
    )


class RegistrationNotFound(NotFound):
    slug, title = "registration-not-found", "No such enterprise registration"


class DisputeNotFound(NotFound):
    slug, title = "dispute-not-found", "No such dispute"


class AlreadyDecided(Conflict):
    slug, title = "already-decided", "This has been decided"


class PrivilegedAccount(Forbidden):
    slug, title = "privileged-account", "Only a platform admin acts on a privileged account"


class NotOnYourself(Forbidden):
    slug, title = "not-on-yourself", "Administrators do not act on their own account through administration"


class AlreadyRepresentative(Conflict):
    slug, title = "already-representative", "You are the enterprise's representative"
