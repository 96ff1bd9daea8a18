"""Identifiers the demo data of several services share (``make run``), so that what one service's demo
names is what another's demo holds. Never used outside demo data."""

from __future__ import annotations

import uuid
from typing import Final

# Application's demo hall in Nanning (appointments are booked at it) and the hall service's demo hall that
# serves it: application seeds its hall with this id, svc-hall links its hall to it (appointment_hall_id),
# so a demo appointment checks in at the demo hall's kiosk.
NANNING_APPOINTMENT_HALL_ID: Final = uuid.UUID("4501005e-a11a-4d00-8000-000000000001")
