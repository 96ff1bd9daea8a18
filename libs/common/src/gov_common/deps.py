"""FastAPI dependencies every service uses: the request's session and the runtime."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from gov_common.outbox import PENDING_FLAG


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    """The request's session. It commits here, once, when the endpoint returned without error, before the
    response is sent; any error rolls everything back, staged events included."""
    runtime = request.app.state.runtime
    async with runtime.db.sessionmaker() as session:
        try:
            yield session
        except BaseException:
            await session.rollback()
            raise
        staged = bool(session.info.get(PENDING_FLAG))
        await session.commit()
    if staged:
        runtime.relay.wake()


# scope="function": the session closes (and commits) when the endpoint returns, so a failed commit
# becomes an error response instead of a success already sent.
SessionDep = Annotated[AsyncSession, Depends(get_session, scope="function")]


async def get_read_session(request: Request) -> AsyncIterator[AsyncSession]:
    """A session for a route that only reads: no transaction, no write lock (:meth:`Database.read`)."""
    async with request.app.state.runtime.db.read() as session:
        yield session


ReadSessionDep = Annotated[AsyncSession, Depends(get_read_session)]
