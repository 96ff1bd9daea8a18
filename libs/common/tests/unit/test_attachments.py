"""Download headers: the file name a browser saves is safe whatever an uploader called the file (RFC 6266
with an RFC 5987 ``filename*``), and the document can never act as a page of the platform's origin."""

from __future__ import annotations

import re
from urllib.parse import unquote

import pytest

from gov_common.attachments import ATTACHMENT_CSP, attachment_headers, content_disposition, safe_filename

PDF = "application/pdf"


_PARAM = re.compile(r';\s*([A-Za-z*]+)=("(?:[^"\\]|\\.)*"|[^;\s]*)')


def parsed(value: str) -> tuple[str, str | None, str | None]:
    """(disposition type, ``filename``, the name an RFC 6266 client saves: ``filename*`` when present, an
    RFC 5987 ``charset'language'percent-encoded`` value, else ``filename``)."""
    kind = value.split(";", 1)[0].strip()
    params = {name.lower(): raw for name, raw in _PARAM.findall(value)}
    assert "".join(f"; {k}={v}" for k, v in _PARAM.findall(value)) == value[len(kind) :], "nothing unparsed"
    plain = params["filename"][1:-1] if params.get("filename", "").startswith('"') else params.get("filename")
    extended = params.get("filename*")
    if extended is None:
        return kind, plain, plain
    charset, _language, encoded = extended.split("'", 2)
    assert charset == "UTF-8" and re.fullmatch(r"(?:[A-Za-z0-9!#$&+.^_`|~-]|%[0-9A-F]{2})+", encoded), extended
    return kind, plain, unquote(encoded, encoding="utf-8", errors="strict")


@pytest.mark.parametrize(
    ("uploaded", "saved_as"),
    [
        ("营业执照.pdf", "营业执照.pdf"),
        ("plain.pdf", "plain.pdf"),
        ("../../etc/passwd", "passwd.pdf"),
        ("C:\\Users\\a\\evil.html", "evil.pdf"),  # the content's type decides the extension, never the name
        ("invoice\u202efdp.exe", "invoicefdp.pdf"),  # a right-to-left override hides the real extension
        ("x\r\nSet-Cookie: a=b.pdf", "xSet-Cookie_ a=b.pdf"),  # no header injection
        ('report "final";.pdf', "report _final_;.pdf"),
        ("CON.pdf", "_CON.pdf"),
        ("<img src=x onerror=alert(1)>.html", "_img src=x onerror=alert(1)_.pdf"),
        ("...", "material.pdf"),
        (None, "material.pdf"),
        ("  .pdf  ", "pdf.pdf"),  # a dot file keeps its name, never a leading dot
        ("a" * 300 + ".pdf", "a" * 100 + ".pdf"),
    ],
)
def test_the_saved_name_is_safe(uploaded: str | None, saved_as: str) -> None:
    assert safe_filename(uploaded, media_type=PDF, fallback="material") == saved_as
    header = content_disposition(uploaded, media_type=PDF, fallback="material")
    assert "\r" not in header and "\n" not in header and header.isascii()
    kind, plain, full = parsed(header)
    assert kind == "attachment"
    assert full == saved_as
    assert plain is not None and plain.isascii() and plain.endswith(".pdf")
    assert not set(plain) & set('/\\"; '), plain


def test_a_chinese_name_keeps_its_characters_with_an_ascii_fallback() -> None:
    header = content_disposition("营业执照 副本.pdf", media_type=PDF, fallback="material")
    assert header == (
        'attachment; filename="material.pdf"; '
        "filename*=UTF-8''%E8%90%A5%E4%B8%9A%E6%89%A7%E7%85%A7%20%E5%89%AF%E6%9C%AC.pdf"
    )
    assert parsed(header)[2] == "营业执照 副本.pdf"
    assert parsed(content_disposition("营业执照.pdf", media_type=PDF, fallback="material"))[1] == "material.pdf"


def test_an_ascii_name_needs_no_extended_form() -> None:
    assert content_disposition("plain.pdf", media_type=PDF) == 'attachment; filename="plain.pdf"'


@pytest.mark.parametrize(("media_type", "extension"), [("image/png", ".png"), ("image/jpeg", ".jpg"), (PDF, ".pdf")])
def test_the_extension_follows_the_content(media_type: str, extension: str) -> None:
    assert safe_filename("photo.pdf", media_type=media_type, fallback="x") == f"photo{extension}"


def test_every_header_of_a_download() -> None:
    headers = attachment_headers("a.pdf", media_type=PDF)
    assert headers["Content-Disposition"] == 'attachment; filename="a.pdf"'
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Content-Security-Policy"] == ATTACHMENT_CSP == "default-src 'none'; frame-ancestors 'none'; sandbox"
    assert headers["Cross-Origin-Resource-Policy"] == "same-origin"
    assert headers["Cache-Control"] == "private, no-store"
