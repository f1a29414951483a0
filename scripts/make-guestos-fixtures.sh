#!/usr/bin/env bash
# Build the operating-system fixtures of tests/fixtures/guestos/ with real tools.
#
#   registry/   Windows registry hives (xz-compressed): an empty hive (scripts/make_minimal_hive.py, laid out
#               from the REGF format description) into which hivexregedit --merge writes the
#               .reg files beside them; hivexregedit --export of each hive is recorded too.
#   ntfs/       NTFS volumes made by mkntfs and filled through a FUSE mount of ntfs-3g
#               (directories, hard links, named streams, compressed files, reparse points
#               written through ntfs-3g's documented extended attributes, 8.3 names);
#               each volume's manifest is what ntfs-3g reads back through the mount, and
#               blkid's UUID and LABEL; ntfsinfo's dump of the fragmented file is kept
#               (it shows the $ATTRIBUTE_LIST the run list needed).
#   initramfs/  initramfs images: cpio -o (newc, crc, odc) over trees mimicking Debian's
#               initramfs-tools, Fedora's dracut and SUSE's, compressed by gzip, xz, zstd,
#               lz4 -l (the kernel's legacy frame), bzip2 and xz --format=lzma, and
#               concatenations (an uncompressed early-microcode archive first); the oracle
#               is cpio -itv's listing of every uncompressed part.
#
# Run as root on Debian 12 (bookworm) with /dev/fuse, once these packages are installed:
#   apt-get install ntfs-3g libhivex-bin cpio gzip xz-utils zstd lz4 bzip2 util-linux python3
# The committed fixtures were made with ntfs-3g 2022.10.3, hivex 1.3.23, GNU cpio 2.13,
# gzip 1.12, xz 5.4.1, zstd 1.5.4, lz4 1.9.4, bzip2 1.0.8, util-linux 2.38.1.
#
# Tests never run these tools: they read the committed files (the NTFS volumes packed as
# their non-zero extents by scripts/pack_sparse.py, unpacked by tests/support/diskfixtures.py).
set -euo pipefail

OUT=${1:-tests/fixtures/guestos}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
HERE=$(cd "$(dirname "$0")" && pwd)
WORK=$(mktemp -d)
MNT="$WORK/mnt"
mkdir -p "$MNT"
cleanup() {
    cd /
    if mountpoint -q "$MNT"; then fusermount -u "$MNT"; fi
    rm -rf "$WORK"
}
trap cleanup EXIT
export LC_ALL=C TZ=UTC
mkdir -p "$OUT/registry" "$OUT/ntfs" "$OUT/initramfs"

# -- registry hives ----------------------------------------------------------------------

REG="$OUT/registry"
HIVES="$WORK/hives"  # the hives themselves; committed xz-compressed
mkdir -p "$HIVES"
rm -f "$REG"/*.hive.xz

# version_reg FILE PRODUCT EDITION BUILD UBR TYPE [extra lines]: SOFTWARE's CurrentVersion
version_reg() {
    local file=$1 product=$2 edition=$3 build=$4 ubr=$5 type=$6
    shift 6
    {
        printf 'Windows Registry Editor Version 5.00\n\n'
        printf '[HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft]\n\n'
        printf '[HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows NT]\n\n'
        printf '[HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion]\n'
        printf '"ProductName"="%s"\n' "$product"
        printf '"EditionID"="%s"\n' "$edition"
        printf '"CurrentBuild"="%s"\n' "$build"
        printf '"CurrentBuildNumber"="%s"\n' "$build"
        printf '"UBR"=dword:%08x\n' "$ubr"
        printf '"InstallationType"="%s"\n' "$type"
        printf '"SystemRoot"="C:\\\\Windows"\n'
        printf '"PathName"=hex(2):43,00,3a,00,5c,00,57,00,69,00,6e,00,64,00,6f,00,77,00,73,00,00,00\n'
        printf '"InstallDate"=dword:6553f100\n'
        printf '"InstallTime"=hex(b):00,c0,2f,5a,c5,1a,da,01\n'
        printf '"DigitalProductId"=hex:a4,00,00,00,03,00,00,00,30,30,34,32,39,2d,38,30\n'
        for line in "$@"; do printf '%s\n' "$line"; done
        printf '\n[HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\Winlogon]\n'
        printf '"Shell"="explorer.exe"\n'
        printf '\n[HKEY_LOCAL_MACHINE\\SOFTWARE\\Amazon]\n\n'
    } >"$file"
}

version_reg "$REG/software-2019.reg" "Windows Server 2019 Datacenter" ServerDatacenter 17763 5458 \
    Server '"CurrentMajorVersionNumber"=dword:0000000a' '"CurrentMinorVersionNumber"=dword:00000000' \
    '"CurrentVersion"="6.3"' '"ReleaseId"="1809"' \
    '"RegisteredOrganization"=hex(1):53,00,6f,00,63,00,69,00,e9,00,74,00,e9,00,00,00' \
    '"Languages"=hex(7):65,00,6e,00,2d,00,55,00,53,00,00,00,66,00,72,00,2d,00,46,00,52,00,00,00,00,00'
printf '\n[HKEY_LOCAL_MACHINE\\SOFTWARE\\Amazon\\PVDriver]\n"Version"="8.4.3"\n' \
    >>"$REG/software-2019.reg"
version_reg "$REG/software-2022-core.reg" "Windows Server 2022 Standard" ServerStandard 20348 2340 \
    "Server Core" '"CurrentMajorVersionNumber"=dword:0000000a' \
    '"CurrentMinorVersionNumber"=dword:00000000' '"CurrentVersion"="6.3"' '"ReleaseId"="2009"' \
    '"DisplayVersion"="21H2"'
version_reg "$REG/software-win10.reg" "Windows 10 Pro" Professional 19045 3803 Client \
    '"CurrentMajorVersionNumber"=dword:0000000a' '"CurrentMinorVersionNumber"=dword:00000000' \
    '"CurrentVersion"="6.3"' '"ReleaseId"="2009"' '"DisplayVersion"="22H2"'
# Windows 11 still says "Windows 10" in ProductName; its build (22000 and later) tells it
version_reg "$REG/software-win11.reg" "Windows 10 Enterprise" Enterprise 22631 2861 Client \
    '"CurrentMajorVersionNumber"=dword:0000000a' '"CurrentMinorVersionNumber"=dword:00000000' \
    '"CurrentVersion"="6.3"' '"ReleaseId"="2009"' '"DisplayVersion"="23H2"'
# before Windows 10 there is no CurrentMajorVersionNumber: CurrentVersion says 6.3
version_reg "$REG/software-2012r2.reg" "Windows Server 2012 R2 Standard" ServerStandard 9600 20778 \
    Server '"CurrentVersion"="6.3"'

# service NAME IMAGE START TYPE: a Services key as a driver package's INF writes it
service() {
    printf '\n[%s\\Services\\%s]\n"ImagePath"=hex(2):' "$CS" "$1"
    printf '%s' "$2" | iconv -t UTF-16LE | od -An -tx1 -v | tr -s ' \n' ',' | sed 's/^,//'
    printf '00,00\n"Start"=dword:%08x\n"Type"=dword:%08x\n"ErrorControl"=dword:00000001\n' "$3" "$4"
}
inbox_services() { # inbox_services COUNT: the inbox drivers and COUNT more services
    service stornvme '\SystemRoot\System32\drivers\stornvme.sys' 3 1
    service storahci '\SystemRoot\System32\drivers\storahci.sys' 3 1
    service disk '\SystemRoot\System32\drivers\disk.sys' 0 1
    service Tcpip '\SystemRoot\System32\drivers\tcpip.sys' 0 1
    printf '\n[%s\\Services\\Tcpip\\Parameters]\n"Hostname"="EC2AMAZ-FIXTURE"\n' "$CS"
    # a Services key holds hundreds of subkeys on a real system
    for i in $(seq -w 1 "$1"); do
        printf '\n[%s\\Services\\Svc%s]\n"Start"=dword:00000004\n' "$CS" "$i"
    done
}
aws_services() {
    service ena '\SystemRoot\System32\drivers\ena.sys' 3 1
    service AWSNVMe '\SystemRoot\System32\drivers\AWSNVMe.sys' 0 1
    printf '\n[%s\\Services\\AWSNVMe\\Parameters]\n\n' "$CS"
    printf '[%s\\Services\\AWSNVMe\\Parameters\\Device]\n' "$CS"
    printf '"EnableSCSIPersistentReservations"=dword:00000000\n'
    service xenbus '\SystemRoot\System32\drivers\xenbus.sys' 0 1
    service xenfilt '\SystemRoot\System32\drivers\xenfilt.sys' 0 1
    service xenvbd '\SystemRoot\System32\drivers\xenvbd.sys' 0 1
    service xenvif '\SystemRoot\System32\drivers\xenvif.sys' 3 1
    service xennet '\SystemRoot\System32\drivers\xennet.sys' 3 1
    service xeniface '\SystemRoot\System32\drivers\xeniface.sys' 3 1
}
# system_reg CURRENT: SYSTEM with Select\Current=CURRENT and two control sets
system_reg() {
    printf 'Windows Registry Editor Version 5.00\n\n[HKEY_LOCAL_MACHINE\\SYSTEM\\Select]\n'
    printf '"Current"=dword:%08x\n"Default"=dword:%08x\n"Failed"=dword:00000000\n' "$1" "$1"
    printf '"LastKnownGood"=dword:00000003\n'
    printf '\n[HKEY_LOCAL_MACHINE\\SYSTEM\\MountedDevices]\n'
    printf '"\\\\DosDevices\\\\C:"=hex:44,4d,49,4f,3a,49,44,3a,00,11,22,33\n'
}
{
    system_reg 1
    for set in 1 2; do
        CS="HKEY_LOCAL_MACHINE\\SYSTEM\\ControlSet00$set"
        printf '\n[%s]\n\n[%s\\Control]\n"SystemBootDevice"="multi(0)disk(0)rdisk(0)partition(2)"\n' \
            "$CS" "$CS"
        printf '\n[%s\\Services]\n' "$CS"
        if [ "$set" = 1 ]; then
            inbox_services 300
            aws_services
        else
            inbox_services 20
        fi
    done
} >"$REG/system-aws.reg"
# the current control set (2) has no AWS driver; the stale one (1) has ena and AWSNVMe
{
    system_reg 2
    for set in 1 2; do
        CS="HKEY_LOCAL_MACHINE\\SYSTEM\\ControlSet00$set"
        printf '\n[%s]\n\n[%s\\Services]\n' "$CS" "$CS"
        inbox_services $((set == 2 ? 300 : 20))
        if [ "$set" = 1 ]; then
            service ena '\SystemRoot\System32\drivers\ena.sys' 3 1
            service AWSNVMe '\SystemRoot\System32\drivers\AWSNVMe.sys' 0 1
        fi
    done
} >"$REG/system-noaws.reg"

for reg in "$REG"/*.reg; do
    case $reg in *.export.reg) continue ;; esac
    name=$(basename "$reg" .reg)
    case $name in software-*) prefix='HKEY_LOCAL_MACHINE\SOFTWARE' ;; *) prefix='HKEY_LOCAL_MACHINE\SYSTEM' ;; esac
    python3 "$HERE/make_minimal_hive.py" "$HIVES/$name.hive" "${name%%-*}"
    hivexregedit --merge --prefix "$prefix" "$HIVES/$name.hive" "$reg"
    hivexregedit --export --prefix "$prefix" "$HIVES/$name.hive" '\' >"$REG/$name.export.reg"
    xz -9 -c "$HIVES/$name.hive" >"$REG/$name.hive.xz"
done

# -- NTFS ----------------------------------------------------------------------------------

# manifest DIR: what ntfs-3g reads back: type, size, sha256 (files), link target, path
# (ntfs-3g shows C:\X as /.NTFS-3G/C:/X for a symbolic link, /X for a junction)
manifest() {
    python3 - "$1" <<'PY'
import hashlib, os, sys
root = sys.argv[1]
for top, dirs, files in os.walk(root):
    dirs.sort()
    for name in sorted(dirs + files):
        path = os.path.join(top, name)
        rel = os.path.relpath(path, root)
        if os.path.islink(path):
            # ntfs-3g shows an absolute target under the mount point: strip it
            target = os.readlink(path).removeprefix(root)
            print(f"symlink\t0\t-\t{target}\t{rel}")
        elif os.path.isdir(path):
            print(f"dir\t0\t-\t-\t{rel}")
        else:
            with open(path, "rb") as f:
                data = f.read()
            print(f"file\t{len(data)}\t{hashlib.sha256(data).hexdigest()}\t-\t{rel}")
PY
}

# setx PATH NAME HEXVALUE: set one of ntfs-3g's system.ntfs_* extended attributes
setx() { python3 -c 'import os,sys; os.setxattr(sys.argv[1], sys.argv[2], bytes.fromhex(sys.argv[3]))' "$@"; }

# reparse KIND SUBSTITUTE PRINT [RELATIVE]: a reparse buffer (MS-FSCC 2.1.2.5, 2.1.2.4), in hex
reparse() {
    python3 - "$@" <<'PY'
import struct, sys
kind, substitute, printed = sys.argv[1:4]
relative = len(sys.argv) > 4
sub = substitute.encode("utf-16-le")
pri = printed.encode("utf-16-le")
if kind == "junction":
    body = struct.pack("<HHHH", 0, len(sub), len(sub) + 2, len(pri)) + sub + b"\0\0" + pri + b"\0\0"
    tag = 0xA0000003
else:
    body = struct.pack("<HHHHI", 0, len(sub), len(sub), len(pri), 1 if relative else 0) + sub + pri
    tag = 0xA000000C
print((struct.pack("<IHH", tag, len(body), 0) + body).hex())
PY
}

text() { # text NAME LINES: lines that compress (xz) but are all different
    python3 -c 'import sys; n=sys.argv[1]; [print(f"{n} line {i:07d} of the fixture, nothing else") for i in range(int(sys.argv[2]))]' "$1" "$2"
}

make_windows_ntfs() {
    local image="$WORK/windows.ntfs"
    truncate -s 64M "$image"
    mkntfs -F -Q -c 4096 -s 512 -L "Windows" "$image" >/dev/null
    ntfs-3g -o streams_interface=windows "$image" "$MNT"
    cd "$MNT"
    mkdir -p Windows/System32/config Windows/System32/drivers/etc Windows/WinSxS Windows/Logs \
        "Program Files/Amazon/EC2Launch" "Program Files (x86)" ProgramData/Amazon Users/Public \
        Users/Administrator/Desktop
    # System32 holds thousands of files: 700 here, so the directory's index needs a B-tree
    # of several index records ($INDEX_ALLOCATION)
    for i in $(seq -w 1 700); do printf 'MZ placeholder %s\n' "$i" >"Windows/System32/api$i.dll"; done
    for driver in ena.sys AWSNVMe.sys stornvme.sys xenvbd.sys xenbus.sys disk.sys tcpip.sys; do
        printf 'MZ driver %s\n' "$driver" >"Windows/System32/drivers/$driver"
    done
    printf '127.0.0.1 localhost\n' >Windows/System32/drivers/etc/hosts
    printf '[fonts]\n' >Windows/win.ini
    : >Windows/empty.txt
    head -c 4096 /dev/zero | tr '\0' 'c' >Windows/one-cluster.bin
    printf 'version: 1.0\n' >"Program Files/Amazon/EC2Launch/agent-config.yml"
    printf 'public\n' >Users/Public/desktop.ini
    long='Ünïcödé-名前-Ελληνικά-עברית-😀-a-long-file-name-that-goes-on-for-a-while-to-test-it.txt'
    printf 'unicode\n' >"Users/Administrator/Desktop/$long"
    # fragmentation: fill the volume, free every other cluster, write the big files into the
    # holes (a run list longer than one file record: ntfs-3g moves it to extension records
    # listed by an $ATTRIBUTE_LIST)
    mkdir holes
    for i in $(seq -w 1 1600); do head -c 4096 /dev/zero | tr '\0' 'h' >"holes/$i"; done
    dd if=/dev/zero of=filler bs=1M status=none 2>/dev/null || true
    for i in $(seq -w 1 2 1600); do rm "holes/$i"; done
    text COMPONENTS 30000 >"Windows/System32/config/COMPONENTS"
    cp "$HIVES/software-2019.hive" Windows/System32/config/SOFTWARE
    rm -rf holes filler
    cp "$HIVES/system-aws.hive" Windows/System32/config/SYSTEM
    # a sparse file: 1 MiB hole, then data
    python3 -c 'import os; f=os.open("Windows/sparse.bin", os.O_CREAT|os.O_WRONLY); os.pwrite(f, b"end of a sparse file\n", 1 << 20); os.close(f)'
    # compressed files: the directory's compressed attribute makes ntfs-3g write LZNT1
    mkdir Windows/Logs/CBS
    setx Windows/Logs/CBS system.ntfs_attrib_be 00000810
    text CBS 8000 >Windows/Logs/CBS/CBS.log
    { text mixed 500; head -c 70000 /dev/urandom; text tail 500; } >Windows/Logs/CBS/mixed.log
    printf 'tiny\n' >Windows/Logs/CBS/tiny.log
    # a hard link (WinSxS links its components into System32) and a named stream
    ln Windows/System32/drivers/etc/hosts Windows/WinSxS/amd64_hosts_31bf3856ad364e35
    printf '[ZoneTransfer]\nZoneId=3\n' >'Users/Public/desktop.ini:Zone.Identifier'
    # 8.3 names beside the long ones (listings show the long names only)
    setx "Program Files" system.ntfs_dos_name "$(printf 'PROGRA~1' | od -An -tx1 | tr -d ' \n')"
    setx "Program Files (x86)" system.ntfs_dos_name "$(printf 'PROGRA~2' | od -An -tx1 | tr -d ' \n')"
    setx Windows/win.ini system.ntfs_dos_name "$(printf 'WIN.INI' | od -An -tx1 | tr -d ' \n')"
    # reparse points as Windows makes them: the junction "Documents and Settings", the
    # symbolic link "All Users", a relative symbolic link, one to another volume
    mkdir "Documents and Settings"
    setx "Documents and Settings" system.ntfs_reparse_data \
        "$(reparse junction '\??\C:\Users' 'C:\Users')"
    : >"Users/All Users"
    setx "Users/All Users" system.ntfs_reparse_data \
        "$(reparse symlink '\??\C:\ProgramData' 'C:\ProgramData')"
    : >Windows/win.lnk
    setx Windows/win.lnk system.ntfs_reparse_data "$(reparse symlink 'win.ini' 'win.ini' relative)"
    : >Users/data
    setx Users/data system.ntfs_reparse_data "$(reparse symlink '\??\D:\data' 'D:\data')"
    cd - >/dev/null
    manifest "$MNT" >"$OUT/ntfs/windows.manifest.tsv"
    fusermount -u "$MNT"
    blkid -p -o export "$image" | grep -E '^(UUID|LABEL)=' >"$OUT/ntfs/windows.blkid"
    ntfsinfo -F /Windows/System32/config/COMPONENTS "$image" >"$OUT/ntfs/windows.components.ntfsinfo"
    python3 "$HERE/pack_sparse.py" "$image" "$OUT/ntfs/windows.ntfs.xz"
}

# a small volume with 512-byte clusters: file records span two clusters, compression units
# are 8 KiB
make_small_ntfs() {
    local image="$WORK/small.ntfs"
    truncate -s 8M "$image"
    mkntfs -F -Q -c 512 -s 512 -L "small disk" "$image" >/dev/null
    ntfs-3g "$image" "$MNT"
    mkdir -p "$MNT/Windows/System32/config" "$MNT/packed"
    text small 200 >"$MNT/Windows/System32/config/notes.txt"
    setx "$MNT/packed" system.ntfs_attrib_be 00000810
    text packed 3000 >"$MNT/packed/log.txt"
    manifest "$MNT" >"$OUT/ntfs/small.manifest.tsv"
    fusermount -u "$MNT"
    blkid -p -o export "$image" | grep -E '^(UUID|LABEL)=' >"$OUT/ntfs/small.blkid"
    python3 "$HERE/pack_sparse.py" "$image" "$OUT/ntfs/small.ntfs.xz"
}

rm -f "$OUT"/ntfs/*
make_windows_ntfs
make_small_ntfs

# -- initramfs -------------------------------------------------------------------------------

INI="$OUT/initramfs"
T="$WORK/trees"
placeholder() { mkdir -p "$(dirname "$1")"; printf '\177ELF placeholder %s\n' "$(basename "$1")" >"$1"; }

# Debian 12 (initramfs-tools): modules under lib/modules, uncompressed .ko
D="$T/debian"
K=lib/modules/6.1.0-13-amd64
mkdir -p "$D"/{bin,conf,etc,scripts/local-top,run,sys,proc} "$D/$K"
printf '#!/bin/sh\nexec /sbin/init\n' >"$D/init"
chmod 755 "$D/init"
printf 'MODULES=most\n' >"$D/conf/initramfs.conf"
placeholder "$D/bin/busybox"
ln -s busybox "$D/bin/sh"
for m in drivers/nvme/host/nvme.ko drivers/nvme/host/nvme-core.ko drivers/block/xen-blkfront.ko \
    drivers/net/ethernet/amazon/ena/ena.ko drivers/scsi/virtio_scsi.ko fs/ext4/ext4.ko; do
    placeholder "$D/$K/kernel/$m"
done
printf 'kernel/drivers/nvme/host/nvme.ko: kernel/drivers/nvme/host/nvme-core.ko\n' >"$D/$K/modules.dep"
mknod "$D/dev-console" c 5 1 2>/dev/null || true

# Fedora 39 (dracut): merged /usr, modules .ko.xz under usr/lib/modules, lib -> usr/lib
F="$T/dracut"
K=usr/lib/modules/6.5.6-300.fc39.x86_64
mkdir -p "$F"/{usr/bin,usr/lib/dracut,etc} "$F/$K"
ln -s usr/lib "$F/lib"
ln -s usr/bin "$F/bin"
placeholder "$F/usr/lib/systemd/systemd"
ln -s usr/lib/systemd/systemd "$F/init"
for m in drivers/nvme/host/nvme.ko.xz drivers/nvme/host/nvme-core.ko.xz drivers/xen/xen-blkback.ko.xz \
    drivers/block/xen-blkfront.ko.xz; do
    placeholder "$F/$K/kernel/$m"
done
printf 'fedora\n' >"$F/etc/initrd-release"

# SUSE (dracut): .ko.zst modules under lib/modules
S="$T/suse"
K=lib/modules/6.4.0-150600.23.7-default
mkdir -p "$S/$K"
for m in drivers/nvme/host/nvme.ko.zst drivers/nvme/host/nvme-core.ko.zst \
    drivers/net/ethernet/amazon/ena/ena.ko.zst; do
    placeholder "$S/$K/kernel/$m"
done

# early microcode: an uncompressed archive the kernel reads before the main one
M="$T/microcode"
mkdir -p "$M/kernel/x86/microcode"
head -c 3000 /dev/zero | tr '\0' 'i' >"$M/kernel/x86/microcode/GenuineIntel.bin"
head -c 1200 /dev/zero | tr '\0' 'a' >"$M/kernel/x86/microcode/AuthenticAMD.bin"

find "$T" -exec touch -h -d @1700000000 {} +

# archive TREE FORMAT OUT: cpio -o of a tree (names as initramfs-tools gives them: ./x)
archive() { (cd "$1" && find . | sort | cpio --quiet -o -H "$2" -R 0:0 >"$3"); }
# listing ARCHIVE OUT: cpio -itv's listing (the oracle)
listing() { cpio --quiet -itv --numeric-uid-gid <"$1" >"$2"; }

rm -f "$INI"/*
archive "$D" newc "$INI/debian.cpio"
archive "$D" crc "$INI/debian-crc.cpio"
archive "$D" odc "$INI/debian-odc.cpio"
archive "$F" newc "$WORK/dracut.cpio"
archive "$S" newc "$WORK/suse.cpio"
archive "$M" newc "$INI/microcode.cpio"
for name in debian debian-crc debian-odc microcode; do listing "$INI/$name.cpio" "$INI/$name.cpio.list"; done
listing "$WORK/dracut.cpio" "$INI/dracut.cpio.list"
listing "$WORK/suse.cpio" "$INI/suse.cpio.list"

gzip -9 -n -c "$INI/debian.cpio" >"$INI/debian.cpio.gz"
xz --check=crc32 -c "$INI/debian.cpio" >"$INI/debian.cpio.xz"
zstd -q -19 -c "$INI/debian.cpio" >"$INI/debian.cpio.zst"
lz4 -q -l -c "$INI/debian.cpio" >"$INI/debian.cpio.lz4"
bzip2 -9 -c "$INI/debian.cpio" >"$INI/debian.cpio.bz2"
xz --format=lzma -c "$INI/debian.cpio" >"$INI/debian.cpio.lzma"
zstd -q -c "$INI/debian-crc.cpio" >"$INI/debian-crc.cpio.zst"
# what dracut writes on Fedora: the early microcode archive, then the zstd main archive
cat "$INI/microcode.cpio" <(zstd -q -c "$WORK/dracut.cpio") >"$INI/fedora-early.img"
# SUSE: microcode, xz main archive; then a gzip archive after 4 bytes of zero padding
{
    cat "$INI/microcode.cpio"
    xz --check=crc32 -c "$WORK/suse.cpio"
    head -c 4 /dev/zero
    gzip -n -c "$WORK/suse.cpio"
} >"$INI/suse-multi.img"
# two uncompressed archives back to back, then lz4 legacy (which runs to the end)
cat "$INI/microcode.cpio" "$INI/debian.cpio" <(lz4 -q -l -c "$WORK/suse.cpio") >"$INI/mixed-lz4.img"
rm -f "$INI/debian-crc.cpio"
ls -l "$OUT"/*/
du -sh "$OUT"
