"""Files a front-end shows inside its own pages: PDF and raster images only, never HTML or SVG; a PDF framed
by the front-end's own pages only; the page policy lets pages embed only their own origin's files."""

from __future__ import annotations

import pytest

from gov_web.security import content_security_policy, preview_headers


def test_pdf_and_images_are_shown_inline_with_no_sniffing() -> None:
    pdf = preview_headers("营业执照.pdf", media_type="application/pdf")
    assert pdf["Content-Disposition"].startswith("inline; filename=")
    assert pdf["X-Content-Type-Options"] == "nosniff"
    assert "frame-ancestors 'self'" in pdf["Content-Security-Policy"]
    assert "default-src 'none'" in pdf["Content-Security-Policy"]
    assert pdf["X-Frame-Options"] == "SAMEORIGIN"
    png = preview_headers("scan.png", media_type="image/png")
    assert png["Content-Disposition"].startswith("inline;") and "sandbox" in png["Content-Security-Policy"]
    assert "X-Frame-Options" not in png  # an image is never framed: the page default (DENY) applies


@pytest.mark.parametrize("media_type", ["text/html", "image/svg+xml", "application/xhtml+xml", "text/xml", ""])
def test_html_svg_and_the_rest_are_never_shown_inline(media_type: str) -> None:
    with pytest.raises(ValueError):
        preview_headers("x.svg", media_type=media_type)


def test_a_name_cannot_break_out_of_the_disposition() -> None:
    headers = preview_headers('a"; filename=evil.html\r\nX: y.pdf', media_type="application/pdf")
    value = headers["Content-Disposition"]
    assert "\r" not in value and "\n" not in value
    assert value.count('"') == 2 and value.split(";")[1].strip().endswith('.pdf"'), value  # one quoted name, a PDF


def test_pages_embed_their_own_files_only_when_asked() -> None:
    plain = content_security_policy("https://gw.example")
    assert "object-src" not in plain and "default-src 'none'" in plain  # object-src falls back to none
    embedding = content_security_policy("https://gw.example", embeds_own_files=True)
    assert "object-src 'self'" in embedding and "frame-ancestors 'none'" in embedding
