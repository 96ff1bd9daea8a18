"""Tables of svc-exchange. Only this service reads or writes them."""

from sqlalchemy.orm import DeclarativeBase

from gov_common.db import new_metadata


class Base(DeclarativeBase):
    metadata = new_metadata()


metadata = Base.metadata
