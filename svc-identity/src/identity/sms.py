"""Text messages to a citizen's mobile number (password-reset codes).

Production needs an SMS gateway adapter (not written yet: the provincial SMS platform's API is not
public). The embedded default writes each message to ``data_dir/sms/<account id>.txt`` so a developer
can read the code; it is refused in production."""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

from gov_common.errors import ServiceUnavailable


class SmsSender(Protocol):
    async def send(self, *, account_id: str, phone: str, text: str) -> None: ...


class DevSmsFolder:
    """Development only: the message goes to a file named after the account (never the number)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    async def send(self, *, account_id: str, phone: str, text: str) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        (self.folder / f"{account_id}.txt").write_text(text + "\n")


class NoSms:
    async def send(self, *, account_id: str, phone: str, text: str) -> None:
        raise ServiceUnavailable("text messages are not configured on this installation")
