"""Events published by svc-catalog."""

from __future__ import annotations
