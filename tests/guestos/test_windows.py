"""Windows version and driver facts from the SOFTWARE and SYSTEM hives hivex wrote.

Each expectation is taken from the .reg file merged into the hive (parsed independently),
plus the facts each fixture was made to show: Windows 11 naming itself Windows 10, Server
Core, a pre-Windows-10 CurrentVersion, a current control set that is not ControlSet001.
"""

from __future__ import annotations

import pytest

from ec2_import_image.diskimage.errors import FormatError
from ec2_import_image.guestos.registry import Hive
from ec2_import_image.guestos.windows import (
    SERVICES,
    current_control_set,
    pv_driver_version,
    read_drivers,
    read_version,
)
from tests.guestos.test_registry import REGISTRY, load, prefix
from tests.support.hivebuilder import HiveBuilder
from tests.support.regfile import parse_reg

SOFTWARE = [
    "software-2012r2",
    "software-2019",
    "software-2022-core",
    "software-win10",
    "software-win11",
]
CURRENT_VERSION = "Microsoft\\Windows NT\\CurrentVersion"


def reg(name: str) -> dict[str, dict[str, tuple[int, bytes]]]:
    return parse_reg((REGISTRY / f"{name}.reg").read_text(), prefix(name))


def text(raw: tuple[int, bytes] | None) -> str | None:
    return None if raw is None else raw[1].decode("utf-16-le").split("\0")[0]


def number(raw: tuple[int, bytes] | None) -> int | None:
    return None if raw is None else int.from_bytes(raw[1], "little")


@pytest.mark.parametrize("name", SOFTWARE)
def test_version_facts_are_the_merged_values(name: str) -> None:
    version = read_version(Hive(load(name)))
    expected = reg(name)[CURRENT_VERSION]
    assert version is not None
    assert version.product_name == text(expected.get("ProductName"))
    assert version.edition_id == text(expected.get("EditionID"))
    assert version.build == int(text(expected["CurrentBuild"]) or "")
    assert version.ubr == number(expected.get("UBR"))
    assert version.installation_type == text(expected.get("InstallationType"))
    assert version.release_id == text(expected.get("ReleaseId"))
    assert version.display_version == (
        text(expected.get("DisplayVersion")) or text(expected.get("ReleaseId"))
    )
    assert version.current_version == text(expected.get("CurrentVersion"))


def test_what_each_fixture_shows() -> None:
    versions = {name: read_version(Hive(load(name))) for name in SOFTWARE}
    server_2019 = versions["software-2019"]
    assert server_2019 is not None and server_2019.version == "10.0.17763.5458"
    assert server_2019.is_server and not server_2019.is_server_core
    core = versions["software-2022-core"]
    assert core is not None and core.is_server_core and core.display_version == "21H2"
    win10 = versions["software-win10"]
    assert win10 is not None and not win10.is_server and not win10.is_windows_11
    win11 = versions["software-win11"]
    assert win11 is not None and win11.product_name == "Windows 10 Enterprise"
    assert win11.is_windows_11 and win11.version == "10.0.22631.2861"
    old = versions["software-2012r2"]
    assert old is not None and (old.major, old.minor) == (6, 3)
    assert old.version == "6.3.9600.20778" and old.display_version is None


def test_pv_driver_package_version() -> None:
    assert pv_driver_version(Hive(load("software-2019"))) == "8.4.3"
    assert pv_driver_version(Hive(load("software-win10"))) is None


def test_a_hive_without_current_version() -> None:
    assert read_version(Hive(load("system-aws"))) is None


def _services_in_current_set(name: str) -> set[str]:
    keys = reg(name)
    current = int.from_bytes(keys["Select"]["Current"][1], "little")
    head = f"ControlSet{current:03d}\\Services\\"
    return {
        path[len(head) :]
        for path in keys
        if path.startswith(head) and "\\" not in path[len(head) :]
    }


@pytest.mark.parametrize("name", ["system-aws", "system-noaws"])
def test_drivers_of_the_current_control_set(name: str) -> None:
    drivers = read_drivers(Hive(load(name)))
    present = _services_in_current_set(name)
    for service in SERVICES:
        assert drivers.installed(service) == (service in present), service


def test_aws_drivers_installed_or_not() -> None:
    aws = read_drivers(Hive(load("system-aws")))
    assert aws.control_set == "ControlSet001"
    assert aws.ena and aws.aws_nvme and aws.aws_pv and aws.inbox_nvme
    assert aws.services["AWSNVMe"].start == 0
    assert aws.services["ena"].image_path == "\\SystemRoot\\System32\\drivers\\ena.sys"
    assert aws.services["ena"].enabled
    # Select\Current is 2: the ena and AWSNVMe keys of ControlSet001 do not count
    bare = read_drivers(Hive(load("system-noaws")))
    assert bare.control_set == "ControlSet002"
    assert not bare.ena and not bare.aws_nvme and not bare.aws_pv and bare.inbox_nvme


def test_a_system_hive_without_select_is_malformed() -> None:
    builder = HiveBuilder()
    control_set = builder.key("ControlSet001")
    hive = Hive(builder.hive(builder.key("ROOT", [("ControlSet001", control_set)])))
    with pytest.raises(FormatError, match="Select"):
        current_control_set(hive)
    builder = HiveBuilder()
    select = builder.key("Select", values=[builder.value("Current", 4, (3).to_bytes(4, "little"))])
    hive = Hive(builder.hive(builder.key("ROOT", [("Select", select)])))
    with pytest.raises(FormatError, match="ControlSet003"):
        read_drivers(hive)


def test_a_disabled_driver_is_installed_but_not_enabled() -> None:
    builder = HiveBuilder()
    ena = builder.key("ena", values=[builder.value("Start", 4, (4).to_bytes(4, "little"))])
    services = builder.key("Services", [("ena", ena)])
    control_set = builder.key("ControlSet001", [("Services", services)])
    select = builder.key("Select", values=[builder.value("Current", 4, (1).to_bytes(4, "little"))])
    root = builder.key("ROOT", [("ControlSet001", control_set), ("Select", select)])
    drivers = read_drivers(Hive(builder.hive(root)))
    assert drivers.ena and not drivers.services["ena"].enabled and not drivers.aws_nvme
