"""fstab's entries and device names, the kernel's ``root=``, each network configuration kind."""

from __future__ import annotations

import pytest

from ec2_import_image.guestos.fstab import classify, kernel_parameter, mount_entry, parse_fstab
from ec2_import_image.guestos.network import read_network
from ec2_import_image.guestos.osreport import DeviceKind, NetworkKind
from tests.guestos.test_release import tree


def test_fstab_fields_escapes_and_comments() -> None:
    text = (
        "# <file system> <mount point> <type> <options> <dump> <pass>\n"
        "UUID=0e6c1a5b /               ext4    errors=remount-ro 0       1\n"
        "\n   # indented comment\n"
        "/dev/sdb1\t/mnt/my\\040disk\text4\n"
        'LABEL="data" /data xfs defaults,nofail 0 2\n'
        "tmpfs /tmp tmpfs\n"
        "broken-line /x\n"
    )
    entries = parse_fstab(text)
    assert [(e.spec, e.mount, e.type, e.options, e.kind) for e in entries] == [
        ("UUID=0e6c1a5b", "/", "ext4", "errors=remount-ro", DeviceKind.UUID),
        ("/dev/sdb1", "/mnt/my disk", "ext4", "defaults", DeviceKind.DEVICE_NAME),
        ('LABEL="data"', "/data", "xfs", "defaults,nofail", DeviceKind.LABEL),
        ("tmpfs", "/tmp", "tmpfs", "defaults", DeviceKind.OTHER),
    ]
    assert mount_entry(entries, "/mnt/my disk") is entries[1]
    assert mount_entry(entries, "/boot") is None


@pytest.mark.parametrize(
    ("spec", "kind", "value"),
    [
        ("UUID=abc", DeviceKind.UUID, "abc"),
        ('LABEL="my root"', DeviceKind.LABEL, "my root"),
        ("PARTUUID=0a1b2c3d-02", DeviceKind.PARTUUID, "0a1b2c3d-02"),
        ("PARTLABEL=root", DeviceKind.PARTLABEL, "root"),
        ("/dev/disk/by-uuid/abc", DeviceKind.UUID, "abc"),
        ("/dev/disk/by-label/root", DeviceKind.LABEL, "root"),
        ("/dev/disk/by-id/nvme-Amazon_Elastic_Block_Store", DeviceKind.BY_HARDWARE, None),
        ("/dev/sda1", DeviceKind.DEVICE_NAME, None),
        ("/dev/hdb", DeviceKind.DEVICE_NAME, None),
        ("/dev/xvda1", DeviceKind.DEVICE_NAME, None),
        ("/dev/vdc3", DeviceKind.DEVICE_NAME, None),
        ("/dev/sdaa12", DeviceKind.DEVICE_NAME, None),
        ("/dev/nvme0n1p1", DeviceKind.NVME, None),
        ("/dev/mapper/rhel-root", DeviceKind.MAPPER, None),
        ("/dev/VolGroup00/LogVol00", DeviceKind.MAPPER, None),
        ("proc", DeviceKind.OTHER, None),
        ("server:/export", DeviceKind.OTHER, None),
        ("/swap.img", DeviceKind.OTHER, None),
    ],
)
def test_device_names(spec: str, kind: DeviceKind, value: str | None) -> None:
    found = classify(spec)
    assert found.kind is kind
    assert found.value == (value if value is not None else spec)


def test_kernel_parameters() -> None:
    line = (
        "BOOT_IMAGE=/vmlinuz ro root=/dev/sda1 quiet root=UUID=abc "
        '"acpi=off x" rootflags=subvol=root'
    )
    assert kernel_parameter(line, "root") == "UUID=abc"  # the last one wins, as in the kernel
    assert kernel_parameter(line, "rootflags") == "subvol=root"
    assert kernel_parameter(line, "acpi") == "off x"
    assert kernel_parameter(line, "init") is None


@pytest.mark.parametrize(
    ("files", "kind", "interfaces"),
    [
        (
            {
                "etc/sysconfig/network-scripts/ifcfg-eth0": b'DEVICE="eth0"\nBOOTPROTO="dhcp"\n',
                "etc/sysconfig/network-scripts/ifcfg-lo": b"DEVICE=lo\nIPADDR=127.0.0.1\n",
            },
            NetworkKind.DHCP,
            [("eth0", NetworkKind.DHCP)],
        ),
        (
            {
                "etc/sysconfig/network-scripts/ifcfg-ens192": (
                    b"TYPE=Ethernet\nBOOTPROTO=none\nIPADDR=10.0.0.5\nPREFIX=24\nDEVICE=ens192\n"
                ),
            },
            NetworkKind.STATIC,
            [("ens192", NetworkKind.STATIC)],
        ),
        (
            {"etc/sysconfig/network/ifcfg-eth0": b"BOOTPROTO='static'\nIPADDR='192.168.0.2/24'\n"},
            NetworkKind.STATIC,
            [("eth0", NetworkKind.STATIC)],
        ),
        (
            {
                "etc/network/interfaces": (
                    b"source-directory interfaces.d\nauto lo\niface lo inet loopback\n"
                ),
                "etc/network/interfaces.d/eth0": (
                    b"auto eth0\niface eth0 inet static\n address 10.1.1.1\n"
                ),
                "etc/network/interfaces.d/eth1": b"iface eth1 inet6 auto\n",
            },
            NetworkKind.STATIC,
            [("eth0", NetworkKind.STATIC), ("eth1", NetworkKind.DHCP)],
        ),
        (
            {
                "etc/netplan/50-cloud-init.yaml": (
                    b"network:\n  version: 2\n  ethernets:\n    ens5:\n      dhcp4: yes\n"
                    b"      match:\n        macaddress: 02:00:00:00:00:01\n"
                ),
            },
            NetworkKind.DHCP,
            [("ens5", NetworkKind.DHCP)],
        ),
        (
            {
                "etc/netplan/01.yaml": (
                    b"network:\n  bonds:\n    bond0:\n      addresses: [10.0.0.2/24]\n"
                    b"      interfaces: [eth0, eth1]\n"
                ),
                "etc/netplan/bad.yaml": b"network: [unclosed\n",
            },
            NetworkKind.STATIC,
            [("bond0", NetworkKind.STATIC)],
        ),
        (
            {
                "etc/NetworkManager/system-connections/Wired.nmconnection": (
                    b"[connection]\nid=Wired\ntype=ethernet\ninterface-name=enp1s0\n\n"
                    b"[ipv4]\naddress1=192.168.1.10/24,192.168.1.1\nmethod=manual\n"
                ),
                "etc/NetworkManager/system-connections/lo.nmconnection": (
                    b"[connection]\nid=lo\ntype=loopback\n[ipv4]\nmethod=manual\n"
                ),
            },
            NetworkKind.STATIC,
            [("enp1s0", NetworkKind.STATIC)],
        ),
        (
            {
                "etc/NetworkManager/system-connections/eth0.nmconnection": (
                    b"[connection]\nid=eth0\ntype=ethernet\n"
                ),
            },
            NetworkKind.DHCP,  # NetworkManager's default IPv4 method is auto
            [("eth0", NetworkKind.DHCP)],
        ),
        (
            {
                "etc/systemd/network/20-wired.network": (
                    b"[Match]\nName=en*\n\n[Network]\nDHCP=yes\n"
                ),
                "etc/systemd/network/30-static.network": (
                    b"[Match]\nName=eth1\n[Network]\nDHCP=no\n[Address]\nAddress=10.2.0.3/24\n"
                ),
            },
            NetworkKind.STATIC,
            [("en*", NetworkKind.DHCP), ("eth1", NetworkKind.STATIC)],
        ),
        ({"etc/hostname": b"h\n"}, NetworkKind.UNKNOWN, []),
    ],
)
def test_network_configurations(
    files: dict[str, object], kind: NetworkKind, interfaces: list[tuple[str, NetworkKind]]
) -> None:
    found, configs = read_network(tree(files))
    assert found is kind
    assert [(config.interface, config.kind) for config in configs] == interfaces
