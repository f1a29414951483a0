"""Registry hives: what hivex wrote is what the reader reads; bounds; malformed input.

The oracle of each fixture hive is the .reg file hivexregedit merged into it and the
hivexregedit --export of the result (scripts/make-guestos-fixtures.sh), both parsed here by
a parser of the text format that shares nothing with the reader.
"""

from __future__ import annotations

import lzma
import struct
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ec2_import_image.diskimage.blob import BytesBlob
from ec2_import_image.diskimage.errors import FormatError
from ec2_import_image.guestos.registry import MAX_VALUE, Hive, Key, ValueType
from tests.support.hivebuilder import HiveBuilder
from tests.support.regfile import RegValue, parse_reg, strings_equal

REGISTRY = Path(__file__).resolve().parents[1] / "fixtures" / "guestos" / "registry"
HIVES = sorted(path.name.removesuffix(".hive.xz") for path in REGISTRY.glob("*.hive.xz"))


def load(name: str) -> bytes:
    return lzma.decompress((REGISTRY / f"{name}.hive.xz").read_bytes())


def prefix(name: str) -> str:
    return "HKEY_LOCAL_MACHINE\\" + ("SOFTWARE" if name.startswith("software") else "SYSTEM")


def walk(key: Key, path: str = "") -> dict[str, dict[str, RegValue]]:
    found = {path: {value.name: (value.type, value.data) for value in key.values()}}
    for sub in key.subkeys():
        found.update(walk(sub, f"{path}\\{sub.name}" if path else sub.name))
    return found


def assert_same(
    read: dict[str, dict[str, RegValue]], expected: dict[str, dict[str, RegValue]]
) -> None:
    assert sorted(read) == sorted(expected)
    for path, values in expected.items():
        assert sorted(read[path]) == sorted(values), path
        for name, (value_type, data) in values.items():
            got_type, got = read[path][name]
            assert got_type == value_type, (path, name)
            assert strings_equal(value_type, got, data), (path, name)


@pytest.mark.parametrize("name", HIVES)
def test_every_key_and_value_hivex_wrote_is_read(name: str) -> None:
    hive = Hive(BytesBlob(load(name)))
    read = walk(hive.root)
    merged = parse_reg((REGISTRY / f"{name}.reg").read_text(), prefix(name))
    exported = parse_reg((REGISTRY / f"{name}.export.reg").read_text(), prefix(name))
    # the .reg merged names every key but the root; hivex's export adds it
    assert_same(read, exported)
    assert_same({path: values for path, values in read.items() if path}, merged)
    assert not hive.dirty


def test_lookups_are_case_insensitive_and_use_the_lists_hints() -> None:
    hive = Hive(load("system-aws"))
    services = hive.key("controlset001\\SERVICES")
    assert services is not None
    names = [key.name for key in services.subkeys()]
    assert len(names) > 300
    for name in names:
        for spelling in (name, name.upper(), name.lower()):
            found = services.subkey(spelling)
            assert found is not None and found.name == name
    assert services.subkey("NoSuchService") is None
    assert hive.key("ControlSet001\\Services\\AWSNVMe\\Parameters\\Device") is not None
    assert hive.key("ControlSet001\\Services\\Nope\\Parameters") is None
    assert hive.key("") is hive.root and hive.key("\\") is hive.root


def test_typed_values() -> None:
    key = Hive(load("software-2019")).key("Microsoft\\Windows NT\\CurrentVersion")
    assert key is not None
    assert key.string("productname") == "Windows Server 2019 Datacenter"
    assert key.integer("UBR") == 5458
    assert key.value("PathName") is not None
    assert key.value("PathName").type == ValueType.EXPAND_SZ  # type: ignore[union-attr]
    assert key.string("PathName") == "C:\\Windows"
    assert key.value("InstallTime").integer() == 0x01DA1AC55A2FC000  # type: ignore[union-attr]
    assert key.value("Languages").value == ["en-US", "fr-FR"]  # type: ignore[union-attr]
    assert key.string("RegisteredOrganization") == "Société"
    assert key.value("DigitalProductId").value == bytes.fromhex("a40000000300000030303432392d3830")  # type: ignore[union-attr]
    assert key.integer("ProductName") is None and key.string("UBR") is None
    assert key.value("missing") is None


def _built(kind: str) -> bytes:
    builder = HiveBuilder()
    children = [
        (name, builder.key(name)) for name in ("Alpha", "beta", "Gamma", "delta", "Épsilon")
    ]
    children.sort(key=lambda pair: pair[0].upper())
    big = bytes(range(256)) * 200  # 51200 bytes: four big data segments
    values = [
        builder.value("", 1, "default\0".encode("utf-16-le")),
        builder.value("inline", 4, (7).to_bytes(4, "little")),
        builder.value("short", 3, b"ab"),
        builder.value("big", 3, big, big=True),
        builder.value("be", 5, (0x01020304).to_bytes(4, "big")),
    ]
    root = builder.key("ROOT", children, values, kind=kind)
    return builder.hive(root)


@pytest.mark.parametrize("kind", ["lf", "lh", "li", "ri"])
def test_subkey_lists_of_every_kind(kind: str) -> None:
    hive = Hive(_built(kind))
    assert [key.name for key in hive.root.subkeys()] == [
        "Alpha",
        "beta",
        "delta",
        "Gamma",
        "Épsilon",
    ]
    assert hive.key("GAMMA") is not None and hive.key("épsilon") is not None
    assert hive.key("Zeta") is None


def test_inline_default_and_big_data_values() -> None:
    root = Hive(_built("lh")).root
    assert root.string("") == "default"
    assert root.integer("inline") == 7
    assert root.value("short").data == b"ab"  # type: ignore[union-attr]
    assert root.value("big").data == bytes(range(256)) * 200  # type: ignore[union-attr]
    assert root.integer("be") == 0x01020304


def test_nested_index_roots_are_refused() -> None:
    builder = HiveBuilder()
    leaf = builder.key("leaf")
    inner = builder.subkey_list("ri", [("leaf", leaf)])
    outer = builder.cell(b"ri" + struct.pack("<HI", 1, inner))
    root_offset = builder.key("ROOT", [("leaf", leaf)])
    data = bytearray(builder.hive(root_offset))
    # point the root's subkey list at the ri of an ri
    struct.pack_into("<I", data, 4096 + root_offset + 4 + 28, outer)
    with pytest.raises(FormatError, match="inside an index root"):
        Hive(bytes(data)).root.subkeys()


def test_header_checks() -> None:
    good = load("software-win10")
    with pytest.raises(FormatError, match="signature"):
        Hive(b"REGF" + good[4:])
    broken = bytearray(good)
    broken[100] ^= 1
    with pytest.raises(FormatError, match="checksum"):
        Hive(bytes(broken))
    with pytest.raises(FormatError):
        Hive(good[:300])
    # cut after the base block: the root cell is gone
    with pytest.raises(FormatError, match=r"outside|cut short"):
        Hive(good[: 4096 + 40])


def test_values_past_the_bound_are_refused() -> None:
    builder = HiveBuilder()
    value = builder.value("v", 3, b"x" * 16)
    root = builder.key("ROOT", values=[value])
    data = bytearray(builder.hive(root))
    struct.pack_into("<I", data, 4096 + value + 4 + 4, MAX_VALUE + 1)
    with pytest.raises(FormatError, match="over the bound"):
        Hive(bytes(data)).root.values()


SEEDS = [load("software-2019"), _built("ri"), _built("lf")]


@st.composite
def mutated(draw: st.DrawFn) -> bytes:
    data = bytearray(draw(st.sampled_from(SEEDS)))
    for _ in range(draw(st.integers(1, 8))):
        at = draw(st.integers(4096, len(data) - 1))
        chunk = draw(st.binary(min_size=1, max_size=8))
        data[at : at + len(chunk)] = chunk
    if draw(st.booleans()):
        data = data[: draw(st.integers(0, len(data)))]
    return bytes(data)


def _read_everything(key: Key, budget: list[int], depth: int = 0) -> None:
    """Every value and subkey, at most 2000 keys and 20 levels (a mutated hive can loop)."""
    budget[0] -= 1
    if budget[0] < 0 or depth > 20:
        return
    for value in key.values():
        _ = value.value
    for sub in key.subkeys():
        key.subkey(sub.name)
        _read_everything(sub, budget, depth + 1)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated())
def test_mutated_hives_raise_only_format_errors(data: bytes) -> None:
    try:
        hive = Hive(data)
        _read_everything(hive.root, [2000])
        hive.key("Microsoft\\Windows NT\\CurrentVersion")
    except FormatError:
        pass
