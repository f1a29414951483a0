"""An in-memory blob that counts the bytes read from it (what a reader really touched)."""

from __future__ import annotations

from ec2_import_image.diskimage.blob import BytesBlob


class CountingBlob(BytesBlob):
    def __init__(self, data: bytes) -> None:
        super().__init__(data)
        self.read_bytes = 0

    def read(self, offset: int, length: int) -> bytes:
        data = super().read(offset, length)
        self.read_bytes += len(data)
        return data
