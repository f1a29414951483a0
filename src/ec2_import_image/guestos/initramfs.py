"""The file list of a Linux initramfs: concatenated cpio archives, each possibly compressed.

Written from the kernel's *initramfs buffer format*
(Documentation/driver-api/early-userspace/buffer-format.rst, Al Viro and H. Peter Anvin):

    initramfs := ("\\0" * 4 | cpio_archive | cpio_compressed_archive)*

An image is a run of archives with zero padding between them: Debian's initramfs-tools,
Fedora's and SUSE's dracut put an uncompressed archive with the early microcode
(``kernel/x86/microcode/*.bin``) first and the compressed main archive after it.  A cpio
archive is in the "newc" (magic ``070701``) or "crc" (``070702``) format: a 110-byte
header of 13 eight-digit hexadecimal fields (inode, mode, uid, gid, nlink, mtime, file
size, device numbers, name size, checksum), the NUL-terminated name, padding to a multiple
of four, the data, padding to a multiple of four; an entry named ``TRAILER!!!`` ends the
archive.  Headers start at multiples of four.  The crc format's checksums are not
verified: the file data they sum is skipped.  Inside a compressed archive the
decompressed bytes may again hold several cpio archives and zero padding, but no further
compression.  The kernel reads gzip, bzip2, legacy lzma, xz, LZO, LZ4 in its legacy frame
(magic 0x184C2102: a 32-bit little-endian size, then an LZ4 block of at most 8 MiB of
output, repeated; the magic may repeat between blocks) and zstd.  This reader reads all
but LZO (no LZO decoder is at hand; such an image is refused with a clear message) and
also lists the old portable "odc" format (``070707``: 76-byte octal headers, no padding),
which GNU cpio writes but the kernel does not unpack.  An LZ4 legacy stream has no end
mark: it ends at the end of the image, at a size of zero (padding) or at a size no block
can have (the next archive).

Streaming and bounded: the image is read in 1 MiB pieces (ranged reads of a ``Blob``: the
file data of an uncompressed archive is skipped, not read), each decompressor is asked for
at most 4 MiB at a time, file data is skipped and only names, sizes, modes and symbolic
link targets are kept.  More than ``max_decompressed`` bytes of decompressed output (1 GiB
by default) is refused as a decompression bomb (``fsread.tree.TooLarge``); so are more than
``MAX_ENTRIES`` entries.  Anything malformed, truncated or unknown is a ``FormatError``.

Libraries: the standard library's gzip (zlib), bz2 and lzma; zstd through ``zstdcodec`` (PSF-2.0,
the standard library's ``compression.zstd`` of Python 3.14 for older versions; it bounds
each call's output as zlib does, which the ``zstandard`` package's streaming decompressor
does not) and ``lz4`` (BSD-3-Clause) for the LZ4 blocks.
"""

from __future__ import annotations

import bz2
import lzma
import stat
import struct
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from ec2_import_image.diskimage.blob import Blob, BytesBlob
from ec2_import_image.diskimage.errors import FormatError
from ec2_import_image.fsread.tree import MAX_LINK_TARGET, TooLarge

#: the decompressed bytes read from one image before it is refused as a decompression bomb
MAX_DECOMPRESSED = 1 << 30
MAX_ENTRIES = 1_000_000
#: the longest name read (the kernel's PATH_MAX)
MAX_NAME = 4096
READ_SIZE = 1 << 20
OUTPUT_SIZE = 4 << 20
MODULE_SUFFIXES = (".ko", ".ko.xz", ".ko.zst", ".ko.gz")
MODULE_ROOTS = ("lib/modules/", "usr/lib/modules/")

_NEWC = b"070701"
_CRC = b"070702"
_ODC = b"070707"
_TRAILER = "TRAILER!!!"
_LZ4_MAGIC = 0x184C2102
_LZ4_BLOCK = 8 << 20
#: LZ4's bound on a compressed block of ``_LZ4_BLOCK`` bytes
_LZ4_BOUND = _LZ4_BLOCK + _LZ4_BLOCK // 255 + 16


class Compression(StrEnum):
    NONE = "none"
    GZIP = "gzip"
    BZIP2 = "bzip2"
    LZMA = "lzma"
    XZ = "xz"
    LZ4 = "lz4"
    ZSTD = "zstd"


_MAGICS: tuple[tuple[bytes, Compression], ...] = (
    (b"\x1f\x8b", Compression.GZIP),
    (b"BZh", Compression.BZIP2),
    (b"\x5d\x00\x00", Compression.LZMA),
    (b"\xfd7zXZ\x00", Compression.XZ),
    (struct.pack("<I", _LZ4_MAGIC), Compression.LZ4),
    (b"\x28\xb5\x2f\xfd", Compression.ZSTD),
)
_LZO_MAGIC = b"\x89LZO"


@dataclass(frozen=True)
class InitramfsEntry:
    """One entry of an archive: its name (no leading ``./`` or ``/``), data size and mode."""

    name: str
    size: int
    mode: int
    #: a symbolic link's target (None for anything else)
    link: str | None = None

    @property
    def is_file(self) -> bool:
        return stat.S_ISREG(self.mode)

    @property
    def is_dir(self) -> bool:
        return stat.S_ISDIR(self.mode)

    @property
    def is_symlink(self) -> bool:
        return stat.S_ISLNK(self.mode)


@dataclass(frozen=True)
class Archive:
    """One archive of the image: where it starts and how it is compressed."""

    offset: int
    compression: Compression


@dataclass(frozen=True)
class Initramfs:
    archives: tuple[Archive, ...]
    entries: tuple[InitramfsEntry, ...]


# -- cpio ------------------------------------------------------------------------------------

_MAGIC, _HEADER, _NAME, _LINK = range(4)


def _number(field: bytes, base: int) -> int:
    digits = "0123456789abcdefABCDEF"[: 22 if base == 16 else 8]
    text = field.decode("latin-1")
    if not text or any(char not in digits for char in text):
        raise FormatError(f"cpio header field {text!r} is not a number")
    return int(text, base)


class _Cpio:
    """A push parser of cpio archives: names and sizes kept, file data skipped.

    ``single``: one archive read from the image itself (it stops after its trailer);
    otherwise the decompressed bytes of a compressed archive: archives and zero padding
    until the stream ends.
    """

    def __init__(self, entries: list[InitramfsEntry], *, single: bool) -> None:
        self.entries = entries
        self.single = single
        self.offset = 0  # bytes consumed, for the alignment of headers and padding
        self.skip = 0  # file data and padding still to skip
        self.done = False
        self._state = _MAGIC
        self._need = 0  # bytes to collect into _buffer before the state can go on
        self._buffer = bytearray()
        self._in_archive = False
        self._format = b""
        self._entry: tuple[str, int, int] | None = None  # name, mode, size awaiting its link
        self._name_size = 0
        self._ending = False

    def feed(self, data: bytes) -> int:
        """Consume ``data``; returns how much was consumed (less only once ``done``)."""
        view = memoryview(data)
        index, size = 0, len(view)
        while index < size and not self.done:
            if self.skip:
                take = min(self.skip, size - index)
                index += take
                self.offset += take
                self.skip -= take
                if not self.skip:
                    self._after_entry()
                continue
            if not self._need:
                # between entries; between archives zero padding may come first
                if not self._in_archive and view[index] == 0 and not self.single:
                    index += 1
                    self.offset += 1
                    continue
                if view[index] != 0x30:
                    raise FormatError(f"junk instead of a cpio header at {self.offset}")
                self._state, self._need = _MAGIC, 6
                self._buffer.clear()
            take = min(self._need - len(self._buffer), size - index)
            self._buffer += view[index : index + take]
            index += take
            self.offset += take
            if len(self._buffer) == self._need:
                self._step()
        return index

    def _step(self) -> None:
        data = bytes(self._buffer)
        self._buffer.clear()
        if self._state == _MAGIC:
            if data not in (_NEWC, _CRC, _ODC):
                raise FormatError(f"not a cpio header (magic {data!r})")
            if data != _ODC and (self.offset - 6) % 4:
                raise FormatError("a cpio header does not start at a multiple of four")
            self._format = data
            self._in_archive = True
            self._state, self._need = _HEADER, 110 if data != _ODC else 76
            self._buffer += data
            return
        if self._state == _HEADER:
            if self._format == _ODC:
                mode = _number(data[18:24], 8)
                name_size = _number(data[59:65], 8)
                file_size = _number(data[65:76], 8)
                padding = 0
            else:
                mode = _number(data[14:22], 16)
                file_size = _number(data[54:62], 16)
                name_size = _number(data[94:102], 16)
                padding = -(self.offset + name_size) % 4
            if not 1 <= name_size <= MAX_NAME:
                raise FormatError(f"a cpio name of {name_size} bytes")
            self._entry = ("", mode, file_size)
            self._state, self._need = _NAME, name_size + padding
            self._name_size = name_size
            return
        if self._state == _NAME:
            raw = data[: self._name_size]
            if raw[-1:] != b"\0":
                raise FormatError("a cpio name is not NUL-terminated")
            name = raw[:-1].decode("utf-8", "surrogateescape")
            assert self._entry is not None
            _, mode, file_size = self._entry
            self._entry = (name, mode, file_size)
            if name == _TRAILER:
                self._ending = True
                self._entry = None
            elif stat.S_ISLNK(mode) and 0 < file_size <= MAX_LINK_TARGET:
                self._state, self._need = _LINK, file_size
                return
            self._skip_data(file_size)
            return
        # _LINK: the target is the file data
        self._record(data.decode("utf-8", "surrogateescape"))
        self._skip_data(0)

    def _skip_data(self, length: int) -> None:
        """Skip ``length`` bytes of data and the padding after them, then go on."""
        padding = 0 if self._format == _ODC else -(self.offset + length) % 4
        self._need = 0
        self.skip = length + padding
        if not self.skip:
            self._after_entry()

    def jump(self) -> int:
        """Skip the rest of the data being skipped without being given it; how much."""
        jumped, self.skip = self.skip, 0
        self.offset += jumped
        if jumped:
            self._after_entry()
        return jumped

    def _after_entry(self) -> None:
        if self._entry is not None:
            self._record(None)
        if self._ending:
            self._ending = False
            self._in_archive = False
            if self.single:
                self.done = True

    def _record(self, link: str | None) -> None:
        assert self._entry is not None
        name, mode, file_size = self._entry
        self._entry = None
        while name.startswith(("./", "/")):
            name = name[2:] if name.startswith("./") else name[1:]
        if name in ("", "."):
            return
        if len(self.entries) >= MAX_ENTRIES:
            raise TooLarge(f"an initramfs of more than {MAX_ENTRIES} entries")
        self.entries.append(InitramfsEntry(name, file_size, mode, link))

    def finish(self) -> None:
        """The stream ended: it must end between archives."""
        if self._in_archive or self._need or self.skip:
            raise FormatError("an initramfs archive is cut short")


# -- decompressors -------------------------------------------------------------------------


class _Decoder(Protocol):
    @property
    def eof(self) -> bool: ...

    @property
    def unused_data(self) -> bytes: ...

    @property
    def needs_input(self) -> bool: ...

    def decompress(self, data: bytes, max_length: int = -1) -> bytes: ...


class _Gzip:
    """zlib's gzip decoder with the interface of lzma's and bz2's."""

    def __init__(self) -> None:
        self._zlib = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
        self._tail = b""
        self.needs_input = True

    @property
    def eof(self) -> bool:
        return self._zlib.eof

    @property
    def unused_data(self) -> bytes:
        return self._zlib.unused_data

    def decompress(self, data: bytes, max_length: int = -1) -> bytes:
        out = self._zlib.decompress(self._tail + data, max_length if max_length > 0 else 0)
        self._tail = self._zlib.unconsumed_tail
        self.needs_input = not self._tail and len(out) < max_length
        return out


class _Lz4Legacy:
    """The kernel's LZ4 legacy frame: sizes and blocks after the magic (see the docstring)."""

    def __init__(self) -> None:
        import lz4.block

        self._block = lz4.block
        self._pending = bytearray()
        self.eof = False
        self.unused_data = b""
        self.needs_input = True

    def decompress(self, data: bytes, max_length: int = -1) -> bytes:
        self._pending += data
        out: list[bytes] = []
        produced = 0
        while not self.eof and (max_length <= 0 or produced < max_length):
            if len(self._pending) < 4:
                break
            size = struct.unpack_from("<I", self._pending)[0]
            if size == _LZ4_MAGIC:
                del self._pending[:4]
                continue
            if size == 0 or size > _LZ4_BOUND:
                self.eof = True
                self.unused_data = bytes(self._pending)
                break
            if len(self._pending) < 4 + size:
                break
            block = bytes(self._pending[4 : 4 + size])
            del self._pending[: 4 + size]
            try:
                piece = self._block.decompress(block, uncompressed_size=_LZ4_BLOCK)
            except self._block.LZ4BlockError as error:
                raise FormatError(f"a malformed LZ4 block: {error}") from None
            out.append(piece)
            produced += len(piece)
        self.needs_input = not self.eof and produced < max_length
        return b"".join(out)

    def end_of_input(self) -> None:
        """The image ended: a legacy stream may end there, between blocks."""
        if self._pending:
            raise FormatError("an LZ4 block is cut short")
        self.eof = True


def _zstd() -> _Decoder:
    from ec2_import_image.zstdcodec import ZstdDecompressor

    return ZstdDecompressor()


def _decoder(compression: Compression) -> _Decoder:
    if compression is Compression.GZIP:
        return _Gzip()
    if compression is Compression.BZIP2:
        return bz2.BZ2Decompressor()
    if compression is Compression.LZMA:
        return lzma.LZMADecompressor(format=lzma.FORMAT_ALONE)
    if compression is Compression.XZ:
        return lzma.LZMADecompressor(format=lzma.FORMAT_XZ)
    if compression is Compression.LZ4:
        return _Lz4Legacy()
    return _zstd()


def _decoder_errors(compression: Compression) -> tuple[type[Exception], ...]:
    """What a decompressor raises on malformed input."""
    errors: tuple[type[Exception], ...] = (
        zlib.error,
        OSError,
        lzma.LZMAError,
        EOFError,
        ValueError,
    )
    if compression is Compression.ZSTD:
        from ec2_import_image.zstdcodec import ZstdError

        errors += (ZstdError,)
    return errors


# -- the image -----------------------------------------------------------------------------


class _Reader:
    def __init__(self, blob: Blob, max_decompressed: int) -> None:
        self.blob = blob
        self.max_decompressed = max_decompressed
        self.decompressed = 0
        self.entries: list[InitramfsEntry] = []
        self.archives: list[Archive] = []

    def run(self) -> None:
        position, size = 0, self.blob.size
        while position < size:
            head = self.blob.read(position, 4096)
            zeros = len(head) - len(head.lstrip(b"\0"))
            if zeros:
                position += zeros
                continue
            if head[:6] in (_NEWC, _CRC, _ODC):
                self.archives.append(Archive(position, Compression.NONE))
                position = self._plain(position)
                continue
            if head.startswith(_LZO_MAGIC):
                raise FormatError("an LZO-compressed initramfs archive is not read")
            compression = next((kind for magic, kind in _MAGICS if head.startswith(magic)), None)
            if compression is None:
                raise FormatError(f"junk in the initramfs at offset {position}")
            self.archives.append(Archive(position, compression))
            position = self._compressed(position, compression)

    def _plain(self, position: int) -> int:
        """An uncompressed archive from ``position``; where it ends.  File data is skipped."""
        if position % 4 and self.blob.read(position, 6) != _ODC:
            raise FormatError(f"a cpio archive at offset {position}, not a multiple of four")
        parser = _Cpio(self.entries, single=True)
        while not parser.done:
            data = self.blob.read(position, READ_SIZE)
            if not data:
                parser.finish()
                raise FormatError("an initramfs archive is cut short")
            position += parser.feed(data)
            # file data beyond what was read: jump over it instead of reading it
            position += parser.jump()
        if position > self.blob.size:
            raise FormatError("an initramfs archive is cut short")
        return position

    def _compressed(self, position: int, compression: Compression) -> int:
        decoder = _decoder(compression)
        parser = _Cpio(self.entries, single=False)
        read_at = position
        try:
            while not decoder.eof:
                if decoder.needs_input:
                    data = self.blob.read(read_at, READ_SIZE)
                    if not data:
                        if isinstance(decoder, _Lz4Legacy):
                            decoder.end_of_input()
                            break
                        raise FormatError(f"the {compression} archive at {position} is cut short")
                    read_at += len(data)
                    out = decoder.decompress(data, OUTPUT_SIZE)
                else:
                    out = decoder.decompress(b"", OUTPUT_SIZE)
                self.decompressed += len(out)
                if self.decompressed > self.max_decompressed:
                    raise TooLarge(
                        f"the initramfs decompresses to more than {self.max_decompressed} bytes"
                    )
                parser.feed(out)
        except _decoder_errors(compression) as error:
            raise FormatError(
                f"the {compression} archive at {position} is malformed: {error}"
            ) from None
        parser.finish()
        return read_at - len(decoder.unused_data)


def read_initramfs(source: bytes | Blob, *, max_decompressed: int = MAX_DECOMPRESSED) -> Initramfs:
    """The archives of an initramfs image and the entries of all of them, in order."""
    blob: Blob = BytesBlob(bytes(source)) if isinstance(source, bytes | bytearray) else source
    reader = _Reader(blob, max_decompressed)
    reader.run()
    if not reader.archives:
        raise FormatError("an empty initramfs")
    return Initramfs(tuple(reader.archives), tuple(reader.entries))


def list_initramfs(
    source: bytes | Blob, *, max_decompressed: int = MAX_DECOMPRESSED
) -> list[InitramfsEntry]:
    """The entries of every archive of an initramfs image, in order."""
    return list(read_initramfs(source, max_decompressed=max_decompressed).entries)


# -- modules -------------------------------------------------------------------------------


def _module_stem(name: str) -> str | None:
    base = name.rsplit("/", 1)[-1]
    for suffix in MODULE_SUFFIXES:
        if base.endswith(suffix):
            return base[: -len(suffix)].replace("-", "_")
    return None


def modules(entries: Iterable[InitramfsEntry], kernel_version: str) -> set[str]:
    """The kernel modules of ``kernel_version`` in the entries (names with ``_`` for ``-``).

    Modules live under ``lib/modules/KVER/`` or, on merged-/usr systems,
    ``usr/lib/modules/KVER/``, as ``.ko``, ``.ko.xz``, ``.ko.zst`` or ``.ko.gz``.
    """
    prefixes = tuple(f"{root}{kernel_version}/" for root in MODULE_ROOTS)
    found: set[str] = set()
    for entry in entries:
        if entry.is_dir or not entry.name.startswith(prefixes):
            continue
        stem = _module_stem(entry.name)
        if stem is not None:
            found.add(stem)
    return found


def has_module(entries: Iterable[InitramfsEntry], kernel_version: str, module_name: str) -> bool:
    """Whether the module (``nvme``, ``nvme-core`` = ``nvme_core``...) is there for the kernel."""
    return module_name.replace("-", "_") in modules(entries, kernel_version)


def kernel_versions(entries: Iterable[InitramfsEntry]) -> set[str]:
    """The KVER of every ``lib/modules/KVER/`` or ``usr/lib/modules/KVER/`` in the entries."""
    found: set[str] = set()
    for entry in entries:
        for root in MODULE_ROOTS:
            if entry.name.startswith(root):
                version = entry.name[len(root) :].split("/", 1)[0]
                if version:
                    found.add(version)
    return found
