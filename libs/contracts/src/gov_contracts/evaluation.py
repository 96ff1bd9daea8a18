"""Events published by svc-evaluation."""

from __future__ import annotations
