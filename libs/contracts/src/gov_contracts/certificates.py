"""Events published by svc-certificates."""

from __future__ import annotations
