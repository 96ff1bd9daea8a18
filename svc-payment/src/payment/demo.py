"""Demo data for ``make run``: one fee order waiting for payment through the sandbox channel."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from gov_common.service import demo_subject
from gov_common.settings import ServiceSettings
from gov_contracts.workflow import FeeApplicant, FeeLine, FeeRequested
from payment.orders.service import create_order
from payment.settings import Settings

DEMO_SOURCE = "demo:order-1"
DEMO_APPLICANT = demo_subject("zhangsan")  # the demo citizen identity seeds


async def seed(session: AsyncSession, settings: ServiceSettings) -> list[str]:
    ttl = settings.order_ttl_seconds if isinstance(settings, Settings) else 1800
    request = FeeRequested(
        case_id="demo-case-1",
        application_id="demo-application-1",
        tracking_number="GX2026000001",
        item_code="450000-DEMO-001",
        applicant=FeeApplicant(subject=DEMO_APPLICANT, kind="citizen"),
        department="gx-demo-department",
        region="450100",
        lines=[FeeLine(code="F01", name="证照工本费", amount_fen=1000, legal_basis="demo")],
    )
    # A long life, so that the demo order is still payable when someone tries it.
    order, created = await create_order(
        session, request=request, source=DEMO_SOURCE, ttl_seconds=max(ttl, 7 * 86400), actor="demo"
    )
    return [
        f"payment: demo order {order.id} ({order.amount_fen} fen, {order.status}) for the demo citizen zhangsan"
        + ("" if created else " (already there)"),
        f"payment: POST /api/payment/v1/orders/{order.id}/payments as that citizen opens the sandbox pay page",
    ]
