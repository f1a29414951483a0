"""LZNT1 against the example of [MS-XCA] 3.3 and malformed streams.

The compressed files of the NTFS fixtures (tests/fsread/test_ntfs.py) are the other
oracle: ntfs-3g wrote them, and read them back for the manifest.
"""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ec2_import_image.diskimage.errors import FormatError
from ec2_import_image.fsread.lznt1 import decompress

# [MS-XCA] 3.3 LZNT1: a 142-byte string (its NUL included) and its 59-byte compression
EXAMPLE_TEXT = (
    b"F# F# G A A G F# E D D E F# F# E E F# F# G A A G F# E D D E F# E D D E E F# D E F# G "
    b"F# D E F# G F# E D E A F# F# G A A G F# E D D E F# E D D\0"
)
EXAMPLE = bytes.fromhex(
    "38b08846232000204720410010a24701a045204400084501507900c045200524"
    "138805b4024a44ef0358028c091601484500be009e0004011890 00".replace(" ", "")
)


def test_the_ms_xca_example() -> None:
    assert decompress(EXAMPLE, 1 << 20) == EXAMPLE_TEXT
    assert decompress(EXAMPLE, 10) == EXAMPLE_TEXT[:10]


def test_uncompressed_chunks_and_the_end_mark() -> None:
    body = bytes(range(256)) * 16
    stored = (0x3000 | (len(body) - 1)).to_bytes(2, "little") + body
    assert decompress(stored + b"\0\0" + stored, 1 << 20) == body


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"\x38\x00" + EXAMPLE[2:], "signature"),
        (EXAMPLE[:30], "cut short"),
        (b"\x02\xb0\x01\x00\x00", "before its chunk"),
    ],
)
def test_malformed_streams(data: bytes, message: str) -> None:
    with pytest.raises(FormatError, match=message):
        decompress(data, 1 << 20)


@given(st.binary(max_size=600))
def test_random_bytes_raise_only_format_errors(data: bytes) -> None:
    with contextlib.suppress(FormatError):
        assert len(decompress(data, 8192)) <= 8192
