"""Events published by svc-workflow."""

from __future__ import annotations
