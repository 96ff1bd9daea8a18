"""The license as a PDF: title, fields, holder, issuer, validity, the seal image and a QR code that leads
to public verification. Chinese text uses ReportLab's built-in Adobe CID font STSong-Light, so no font
file is needed (PDF readers supply the glyphs)."""

from __future__ import annotations

import io
from typing import Any

from reportlab.graphics import renderPDF
from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.graphics.shapes import Drawing
from reportlab.lib.colors import red
from reportlab.lib.pagesizes import A4
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen import canvas

from certificates.models import License, LicenseType

FONT = "STSong-Light"
pdfmetrics.registerFont(UnicodeCIDFont(FONT))


def _seal(c: canvas.Canvas, x: float, y: float, name: str) -> None:
    """The department's round red seal (image of the e-seal; the signature itself is SM2)."""
    c.saveState()
    c.setStrokeColor(red)
    c.setFillColor(red)
    c.setLineWidth(3)
    c.circle(x, y, 60)
    c.setFont(FONT, 9)
    c.drawCentredString(x, y + 20, name[:14])
    c.setFont(FONT, 28)
    c.drawCentredString(x, y - 12, "★")
    c.setFont(FONT, 9)
    c.drawCentredString(x, y - 38, "电子印章")
    c.restoreState()


def render_pdf(lic: License, license_type: LicenseType, *, verify_url: str) -> bytes:
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=A4, invariant=True)
    width, height = A4
    c.setTitle(f"{lic.type_name} {lic.identifier}")
    c.setFont(FONT, 24)
    c.drawCentredString(width / 2, height - 90, str(license_type.template.get("title") or lic.type_name))
    c.setFont(FONT, 10)
    c.drawCentredString(width / 2, height - 110, f"证照标识 {lic.identifier}")
    labels = {f["name"]: f["label"] for f in license_type.fields}
    lines = [("持证主体", lic.holder_name)]
    lines += [
        (labels.get(name, name), str(lic.fields[name]))
        for name in license_type.template.get("field_order", [])
        if name in lic.fields
    ]
    lines += [
        ("有效期自", lic.valid_from.isoformat()),
        ("有效期至", lic.valid_until.isoformat() if lic.valid_until else "长期"),
        ("发证机关", lic.issuer_name),
        ("版本", f"{lic.version:03d}"),
    ]
    y = height - 160
    c.setFont(FONT, 12)
    for label, value in lines:
        c.drawString(80, y, f"{label}：")
        c.drawString(180, y, value[:60])
        y -= 24
    _seal(c, width - 150, 170, lic.issuer_name)
    qr = QrCodeWidget(verify_url)
    x0, y0, x1, y1 = qr.getBounds()
    size = 120.0
    drawing = Drawing(size, size, transform=[size / (x1 - x0), 0, 0, size / (y1 - y0), 0, 0])
    drawing.add(qr)
    renderPDF.draw(drawing, c, 70, 110)
    c.setFont(FONT, 8)
    c.drawString(70, 100, "扫码核验 / scan to verify")
    c.showPage()
    c.save()
    return buf.getvalue()


def _wrap(text: str, width: int) -> list[str]:
    """Lines of at most ``width`` characters (CJK text has no spaces to break at)."""
    return [text[i : i + width] for i in range(0, len(text), width)] or [""]


def _qr(c: canvas.Canvas, url: str, x: float, y: float) -> None:
    qr = QrCodeWidget(url)
    x0, y0, x1, y1 = qr.getBounds()
    size = 110.0
    drawing = Drawing(size, size, transform=[size / (x1 - x0), 0, 0, size / (y1 - y0), 0, 0])
    drawing.add(qr)
    renderPDF.draw(drawing, c, x, y)


def render_notice_pdf(document: dict[str, Any], *, verify_url: str, seal_token: str) -> bytes:
    """A case notice on A4: the signed ``document``'s facts in the wording of the notice, the department's seal
    image, a QR code to public verification, and ``seal_token`` (the signed bytes, signature and key id) in
    the file's Keywords so that the seal can be checked from the file alone."""
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=A4, invariant=True)
    width, height = A4
    case, facts, issuer = document["case"], document["facts"], document["issuer"]
    c.setTitle(f"{document['title']} {document['number']}")
    c.setAuthor(str(issuer["name"]))
    c.setKeywords(seal_token)
    c.setFont(FONT, 22)
    c.drawCentredString(width / 2, height - 90, str(document["title"]))
    c.setFont(FONT, 10)
    c.drawCentredString(width / 2, height - 110, f"编号 {document['number']}")
    lines = [f"办件编号：{case['tracking_number']}", f"申请事项：{case['item_name']}", ""]
    kind = document["kind"]
    if kind == "acceptance":
        lines += _wrap(
            f"你（单位）提出的“{case['item_name']}”申请，申请材料齐全、符合法定形式，"
            f"本机关于 {facts['accepted_on']} 决定予以受理，承诺于 {facts['deadline']} 前办结。",
            38,
        )
    elif kind == "refusal":
        lines += _wrap(f"你（单位）提出的“{case['item_name']}”申请，本机关决定不予受理。理由：{facts['reason']}", 38)
    else:
        lines += _wrap(f"你（单位）提出的“{case['item_name']}”申请，需补正以下材料：", 38)
        for i, m in enumerate(facts.get("missing", []), 1):
            lines += _wrap(f"{i}. {m['material']}：{m['reason']}", 38)
        if facts.get("note"):
            lines += _wrap(f"说明：{facts['note']}", 38)
    lines += ["", "凭办件编号和查询码可在政务服务网查询办理进度。"]
    y = height - 160
    c.setFont(FONT, 12)
    for line in lines[:30]:
        c.drawString(70, y, line)
        y -= 22
    c.drawRightString(width - 70, 250, str(issuer["name"]))
    c.drawRightString(width - 70, 230, str(document["issued_at"])[:10])
    _seal(c, width - 150, 250, str(issuer["name"]))
    _qr(c, verify_url, 70, 110)
    c.setFont(FONT, 8)
    c.drawString(70, 100, "扫码核验 / scan to verify")
    c.showPage()
    c.save()
    return buf.getvalue()
