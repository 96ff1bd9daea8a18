"""Events published by svc-application."""

from __future__ import annotations
