#!/usr/bin/env bash
# Build the two-disk OVA fixture tests/fixtures/disks/vm-two-disks.ova with real tools: the one
# OVA of several disks of the tests (the snapshot and direct roads', engine.volumes's).
#
# Run from the repository on Debian 12 (bookworm) with qemu-utils, gdisk, e2fsprogs, tar and
# xz-utils installed (the committed fixture: qemu-img 7.2.22, sgdisk 1.0.9, mke2fs 1.47.0,
# GNU tar 1.34).  The boot disk is the committed stream-optimized VMDK gpt-uefi.stream.vmdk
# (scripts/make-disk-fixtures.sh: GPT, an ESP with \EFI\BOOT\BOOTX64.EFI, ext4); the data
# disk is made here: a 24 MiB RAW disk with a GPT (sgdisk) and one ext4 partition (mke2fs,
# populated from a folder), converted to a stream-optimized VMDK by qemu-img.  The archive
# holds the data disk's member BEFORE the boot disk's, while the OVF's DiskSection lists the
# boot disk first: the disks' order is the descriptor's, never the archive's.
#
# Written beside the other fixtures: vm-two-disks.ova.xz (scripts/pack_sparse.py),
# vm-two-disks.ova.oracle.json (scripts/record_oracles.py: qemu-img info/check of each
# member read in place), and vm-two-disks.ova.raw.json: the size and SHA-256 of
# `qemu-img convert -O raw` of each member, the oracles of what an AMI's snapshots must
# read back as.
set -euo pipefail

OUT=${1:-tests/fixtures/disks}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
MIB=$((1024 * 1024))
scripts=$(dirname "$0")

python3 - "$OUT/gpt-uefi.stream.vmdk.xz" "$WORK/boot.vmdk" <<'PY'
import sys
sys.path.insert(0, ".")
from pathlib import Path
from tests.support.diskfixtures import unpack
unpack(Path(sys.argv[1]), Path(sys.argv[2]))
PY

# the data disk: GPT, one ext4 partition from 1 MiB, holding a few files
qemu-img create -q -f raw "$WORK/data.raw" 24M
sgdisk -q -n 1:2048:0 -t 1:8300 -c 1:data "$WORK/data.raw"
mkdir -p "$WORK/tree/srv"
printf 'data disk of the two-disk OVA fixture\n' >"$WORK/tree/srv/README"
seq 1 200000 >"$WORK/tree/srv/numbers.txt"  # 1.3 MiB, compresses well
mkfs.ext4 -q -F -L data -d "$WORK/tree" -E offset=$MIB "$WORK/data.raw" $((22 * 1024))
qemu-img convert -f raw -O vmdk -o subformat=streamOptimized "$WORK/data.raw" "$WORK/data.vmdk"

mkdir -p "$WORK/ova"
cp "$WORK/boot.vmdk" "$WORK/ova/vm-boot.vmdk"
cp "$WORK/data.vmdk" "$WORK/ova/vm-data.vmdk"
boot_size=$(stat -c %s "$WORK/ova/vm-boot.vmdk")
data_size=$(stat -c %s "$WORK/ova/vm-data.vmdk")
stream="http://www.vmware.com/interfaces/specifications/vmdk.html#streamOptimized"
cat >"$WORK/ova/vm.ovf" <<OVF
<?xml version="1.0" encoding="UTF-8"?>
<Envelope xmlns="http://schemas.dmtf.org/ovf/envelope/1" xmlns:ovf="http://schemas.dmtf.org/ovf/envelope/1">
  <References>
    <File ovf:href="vm-data.vmdk" ovf:id="file2" ovf:size="$data_size"/>
    <File ovf:href="vm-boot.vmdk" ovf:id="file1" ovf:size="$boot_size"/>
  </References>
  <DiskSection>
    <Info>Virtual disk information</Info>
    <Disk ovf:capacity="64" ovf:capacityAllocationUnits="byte * 2^20" ovf:diskId="vmdisk1"
          ovf:fileRef="file1" ovf:format="$stream"/>
    <Disk ovf:capacity="24" ovf:capacityAllocationUnits="byte * 2^20" ovf:diskId="vmdisk2"
          ovf:fileRef="file2" ovf:format="$stream"/>
  </DiskSection>
  <VirtualSystem ovf:id="fixture-two-disks"><Info>A fixture VM with two disks</Info></VirtualSystem>
</Envelope>
OVF
(cd "$WORK/ova" && for f in vm.ovf vm-data.vmdk vm-boot.vmdk; do
    printf 'SHA256(%s)= %s\n' "$f" "$(sha256sum "$f" | cut -d' ' -f1)"
done >vm.mf)
tar --format=ustar --owner=0 --group=0 --mtime=@1700000000 -C "$WORK/ova" \
    -cf "$WORK/vm-two-disks.ova" vm.ovf vm.mf vm-data.vmdk vm-boot.vmdk

python3 "$scripts/record_oracles.py" "$WORK/vm-two-disks.ova" "$OUT/vm-two-disks.ova.oracle.json"
raw_records=()
for member in vm-boot.vmdk vm-data.vmdk; do
    qemu-img convert -f vmdk -O raw "$WORK/ova/$member" "$WORK/$member.raw"
    digest=$(sha256sum "$WORK/$member.raw" | cut -d' ' -f1)
    raw_records+=("\"$member\": {\"sha256\": \"$digest\", \"size\": $(stat -c %s "$WORK/$member.raw")}")
done
(IFS=,; printf '{%s}\n' "${raw_records[*]}") >"$OUT/vm-two-disks.ova.raw.json"
python3 "$scripts/pack_sparse.py" "$WORK/vm-two-disks.ova" "$OUT/vm-two-disks.ova.xz"
ls -l "$OUT"/vm-two-disks.ova.*
