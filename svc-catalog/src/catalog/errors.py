"""Problems svc-catalog answers with (RFC 9457); the slugs are stable."""

from __future__ import annotations

from gov_common.errors import ProblemError


class ItemNotFound(ProblemError):
    slug, status, title = "catalog-item-not-found", 404, "No such item"


class BundleNotFound(ProblemError):
    slug, status, title = "catalog-bundle-not-found", 404, "No such one-thing bundle"


class VersionImmutable(ProblemError):
    slug, status, title = "catalog-version-immutable", 409, "Only a draft version can change"


class InvalidTransition(ProblemError):
    slug, status, title = "catalog-invalid-transition", 409, "The version is not in a state that allows this"


class InheritanceViolation(ProblemError):
    slug, status, title = "catalog-inheritance-violation", 422, "An implementation list may only make it easier"


class InheritedItemMissing(ProblemError):
    slug, status, title = "catalog-inherited-item-missing", 422, "The inherited item is not published"


class ItemExists(ProblemError):
    slug, status, title = "catalog-item-exists", 409, "The item already exists in this region"


class RegionOutOfScope(ProblemError):
    slug, status, title = "catalog-region-out-of-scope", 403, "Outside your region"


class DepartmentOutOfScope(ProblemError):
    slug, status, title = "catalog-department-out-of-scope", 403, "Outside your department"


class InvalidQuery(ProblemError):
    slug, status, title = "catalog-invalid-query", 400, "The query parameters are not valid"


class BundleInvalid(ProblemError):
    slug, status, title = "catalog-bundle-invalid", 422, "The bundle cannot be built from these items"


class FormDataInvalid(ProblemError):
    slug, status, title = "catalog-form-data-invalid", 422, "The form data does not match the item's form"


class InvalidCrossRegionAcceptance(ProblemError):
    slug, status, title = "invalid-cross-region-acceptance", 422, "The item's cross-region acceptance does not fit it"


class InvalidSmartApprovalRule(ProblemError):
    slug, status, title = "invalid-smart-approval-rule", 422, "The item's smart-approval rule does not fit the item"


class ReviewGuideNotFound(ProblemError):
    slug, status, title = "catalog-review-guide-not-found", 404, "No handling guide for this item"


class ReviewGuideChanged(ProblemError):
    slug, status, title = "catalog-review-guide-changed", 409, "The handling guide was changed meanwhile"
