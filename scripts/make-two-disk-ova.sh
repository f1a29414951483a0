#!/usr/bin/env bash
# Build the multi-disk OVA fixture of tests/fixtures/ova/ with real tools (qemu-img, tar).
#
# two-disk.ova: an OVF descriptor, a manifest and two stream-optimized VMDKs, the boot disk
# first in the descriptor's DiskSection (the GPT/ESP/ext4 fixture gpt-uefi.stream.vmdk of
# scripts/make-disk-fixtures.sh) and a 24 MiB data disk whose three written ranges hold
# text.  Beside it, what QEMU reads of each member (qemu-img convert -O raw, then
# sha256sum; qemu-img info): oracle/two-disk-N.vmdk.sha256 and .info.json, since CI has no
# qemu-img.  Made with qemu-img 7.2 and GNU tar 1.34; packed as its non-zero extents
# (scripts/pack_sparse.py), unpacked by tests/support/diskfixtures.py.
#
#   scripts/make-ova-fixtures.sh [OUT]    (OUT: tests/fixtures/ova)
set -euo pipefail

OUT=${1:-tests/fixtures/ova}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
MIB=$((1024 * 1024))
mkdir -p "$OUT/oracle" "$WORK/ova"

python3 - "$WORK/boot.vmdk" <<'PY'
import sys
from pathlib import Path
sys.path.insert(0, str(Path("tests").resolve().parent))
from tests.support.diskfixtures import FIXTURES, unpack
unpack(FIXTURES / "gpt-uefi.stream.vmdk.xz", Path(sys.argv[1]))
PY

# the data disk: 24 MiB, text at 0, 5 MiB and 17 MiB + 4 KiB, zeros elsewhere
truncate -s $((24 * MIB)) "$WORK/data.raw"
for at in 0 $((5 * MIB)) $((17 * MIB + 4096)); do
    { yes "data disk two of two.ova, written at $at" || true; } | head -c $((300 * 1024)) \
        | dd of="$WORK/data.raw" bs=4096 oflag=seek_bytes seek="$at" conv=notrunc status=none
done
qemu-img convert -f raw -O vmdk -o subformat=streamOptimized "$WORK/data.raw" "$WORK/data.vmdk"

cp "$WORK/boot.vmdk" "$WORK/ova/two-disk-1.vmdk"
cp "$WORK/data.vmdk" "$WORK/ova/two-disk-2.vmdk"
size1=$(stat -c %s "$WORK/ova/two-disk-1.vmdk")
size2=$(stat -c %s "$WORK/ova/two-disk-2.vmdk")
cat >"$WORK/ova/two-disk.ovf" <<OVF
<?xml version="1.0" encoding="UTF-8"?>
<Envelope xmlns="http://schemas.dmtf.org/ovf/envelope/1" xmlns:ovf="http://schemas.dmtf.org/ovf/envelope/1">
  <References>
    <File ovf:href="two-disk-1.vmdk" ovf:id="file1" ovf:size="$size1"/>
    <File ovf:href="two-disk-2.vmdk" ovf:id="file2" ovf:size="$size2"/>
  </References>
  <DiskSection>
    <Info>Virtual disk information</Info>
    <Disk ovf:capacity="64" ovf:capacityAllocationUnits="byte * 2^20" ovf:diskId="vmdisk1"
          ovf:fileRef="file1" ovf:format="http://www.vmware.com/interfaces/specifications/vmdk.html#streamOptimized"/>
    <Disk ovf:capacity="24" ovf:capacityAllocationUnits="byte * 2^20" ovf:diskId="vmdisk2"
          ovf:fileRef="file2" ovf:format="http://www.vmware.com/interfaces/specifications/vmdk.html#streamOptimized"/>
  </DiskSection>
  <VirtualSystem ovf:id="two-disk-vm"><Info>A fixture VM with a data disk</Info></VirtualSystem>
</Envelope>
OVF
(cd "$WORK/ova" && for f in two-disk.ovf two-disk-1.vmdk two-disk-2.vmdk; do
    printf 'SHA256(%s)= %s\n' "$f" "$(sha256sum "$f" | cut -d' ' -f1)"
done >two-disk.mf)
tar --format=ustar --owner=0 --group=0 --mtime=@1700000000 -C "$WORK/ova" \
    -cf "$WORK/two-disk.ova" two-disk.ovf two-disk.mf two-disk-1.vmdk two-disk-2.vmdk

for member in two-disk-1.vmdk two-disk-2.vmdk; do
    (cd "$WORK/ova" && qemu-img info -f vmdk --output json "$member") >"$OUT/oracle/$member.info.json"
    qemu-img convert -f vmdk -O raw "$WORK/ova/$member" "$WORK/flat.raw"
    sha256sum "$WORK/flat.raw" | cut -d' ' -f1 >"$OUT/oracle/$member.sha256"
    rm -f "$WORK/flat.raw"
done
python3 "$(dirname "$0")/pack_sparse.py" "$WORK/two-disk.ova" "$OUT/two-disk.ova.xz"
ls -l "$OUT" "$OUT/oracle"
