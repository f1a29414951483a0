#!/usr/bin/env bash
# Build the qcow2 and VDI fixtures of tests/fixtures/containers/ with qemu-img and qemu-io, and
# record what QEMU says of them and of the other containers (the readers' oracles).
#
# Run from the repository's root on Debian 12 (bookworm) with qemu-utils and xz-utils
# installed; the committed files were made with qemu-img and qemu-io 7.2.22.
# The source content is the committed GPT/UEFI disk (ESP with \EFI\BOOT\BOOTX64.EFI + ext4,
# tests/fixtures/disks/gpt-uefi.raw.xz, made by scripts/make-disk-fixtures.sh) and the
# 10 GiB-virtual big.raw.xz, unpacked first; nothing here changes tests/fixtures/disks/.
#
# For every image (the new ones and the VMDK, VHD and VHDX of tests/fixtures/disks/) the
# oracle/ directory gets, beside the packed image:
#   NAME.info.json  qemu-img info --output json (format, virtual size)
#   NAME.map.json   qemu-img map --output json (which ranges hold data)
#   NAME.sha256     the SHA-256 of qemu-img convert -O raw NAME (the whole virtual disk)
# A qcow2 overlay's oracles are made with its backing file beside it; its map marks the
# backing file's ranges with depth 1.
set -euo pipefail

OUT=${1:-tests/fixtures/containers}
DISKS=tests/fixtures/disks
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$OUT/oracle"

unpack() { PYTHONPATH=. python3 -c 'import sys, pathlib
from tests.support.diskfixtures import unpack
unpack(pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2]))' "$1" "$2"; }

unpack "$DISKS/gpt-uefi.raw.xz" "$WORK/gpt-uefi.raw"
unpack "$DISKS/big.raw.xz" "$WORK/big.raw"
raw="$WORK/gpt-uefi.raw"
size=$(stat -c %s "$raw")
io() { qemu-io -f "$1" "${@:3}" "$2" >/dev/null; }

# qcow2 version 2 (compat=0.10) and version 3 (compat=1.1), made with qemu-img create and
# filled with the disk (convert -n writes into the existing image)
qemu-img create -q -f qcow2 -o compat=0.10 "$WORK/gpt-uefi.v2.qcow2" "$size"
qemu-img convert -n -f raw -O qcow2 "$raw" "$WORK/gpt-uefi.v2.qcow2"
qemu-img create -q -f qcow2 -o compat=1.1 "$WORK/gpt-uefi.v3.qcow2" "$size"
qemu-img convert -n -f raw -O qcow2 "$raw" "$WORK/gpt-uefi.v3.qcow2"
# version 3 zero clusters, in the ext4 partition's free space (only its superblock is read):
# one written then zeroed (a zero cluster that keeps its host cluster), one zeroed unwritten
io qcow2 "$WORK/gpt-uefi.v3.qcow2" -c "write -P 0xaa 60M 128k" -c "write -z 60M 64k" \
    -c "write -z 61M 64k"

# compressed clusters: zlib (raw deflate) and zstd (compression_type=zstd, version 3)
qemu-img convert -f raw -O qcow2 -c "$raw" "$WORK/gpt-uefi.zlib.qcow2"
qemu-img convert -f raw -O qcow2 -c -o compression_type=zstd "$raw" "$WORK/gpt-uefi.zstd.qcow2"

# extended L2 entries (32 subclusters of 2 KiB per 64 KiB cluster), then writes of a few
# subclusters into clusters never written: only those subclusters are allocated
qemu-img convert -f raw -O qcow2 -o extended_l2=on "$raw" "$WORK/gpt-uefi.l2ext.qcow2"
io qcow2 "$WORK/gpt-uefi.l2ext.qcow2" -c "write -P 0xbb 62M 2k" -c "write -P 0xcc 62500k 6k"

# an overlay on the RAW disk (a backing file): its own writes only
cp "$raw" "$WORK/base.raw"
(cd "$WORK" && qemu-img create -q -f qcow2 -b base.raw -F raw gpt-uefi.overlay.qcow2)
io qcow2 "$WORK/gpt-uefi.overlay.qcow2" -c "write -P 0xdd 60M 64k"

# a 10 GiB-virtual qcow2 that is almost empty (the bytes-read and allocation tests)
qemu-img convert -f raw -O qcow2 "$WORK/big.raw" "$WORK/big.qcow2"

# VDI: dynamic (the default) and fixed (static=on)
qemu-img convert -f raw -O vdi "$raw" "$WORK/gpt-uefi.dynamic.vdi"
qemu-img convert -f raw -O vdi -o static=on "$raw" "$WORK/gpt-uefi.static.vdi"

# -- oracles ---------------------------------------------------------------------------------

oracle() {
    local file=$1 fmt=$2 name
    name=$(basename "$file")
    (cd "$(dirname "$file")" && qemu-img info -f "$fmt" --output json "$name") \
        | sed "s|$WORK/||g" >"$OUT/oracle/$name.info.json"
    (cd "$(dirname "$file")" && qemu-img map -f "$fmt" --output json "$name") \
        >"$OUT/oracle/$name.map.json"
    (cd "$(dirname "$file")" && qemu-img convert -f "$fmt" -O raw "$name" "$WORK/flat.raw")
    sha256sum "$WORK/flat.raw" | cut -d' ' -f1 >"$OUT/oracle/$name.sha256"
    rm -f "$WORK/flat.raw"
}

for file in "$WORK"/*.qcow2; do oracle "$file" qcow2; done
for file in "$WORK"/*.vdi; do oracle "$file" vdi; done
for name in gpt-uefi.stream.vmdk gpt-uefi.sparse.vmdk mbr-linux.stream.vmdk big.stream.vmdk; do
    unpack "$DISKS/$name.xz" "$WORK/$name"
    oracle "$WORK/$name" vmdk
done
for name in gpt-uefi.dynamic.vhd gpt-uefi.fixed.vhd mbr-linux.dynamic.vhd; do
    unpack "$DISKS/$name.xz" "$WORK/$name"
    oracle "$WORK/$name" vpc
done
for name in gpt-uefi.dynamic.vhdx gpt-uefi.fixed.vhdx mbr-linux.dynamic.vhdx; do
    unpack "$DISKS/$name.xz" "$WORK/$name"
    oracle "$WORK/$name" vhdx
done

# -- pack ------------------------------------------------------------------------------------

rm -f "$OUT"/*.xz "$OUT"/*.oracle.json
for file in "$WORK"/*.qcow2 "$WORK"/*.vdi; do
    python3 "$(dirname "$0")/pack_sparse.py" "$file" "$OUT/$(basename "$file").xz"
    # what qemu-img (info, check, compare with the RAW it was made from) says of it, in the
    # layout of the disk fixtures' records (scripts/record_oracles.py)
    python3 "$(dirname "$0")/record_oracles.py" "$file" "$OUT/$(basename "$file").oracle.json"
done
ls -l "$OUT"
du -ch "$OUT"/*.xz | tail -1
