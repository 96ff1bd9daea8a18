"""Event handlers: ``workflow.case.completed`` makes a case ratable (our copy of who applied, who handled
it, which department, region and item); ``catalog.item.published``/``withdrawn`` keep our copy of which
department implements an item where (consultation routing); ``hotline.order.rated`` is a rating on the
hotline channel (the 12345 callback), of the department that answered; ``hotline.consultation.answered`` is
the answer to a consultation or complaint the hotline handled as a work order. Bundles are not rated on
their own."""

from __future__ import annotations

import logging
import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from evaluation.consultations.service import answered_in_hotline
from evaluation.domain import Channel
from evaluation.models import Consultation, EvaluatedCase, Rating, ServiceItem
from gov_common.events import CloudEvent
from gov_contracts import EventHandlers, publish
from gov_contracts import evaluation as contract
from gov_contracts.catalog import ItemPublished, ItemWithdrawn
from gov_contracts.hotline import ConsultationAnswered, OrderRated
from gov_contracts.workflow import CaseCompleted
from gov_standards.china_time import china_date, utcnow

log = logging.getLogger(__name__)

CASES = EventHandlers(group="evaluation.cases")
ITEMS = EventHandlers(group="evaluation.items")
HOTLINE = EventHandlers(group="evaluation.hotline")


@CASES.on(CaseCompleted)
async def case_completed(session: AsyncSession, done: CaseCompleted, envelope: CloudEvent) -> None:
    case = await session.get(EvaluatedCase, done.case_id, with_for_update=True)
    if case is None:
        case = EvaluatedCase(case_id=done.case_id)
        session.add(case)
    case.application_id, case.tracking_number = done.application_id, done.tracking_number
    case.item_code, case.item_name = done.item_code, done.item_name
    case.region, case.department = done.region[:6], done.department
    case.applicant_subject, case.applicant_kind = done.applicant.subject, done.applicant.kind
    case.applicant_enterprise = done.applicant.enterprise
    case.handled_by, case.result = sorted(set(done.handled_by)), done.result
    case.completed_at, case.received_at = done.completed_at, utcnow()
    log.info("case %s completed: ratable", done.case_id)


async def _current(session: AsyncSession, code: str, version: int) -> tuple[ServiceItem | None, bool]:
    """Our copy of item ``code`` (locked) and whether an event of ``version`` is older than it."""
    item = await session.get(ServiceItem, code, with_for_update=True)
    return item, item is not None and item.version > version


@ITEMS.on(ItemPublished)
async def item_published(session: AsyncSession, published: ItemPublished, envelope: CloudEvent) -> None:
    item, stale = await _current(session, published.implementation_code, published.version)
    if stale:
        return  # an older version arriving late changes nothing
    d = published.definition
    if item is None:
        item = ServiceItem(implementation_code=published.implementation_code)
        session.add(item)
    item.basic_code, item.name, item.region = d.basic_code, d.name, d.region[:6]
    item.department, item.department_name = d.department.code, d.department.name
    item.version, item.withdrawn = published.version, False


@ITEMS.on(ItemWithdrawn)
async def item_withdrawn(session: AsyncSession, withdrawn: ItemWithdrawn, envelope: CloudEvent) -> None:
    item, stale = await _current(session, withdrawn.implementation_code, withdrawn.version)
    if item is not None and not stale:
        item.withdrawn, item.version = True, withdrawn.version


@HOTLINE.on(OrderRated)
async def hotline_rated(session: AsyncSession, rated: OrderRated, envelope: CloudEvent) -> None:
    """The caller's rating at a 12345 callback, as a rating of the answering department on the hotline
    channel (its id is the callback's). The hotline reopens an order rated badly: that is its follow-up,
    so no rectification is opened here."""
    rating_id = uuid.UUID(rated.callback_id)
    if await session.get(Rating, rating_id) is not None:
        return
    day = china_date(rated.occurred_at)
    rating = Rating(
        id=rating_id,
        case_id=None,
        rater_subject=rated.rater_subject,
        rater_kind="citizen" if rated.rater_subject else None,
        rater_enterprise=None,
        submitted_by=envelope.source,
        level=rated.level,
        reasons=[],
        comment="",
        channel=str(Channel.HOTLINE),
        department=rated.department,
        region=rated.region[:6],
        item_code=None,
        window=None,
        rated_at=rated.occurred_at,
        rated_on=day,
        rated_month=day.strftime("%Y-%m"),
        excluded=False,
    )
    session.add(rating)
    await session.flush()
    await publish(
        session,
        contract.RatingSubmitted(
            rating_id=str(rating.id),
            case_id=None,
            level=rating.level,
            channel="hotline",
            department=rating.department,
            region=rating.region,
            item_code=None,
            rated_at=rating.rated_at,
        ),
    )


@HOTLINE.on(ConsultationAnswered)
async def consultation_answered(session: AsyncSession, answered: ConsultationAnswered, envelope: CloudEvent) -> None:
    row = await session.get(Consultation, uuid.UUID(answered.consultation_id), with_for_update=True)
    if row is None or not row.forwarded:
        log.warning("hotline answered consultation %s, which was not forwarded: ignored", answered.consultation_id)
        return
    answered_in_hotline(
        row, order_id=uuid.UUID(answered.order_id), number=answered.number, text=answered.answer,
        department=answered.department, now=answered.answered_at,
    )  # fmt: skip
