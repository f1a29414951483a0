"""The trees and records behind tests/fixtures/btrfs-lvm/ (run by make-btrfs-lvm-fixtures.sh).

Subcommands (standard library only; the recipe runs them with the system's python3):

- ``tree KIND DIR [UUID]``: write a source tree for mkfs or for copying into a
  mounted file system: ``fedora-root``, ``fedora-home``, ``opensuse``, ``small``
  (the mkfs --rootdir variants), ``zstd``/``lzo``/``zlib`` (the files written
  under each compress= mount option), ``bench`` (the 40 MiB file),
  ``rhel-root``/``rhel-home`` (the logical volumes' ext4 trees), ``lzo-sample``
  (the data lzop compresses);
- ``manifest DIR``: the oracle, a JSON list of every path under DIR (relative),
  its type, size, SHA-256 and link target, as the kernel or the source tree
  shows it;
- ``collision``: two file names with the same btrfs name hash (crc32c seeded
  with ~1, the DIR_ITEM key's offset), found by search;
- ``extents TREE=FILE...``: ``btrfs inspect-internal dump-tree -t TREE`` outputs,
  the EXTENT_DATA items per tree and inode as JSON (the tool's own view of the
  extents; files of one plain inline extent left out);
- ``dir-items DIRID``: dump-tree output on stdin, the names of each DIR_ITEM
  of a directory (to prove a hash collision really shares one item);
- ``subvolumes``: ``btrfs subvolume list -p -u`` output on stdin, as JSON;
- ``lvm-place LVS PVS VG/LV``: where ``lvs --segments`` and ``pvs`` (JSON, in bytes)
  put a logical volume's extents: one ``skip seek count`` line (bytes) per segment
  for dd, from the LV's start and the PV's start;
- ``lvm-edit BACKUP OUT``: a ``vgcfgbackup`` text with placeholder linear LVs turned
  into a thin pool, a thin volume and a RAID1 volume (lvcreate cannot make them
  without device-mapper; vgcfgrestore writes the result).
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import re
import stat
import sys
from pathlib import Path

KERNEL = "6.5.6-300.fc39.x86_64"
MACHINE_ID = "0123456789abcdef0123456789abcdef"
WORDS = [
    "kernel",
    "systemd",
    "udev",
    "module",
    "loaded",
    "device",
    "mounted",
    "service",
    "started",
    "network",
    "link",
    "up",
    "down",
    "eth0",
    "nvme0n1",
    "xvda",
    "btrfs",
    "ext4",
    "xfs",
    "root",
    "home",
    "boot",
    "grub",
    "initramfs",
    "dracut",
]


TEMPLATES = (
    "systemd[1]: Started session-{n}.scope - Session {n} of User fedora.",
    "kernel: nvme0n1: p1 p2 p3",
    "NetworkManager[812]: <info>  device (eth0): state change: ip-config -> ip-check",
    "kernel: ena 0000:00:05.0 eth0: link up",
    "sshd[{n}]: Accepted publickey for fedora from 10.0.0.{k} port 5{k}22 ssh2",
    "dracut: *** Including module: btrfs ***",
    "kernel: BTRFS info (device nvme0n1p3): using crc32c checksum algorithm",
    "chronyd[700]: Selected source 169.254.169.123",
)


def log_text(size: int, seed: int) -> bytes:
    """Very compressible text of ``size`` bytes: log lines with counters (no two alike)."""
    chooser = random.Random(seed)
    lines: list[str] = []
    total = 0
    number = 0
    while total < size:
        message = chooser.choice(TEMPLATES).format(n=number, k=number % 250)
        line = f"Dec  6 12:{number // 60 % 60:02d}:{number % 60:02d} fixture {message}\n"
        lines.append(line)
        total += len(line)
        number += 1
    return "".join(lines).encode()[:size]


def word_text(size: int, seed: int) -> bytes:
    """Text that compresses about 4:1 (random words with counters), like an initramfs."""
    chooser = random.Random(seed)
    lines: list[str] = []
    total = 0
    number = 0
    while total < size:
        words = " ".join(chooser.choice(WORDS) for _ in range(chooser.randint(3, 9)))
        line = f"{number:9d} {words}\n"
        lines.append(line)
        total += len(line)
        number += 1
    return "".join(lines).encode()[:size]


def noise(size: int, seed: int) -> bytes:
    return random.Random(seed).randbytes(size)


def write(path: Path, data: bytes | str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data.encode() if isinstance(data, str) else data)


def link(path: Path, target: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    os.symlink(target, path)


def sparse(path: Path, size: int, pieces: dict[int, bytes]) -> None:
    """A file of ``size`` bytes whose only data are ``pieces`` (the rest holes)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as out:
        out.truncate(size)
        for offset, data in pieces.items():
            out.seek(offset)
            out.write(data)


def os_release(name: str, version: str, ident: str, version_id: str, extra: str = "") -> str:
    return (
        f'NAME="{name}"\nVERSION="{version}"\nID={ident}\nVERSION_ID={version_id}\n'
        f'PRETTY_NAME="{name} {version}"\n{extra}'
    )


def fedora_root(root: Path, uuid: str) -> None:
    for name, target in (("bin", "usr/bin"), ("sbin", "usr/sbin"), ("lib", "usr/lib")):
        link(root / name, target)
    link(root / "lib64", "usr/lib64")
    write(
        root / "usr/lib/os-release",
        os_release(
            "Fedora Linux",
            "39 (Server Edition)",
            "fedora",
            "39",
            'VARIANT_ID=server\nCPE_NAME="cpe:/o:fedoraproject:fedora:39"\n',
        ),
    )
    link(root / "etc/os-release", "../usr/lib/os-release")
    write(root / "etc/fedora-release", "Fedora release 39 (Thirty Nine)\n")
    link(root / "etc/redhat-release", "fedora-release")
    link(root / "etc/system-release", "fedora-release")
    write(
        root / "etc/fstab",
        f"# /etc/fstab\nUUID={uuid} /     btrfs subvol=root,compress=zstd:1 0 0\n"
        f"UUID={uuid} /home btrfs subvol=home,compress=zstd:1 0 0\n",
    )
    write(root / "etc/hostname", "fedora-fixture\n")
    write(root / "etc/machine-id", MACHINE_ID + "\n")
    write(
        root / "etc/default/grub",
        'GRUB_TIMEOUT=5\nGRUB_DEFAULT=saved\nGRUB_CMDLINE_LINUX="rhgb quiet"\n'
        "GRUB_ENABLE_BLSCFG=true\n",
    )
    write(
        root / "etc/NetworkManager/system-connections/eth0.nmconnection",
        "[connection]\nid=eth0\ntype=ethernet\ninterface-name=eth0\n\n[ipv4]\nmethod=auto\n",
    )
    write(
        root / f"boot/loader/entries/{MACHINE_ID}-{KERNEL}.conf",
        f"title Fedora Linux ({KERNEL}) 39 (Server Edition)\nversion {KERNEL}\n"
        f"linux /boot/vmlinuz-{KERNEL}\ninitrd /boot/initramfs-{KERNEL}.img\n"
        f"options root=UUID={uuid} ro rootflags=subvol=root rhgb quiet\n"
        "grub_users $grub_users\ngrub_arg --unrestricted\ngrub_class fedora\n",
    )
    write(root / f"boot/vmlinuz-{KERNEL}", b"MZ" + noise(12 * 1024, 1))
    write(root / f"boot/initramfs-{KERNEL}.img", b"070701" + noise(6 * 1024, 2))
    write(root / "boot/grub2/grubenv", "# GRUB Environment Block\nsaved_entry=" + MACHINE_ID)
    modules = root / f"usr/lib/modules/{KERNEL}"
    write(
        modules / "modules.builtin",
        "".join(f"kernel/drivers/block/mod{n}.ko\n" for n in range(300))
        + "kernel/drivers/nvme/host/nvme.ko\nkernel/drivers/nvme/host/nvme-core.ko\n",
    )
    write(modules / "kernel/drivers/net/ethernet/amazon/ena/ena.ko.xz", noise(3000, 3))
    write(root / "usr/bin/bash", b"\x7fELF" + noise(8 * 1024, 4))
    link(root / "usr/bin/sh", "bash")
    os.link(root / "usr/bin/bash", root / "usr/bin/rbash")  # a hard link: two INODE_REFs
    write(root / "usr/sbin/init", b"\x7fELF" + noise(2048, 5))
    (root / "usr/lib64").mkdir(parents=True, exist_ok=True)
    write(root / "usr/lib64/libc.so.6", b"\x7fELF" + noise(4000, 6))
    many = root / "usr/share/many"
    for number in range(520):
        write(many / f"entry-{number:04d}.conf", f"entry {number}\n" * (number % 7 + 1))
    first, second = collision()
    write(root / f"usr/share/collide/{first}", "the first of two names with one hash\n")
    write(root / f"usr/share/collide/{second}", "the second of two names with one hash\n")
    write(root / "usr/share/collide/plain", "a name of its own\n")
    # data at 0, at 1 MiB and at the end; holes between (no-holes: no items for them)
    sparse(
        root / "var/lib/sparse.img",
        4 * 1024 * 1024,
        {0: b"start" * 100, 1024 * 1024: log_text(8192, 7), 4 * 1024 * 1024 - 4096: b"e" * 4096},
    )
    (root / "var/log").mkdir(parents=True, exist_ok=True)
    write(root / "var/lib/prealloc.img", bytes(65536) + b"written" * 1000 + bytes(200000))
    write(root / ("long-name-" + "x" * 240), "a name of 250 bytes\n")
    write(root / "etc/subuid", "")  # empty: no extent at all
    write(root / "usr/share/doc/café-ñandú.txt", "a UTF-8 name\n")
    write(root / os.fsdecode(b"usr/share/doc/latin1-\xe9t\xe9.txt"), "a name that is not UTF-8\n")
    os.mkfifo(root / "var/lib/fifo")


def fedora_home(home: Path) -> None:
    write(home / "fedora/.bashrc", "# .bashrc\nalias ll='ls -l'\n")
    write(home / "fedora/notes.txt", log_text(20000, 11))
    link(home / "fedora/link-to-root", "/etc/os-release")


def compressible(directory: Path, algorithm: str, seed: int) -> None:
    """The files written while mounted with compress=ALGORITHM."""
    write(directory / f"{algorithm}.log", log_text(300 * 1024 + 1000, seed))
    # small and compressible: an inline compressed extent
    write(directory / f"{algorithm}-inline.txt", log_text(3000, seed + 1))


def opensuse(root: Path, uuid: str) -> None:
    write(
        root / "usr/lib/os-release",
        os_release("openSUSE Leap", "15.5", "opensuse-leap", "15.5", 'ID_LIKE="suse opensuse"\n'),
    )
    link(root / "etc/os-release", "../usr/lib/os-release")
    write(
        root / "etc/fstab",
        f"UUID={uuid} / btrfs defaults 0 0\nUUID={uuid} /home btrfs subvol=/@/home 0 0\n"
        f"UUID={uuid} /.snapshots btrfs subvol=/@/.snapshots 0 0\n",
    )
    write(root / "etc/sysconfig/network/ifcfg-eth0", "BOOTPROTO='dhcp'\nSTARTMODE='auto'\n")
    # explicit holes: this file system is made without the no-holes feature
    sparse(root / "var/lib/holes.img", 1024 * 1024, {256 * 1024: b"middle" * 1000})


def small(root: Path, uuid: str) -> None:
    write(root / "etc/os-release", os_release("Debian GNU/Linux", "12 (bookworm)", "debian", "12"))
    write(root / "etc/fstab", f"UUID={uuid} / btrfs defaults 0 1\n")
    link(root / "etc/localtime", "/usr/share/zoneinfo/UTC")
    write(root / "etc/hostname", "small\n")
    write(root / "usr/share/doc/log.txt", log_text(300 * 1024, 21))
    write(root / "usr/share/doc/noise.bin", noise(5000, 22))
    for number in range(520):
        write(root / f"usr/share/many/n{number}", f"{number}\n")
    sparse(root / "var/sparse.img", 2 * 1024 * 1024, {512 * 1024: b"data" * 1024})


def bench(directory: Path) -> None:
    """40 MiB of text-like data made of one 128 KiB block repeated (btrfs compresses each
    128 KiB extent alone, so every extent costs a real decompression, while the packed
    fixture stays small: the compressed extents repeat)."""
    block = word_text(128 * 1024, 31)
    write(directory / "big.bin", block * 320)


def rhel_root(root: Path) -> None:
    write(
        root / "etc/os-release",
        os_release(
            "Red Hat Enterprise Linux",
            "9.3 (Plow)",
            "rhel",
            "9.3",
            'ID_LIKE="fedora"\nPLATFORM_ID="platform:el9"\n',
        ),
    )
    write(root / "etc/redhat-release", "Red Hat Enterprise Linux release 9.3 (Plow)\n")
    write(
        root / "etc/fstab",
        "/dev/mapper/rhel-root /     xfs  defaults 0 0\n"
        "/dev/mapper/rhel-home /home ext4 defaults 0 0\n"
        "/dev/mapper/rhel-swap none  swap defaults 0 0\n",
    )
    write(root / "etc/sysconfig/network-scripts/ifcfg-eth0", "DEVICE=eth0\nBOOTPROTO=dhcp\n")
    write(root / "usr/share/doc/release-notes.txt", log_text(100 * 1024, 51))


def tree(kind: str, directory: str, uuid: str = "") -> None:
    target = Path(directory)
    if kind == "fedora-root":
        fedora_root(target, uuid)
    elif kind == "fedora-home":
        fedora_home(target)
    elif kind == "opensuse":
        opensuse(target, uuid)
    elif kind == "small":
        small(target, uuid)
    elif kind == "bench":
        bench(target)
    elif kind == "lzo-sample":  # text, noise, zeros and words: every kind of LZO instruction
        sample = log_text(60 * 1024, 61) + noise(2048, 62) + bytes(20000) + word_text(40000, 63)
        write(target / "sample.bin", sample)
    elif kind == "rhel-root":
        rhel_root(target)
    elif kind == "rhel-home":
        write(target / "user/notes.txt", log_text(50 * 1024, 52))
    elif kind in ("zstd", "lzo", "zlib"):
        compressible(target, kind, {"zstd": 41, "lzo": 42, "zlib": 43}[kind])
    else:
        raise SystemExit(f"unknown tree {kind}")


def manifest(directory: str, inodes: bool = False) -> list[dict[str, object]]:
    base = Path(directory)
    entries: list[dict[str, object]] = []
    for current, dirs, files in os.walk(base):
        dirs.sort()
        for name in sorted(dirs + files):
            path = Path(current) / name
            info = path.lstat()
            relative = str(path.relative_to(base))
            if stat.S_ISLNK(info.st_mode):
                entry: dict[str, object] = {"path": relative, "type": "symlink"}
                entry["target"] = os.readlink(path)
                entry["size"] = info.st_size
            elif stat.S_ISDIR(info.st_mode):
                entry = {"path": relative, "type": "directory"}
            elif stat.S_ISREG(info.st_mode):
                entry = {"path": relative, "type": "file", "size": info.st_size}
                entry["sha256"] = hashlib.sha256(path.read_bytes()).hexdigest()
            else:
                entry = {"path": relative, "type": "other"}
            if inodes:
                entry["inode"] = info.st_ino
            entries.append(entry)
    return entries


def _crc32c_table() -> list[int]:
    table = []
    for byte in range(256):
        crc = byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0x82F63B78 if crc & 1 else crc >> 1
        table.append(crc)
    return table


def name_hash(name: bytes, table: list[int]) -> int:
    crc = 0xFFFFFFFE  # btrfs_name_hash: crc32c seeded with ~1, no final inversion
    for byte in name:
        crc = table[(crc ^ byte) & 0xFF] ^ (crc >> 8)
    return crc


def collision() -> tuple[str, str]:
    table = _crc32c_table()
    seen: dict[int, str] = {}
    number = 0
    while True:
        name = f"c{number:07d}"
        value = name_hash(name.encode(), table)
        if value in seen:
            return seen[value], name
        seen[value] = name
        number += 1


_ITEM = re.compile(r"^\s*item \d+ key \((\d+) (\w+) (\d+)\)")


def extents(text: str) -> dict[str, list[dict[str, object]]]:
    """EXTENT_DATA items per inode from dump-tree output."""
    found: dict[str, list[dict[str, object]]] = {}
    current: dict[str, object] | None = None
    for line in text.splitlines():
        match = _ITEM.match(line)
        if match:
            current = None
            if match.group(2) == "EXTENT_DATA":
                current = {"file_offset": int(match.group(3))}
                found.setdefault(match.group(1), []).append(current)
            continue
        if current is None:
            continue
        words = line.split()
        if words and words[0] == "generation" and "type" in words:
            current["type"] = words[words.index("type") + 2].strip("()")
        elif words[1:4] == ["data", "disk", "byte"]:  # "extent" or "prealloc"
            current["disk_bytenr"], current["disk_num_bytes"] = int(words[4]), int(words[6])
        elif words[1:3] == ["data", "offset"]:
            current["offset"], current["num_bytes"] = int(words[3]), int(words[5])
            # a prealloc extent's decoded size is its size on disk (dump-tree omits it)
            current["ram_bytes"] = int(words[7]) if len(words) > 7 else current["disk_num_bytes"]
        elif line.strip().startswith("extent compression"):
            current["compression"] = words[3].strip("()")
        elif line.strip().startswith("inline extent data size"):
            current["inline_size"], current["ram_bytes"] = int(words[4]), int(words[6])
            current["compression"] = words[9].strip("()")
    for items in found.values():
        for item in items:
            item.setdefault("compression", "none")
    return found


def dir_items(text: str, directory: int) -> list[list[str]]:
    groups: list[list[str]] = []
    current: list[str] | None = None
    for line in text.splitlines():
        match = _ITEM.match(line)
        if match:
            current = None
            if int(match.group(1)) == directory and match.group(2) == "DIR_ITEM":
                current = []
                groups.append(current)
        elif current is not None and line.strip().startswith("name:"):
            current.append(line.strip()[len("name: ") :])
    return groups


def subvolumes(text: str) -> list[dict[str, object]]:
    rows = []
    for line in text.splitlines():
        words = line.split()
        if not words or words[0] != "ID":
            continue
        rows.append(
            {
                "id": int(words[1]),
                "parent": int(words[words.index("parent") + 1]),
                "top_level": int(words[words.index("level") + 1]),
                "uuid": words[words.index("uuid") + 1],
                "path": line.split(" path ", 1)[1],
            }
        )
    return rows


def _report(path: str, kind: str) -> list[dict[str, str]]:
    """The rows of an LVM JSON report (``pv``, ``vg``, ``lv``, or ``seg`` with --segments)."""
    report: dict[str, list[dict[str, str]]] = json.loads(Path(path).read_text())["report"][0]
    return report.get(kind) or report.get("seg") or []


def lvm_place(lvs: str, pvs: str, path: str) -> None:
    """dd's skip/seek/count (bytes) of each segment of logical volume VG/LV on its PV."""
    vg_name, lv_name = path.split("/")
    starts = {row["pv_name"]: int(row["pe_start"]) for row in _report(pvs, "pv")}
    extent = 0
    for row in _report(lvs, "lv"):
        if (row["vg_name"], row["lv_name"]) != (vg_name, lv_name):
            continue
        extent = int(row["vg_extent_size"])
        device, pe_range = row["seg_pe_ranges"].rsplit(":", 1)
        first = int(pe_range.split("-")[0])
        skip = int(row["seg_start_pe"]) * extent
        seek = starts[device] + first * extent
        print(device, skip, seek, int(row["seg_size_pe"]) * extent)


LV_TEMPLATE = """
\t\t{name} {{
\t\t\tid = "{uuid}"
\t\t\tstatus = [{status}]
\t\t\tflags = []
\t\t\tsegment_count = 1

\t\t\tsegment1 {{
\t\t\t\tstart_extent = 0
\t\t\t\textent_count = {extents}
{body}
\t\t\t}}
\t\t}}
"""


def lvm_edit(backup: str, out: str) -> None:
    """Rename the placeholders to pool_tmeta, pool_tdata, r1_rmeta_0/1 and r1_rimage_0/1,
    hide them, and add, as LVM2's text format writes them, a thin pool over the first two,
    a thin volume in it and a RAID1 volume over the others."""
    text = Path(backup).read_text()
    renames = {
        "tmeta": "pool_tmeta",
        "tdata": "pool_tdata",
        "rmeta0": "r1_rmeta_0",
        "rmeta1": "r1_rmeta_1",
        "rimage0": "r1_rimage_0",
        "rimage1": "r1_rimage_1",
    }
    visible = 'status = ["READ", "WRITE", "VISIBLE"]'
    for placeholder, name in renames.items():
        start = text.index(f"\t\t{placeholder} {{")
        text = text[:start] + f"\t\t{name} {{" + text[start + len(placeholder) + 4 :]
        status = text.index(visible, start)
        text = text[:status] + 'status = ["READ", "WRITE"]' + text[status + len(visible) :]
    added = [
        LV_TEMPLATE.format(
            name="pool",
            uuid="PoolPl-aaaa-bbbb-cccc-dddd-eeee-ffff01",
            status='"READ", "WRITE", "VISIBLE"',
            extents=8,
            body='\t\t\t\ttype = "thin-pool"\n\t\t\t\tmetadata = "pool_tmeta"\n'
            '\t\t\t\tpool = "pool_tdata"\n\t\t\t\ttransaction_id = 1\n'
            '\t\t\t\tchunk_size = 128\n\t\t\t\tdiscards = "passdown"\n'
            "\t\t\t\tzero_new_blocks = 1",
        ),
        LV_TEMPLATE.format(
            name="thin",
            uuid="ThinTh-aaaa-bbbb-cccc-dddd-eeee-ffff02",
            status='"READ", "WRITE", "VISIBLE"',
            extents=16,
            body='\t\t\t\ttype = "thin"\n\t\t\t\tthin_pool = "pool"\n'
            "\t\t\t\ttransaction_id = 0\n\t\t\t\tdevice_id = 1",
        ),
        LV_TEMPLATE.format(
            name="r1",
            uuid="RaidR1-aaaa-bbbb-cccc-dddd-eeee-ffff03",
            status='"READ", "WRITE", "VISIBLE"',
            extents=2,
            body='\t\t\t\ttype = "raid1"\n\t\t\t\tdevice_count = 2\n'
            "\t\t\t\tregion_size = 1024\n\t\t\t\traids = [\n"
            '\t\t\t\t\t"r1_rmeta_0", "r1_rimage_0",\n'
            '\t\t\t\t\t"r1_rmeta_1", "r1_rimage_1"\n\t\t\t\t]',
        ),
    ]
    marker = "\tlogical_volumes {\n"
    at = text.index(marker) + len(marker)
    Path(out).write_text(text[:at] + "".join(added) + text[at:])


def lines(rows: list[dict[str, object]]) -> None:
    """A JSON list written one entry a line (small and readable in a diff)."""
    print("[\n" + ",\n".join(json.dumps(row, sort_keys=True) for row in rows) + "\n]")


def main(argv: list[str]) -> None:
    command = argv[0]
    if command == "tree":
        tree(argv[1], argv[2], *argv[3:4])
    elif command == "manifest":
        lines(manifest(argv[1], "--inodes" in argv))
    elif command == "collision":
        print(*collision())
    elif command == "extents":  # extents TREE=DUMP_FILE...
        rows = []
        for argument in argv[1:]:
            tree_id, dump = argument.split("=", 1)
            for inode, items in sorted(
                extents(Path(dump).read_text(errors="surrogateescape")).items()
            ):
                plain = items[0]["type"] == "inline" and items[0]["compression"] == "none"
                if len(items) == 1 and plain:
                    continue  # a small file's one plain inline extent: the manifest says enough
                rows.append({"tree": int(tree_id), "inode": int(inode), "extents": items})
        lines(rows)
    elif command == "dir-items":
        json.dump(
            dir_items(sys.stdin.buffer.read().decode(errors="surrogateescape"), int(argv[1])),
            sys.stdout,
        )
    elif command == "lvm-place":
        lvm_place(argv[1], argv[2], argv[3])
    elif command == "lvm-edit":
        lvm_edit(argv[1], argv[2])
    elif command == "subvolumes":
        json.dump(subvolumes(sys.stdin.read()), sys.stdout, indent=1)
    else:
        raise SystemExit(f"unknown command {command}")


if __name__ == "__main__":
    main(sys.argv[1:])
