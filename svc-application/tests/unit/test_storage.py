"""Receiving a material: size limit, type by content, the virus-scanning hook, content-addressed storage."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

import pytest
from fastapi import UploadFile

from application.errors import MaterialInfected, MaterialTooLarge, MaterialTypeRefused
from application.storage import LocalStorage, NoScanner, receive

PDF = b"%PDF-1.4\n" + b"x" * 100


class FlaggingScanner:
    def __init__(self) -> None:
        self.scanned: list[bytes] = []

    async def scan(self, path: Path) -> str | None:
        self.scanned.append(path.read_bytes())
        return "EICAR-Test-Signature" if b"EICAR" in self.scanned[-1] else None


def upload(content: bytes, name: str = "a.pdf") -> UploadFile:
    return UploadFile(io.BytesIO(content), filename=name)


async def test_receive_keeps_the_file_under_its_hash(tmp_path: Path) -> None:
    storage = LocalStorage(tmp_path / "store")
    stored = await receive(
        upload(PDF),
        storage=storage,
        scanner=NoScanner(),
        max_bytes=1000,
        allowed=("application/pdf",),
        scratch=tmp_path / "in",
    )
    assert stored.sha256 == hashlib.sha256(PDF).hexdigest() and stored.size == len(PDF)
    assert storage.path_of(stored.sha256).read_bytes() == PDF
    again = await receive(
        upload(PDF),
        storage=storage,
        scanner=NoScanner(),
        max_bytes=1000,
        allowed=("application/pdf",),
        scratch=tmp_path / "in",
    )
    assert again == stored and list((tmp_path / "in").iterdir()) == []


@pytest.mark.parametrize(
    ("content", "error"),
    [
        (PDF + b"y" * 2000, MaterialTooLarge),
        (b"MZ\x90\x00" + b"\x00" * 100, MaterialTypeRefused),
        (PDF + b"EICAR", MaterialInfected),
    ],
)
async def test_refused_files_leave_nothing(tmp_path: Path, content: bytes, error: type[Exception]) -> None:
    storage = LocalStorage(tmp_path / "store")
    scanner = FlaggingScanner()
    with pytest.raises(error):
        await receive(
            upload(content),
            storage=storage,
            scanner=scanner,
            max_bytes=1000,
            allowed=("application/pdf",),
            scratch=tmp_path / "in",
        )
    assert not (tmp_path / "store").exists()
    assert list((tmp_path / "in").iterdir()) == []
    if error is MaterialInfected:
        assert scanner.scanned == [content], "the hook saw the whole file"


async def test_open_streams_what_was_kept_and_refuses_names_that_are_not_digests(tmp_path: Path) -> None:
    storage = LocalStorage(tmp_path / "store")
    content = b"%PDF-1.4\n" + bytes(range(256)) * 600  # more than one chunk
    stored = await receive(
        upload(content),
        storage=storage,
        scanner=NoScanner(),
        max_bytes=len(content),
        allowed=("application/pdf",),
        scratch=tmp_path / "in",
    )
    chunks = [chunk async for chunk in await storage.open(stored.sha256)]
    assert len(chunks) > 1 and b"".join(chunks) == content
    with pytest.raises(FileNotFoundError):
        await storage.open(hashlib.sha256(b"never kept").hexdigest())  # raised before any byte is streamed
    for name in ("../" * 3 + "etc/passwd", stored.sha256.upper(), stored.sha256[:2], stored.sha256 + "/x"):
        with pytest.raises(ValueError):
            await storage.open(name)
