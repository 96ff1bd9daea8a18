"""How a batch reaches the national platform: a replaceable adapter. The default writes each batch
document as ``<batch_id>.json`` into a folder (for a gateway job or a manual upload); a real link to the
national platform implements :class:`NationalAdapter`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Protocol


class NationalAdapter(Protocol):
    name: str

    async def send(self, document: dict[str, Any]) -> str:
        """Deliver one batch; return the receipt (raise to leave the rows pending)."""


class FolderAdapter:
    name = "folder"

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    async def send(self, document: dict[str, Any]) -> str:
        self.folder.mkdir(parents=True, exist_ok=True)
        path = self.folder / f"{document['batch_id']}.json"
        path.write_text(json.dumps(document, ensure_ascii=False, indent=1))
        return str(path)
