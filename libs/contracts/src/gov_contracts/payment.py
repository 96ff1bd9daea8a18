"""Events published by svc-payment."""

from __future__ import annotations
