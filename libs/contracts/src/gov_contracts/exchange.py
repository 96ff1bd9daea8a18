"""Events published by svc-exchange."""

from __future__ import annotations
