"""zstd decompression for the readers, bounded: the one place the codec is chosen.

zstd appears inside disk images in three places: qcow2 clusters
(``diskimage/qcow2.py``), initramfs archives (``guestos/initramfs.py``) and
Btrfs extents.  Each must stop at a bound it knows (a cluster, a block, a
decompression-bomb limit), so the decompressor must take a maximum output per
call.  The standard library's ``compression.zstd`` (Python 3.14) does
(``ZstdDecompressor.decompress(data, max_length)``, as ``lzma`` and ``bz2``
do); before 3.14 its backport, ``backports.zstd`` (PSF-2.0), gives the same
API.  The ``zstandard`` package's one-shot and streaming decompressors do not
bound a single call's output the same way, so it is not used.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING or sys.version_info < (3, 14):
    from backports.zstd import CompressionParameter, ZstdDecompressor, ZstdError, compress
else:  # pragma: no cover - Python 3.14 and later
    from compression.zstd import CompressionParameter, ZstdDecompressor, ZstdError, compress

__all__ = [
    "CompressionParameter",
    "ZstdDecompressor",
    "ZstdError",
    "compress",
    "decompress_bounded",
]


def decompress_bounded(data: bytes, limit: int, *, one_frame: bool = False) -> bytes:
    """At most ``limit`` bytes of the zstd frames in ``data`` (frames followed one by one,
    or only the first with ``one_frame``: what follows it, a Btrfs extent's padding, is
    not read; what would come past ``limit`` is not produced). Raises ``ZstdError`` on
    malformed input."""
    pieces: list[bytes] = []
    left = limit
    rest = data
    while rest and left > 0:
        decoder = ZstdDecompressor()
        piece = decoder.decompress(rest, max_length=left)
        pieces.append(piece)
        left -= len(piece)
        if not decoder.eof or one_frame:
            break  # the bound was reached, or the frame is cut short
        rest = decoder.unused_data
    return b"".join(pieces)
