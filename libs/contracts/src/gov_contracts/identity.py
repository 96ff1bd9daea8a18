"""Events published by svc-identity."""

from __future__ import annotations
