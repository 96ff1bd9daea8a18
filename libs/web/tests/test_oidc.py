"""Pure parts of the OIDC client: where a person may be sent back to after signing in."""

from __future__ import annotations

import pytest

from gov_web.oidc import missing_methods, safe_next


@pytest.mark.parametrize(
    ("asked", "sent"),
    [
        ("/me/applications/1?x=2", "/me/applications/1?x=2"),
        ("https://evil.example/", "/"),
        ("//evil.example/path", "/"),
        ("/\\evil.example", "/"),
        ("javascript:alert(1)", "/"),
        ("/a\r\nSet-Cookie: x=1", "/"),
        ("", "/"),
        (None, "/"),
        ("/" + "a" * 2000, "/"),
    ],
)
def test_only_local_paths_are_returned_to(asked: str | None, sent: str) -> None:
    assert safe_next(asked) == sent


def test_a_front_end_may_require_a_second_factor() -> None:
    assert missing_methods({"amr": ["pwd", "otp"]}, ["otp"]) == []
    assert missing_methods({"amr": ["pwd"]}, ["otp"]) == ["otp"]
    assert missing_methods({"amr": "otp"}, ["otp"]) == ["otp"], "a string is not the list the standard says"
    assert missing_methods({}, ["otp"]) == ["otp"]
    assert missing_methods({}, []) == []
