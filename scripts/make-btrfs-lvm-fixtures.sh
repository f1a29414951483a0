#!/usr/bin/env bash
# Build the Btrfs and LVM2 fixtures of tests/fixtures/btrfs-lvm/ with real tools and the
# kernel, then pack them (scripts/pack_sparse.py: non-zero extents, xz).
#
# Run as root on Debian 12 (bookworm) with a kernel that has btrfs and loop devices:
#   apt-get install btrfs-progs lvm2 util-linux e2fsprogs xz-utils
# The committed fixtures were made with btrfs-progs 6.2, the kernel 6.18's btrfs (mounted
# through loop devices: subvolumes, snapshots, compress=zstd/lzo/zlib, fallocate), LVM
# 2.03.16 and mke2fs 1.47.0.
#
# Btrfs: mkfs.btrfs 6.2 has --rootdir but neither --subvol nor --compress, so the
# subvolume and compression fixtures are made by mounting the image (mount -o loop works
# where this was run) and writing through the kernel; the checksum/profile variants are
# made by mkfs.btrfs --rootdir alone.  Every image gets a manifest made by walking the
# mounted file system (the kernel's view: path, type, size, SHA-256, link target), checked
# against the source trees given to the tools, and the tools' own records: `btrfs subvolume
# list`, `get-default`, blkid, and the EXTENT_DATA items of `btrfs inspect-internal
# dump-tree` (the extents' types and compression).
#
# LVM2: this kernel has no device-mapper, so LVM cannot activate anything; with
# `--config 'global { activation = 0 }'` pvcreate, vgcreate, lvcreate, lvextend, vgchange
# write their metadata to loop devices all the same.  The logical volumes' contents
# (ext4 images made by mkfs.ext4 -d) are written with dd where `lvs` says their extents
# are (seg_pe_ranges), and `pvs`/`vgs`/`lvs --reportformat json` and `pvck --dump
# metadata` are recorded beside the images.  Segment types lvcreate cannot make without
# device-mapper (thin pools, raid...) are written by vgcfgrestore from a metadata text laid
# out by LVM2's documented text format (see the lvm section below).
#
# Tests never run these tools: they read the committed files.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
OUT=${1:-$HERE/../tests/fixtures/btrfs-lvm}
WORK=$(mktemp -d)
TOOLS="python3 $HERE/btrfs_lvm_fixtures.py"
LOOPS=()
MOUNTS=()
LOOP=""

cleanup() {
    for mounted in "${MOUNTS[@]}"; do umount "$mounted" 2>/dev/null || true; done
    for device in "${LOOPS[@]}"; do losetup -d "$device" 2>/dev/null || true; done
    rm -rf "$WORK"
}
trap cleanup EXIT

# attach FILE: a loop device for FILE in $LOOP (remembered for the clean-up)
attach() {
    LOOP=$(losetup -f --show "$1")
    LOOPS+=("$LOOP")
}
# detach DEVICE: only a device this script attached
detach() {
    losetup -d "$1"
    local kept=() device
    for device in "${LOOPS[@]}"; do [[ $device == "$1" ]] || kept+=("$device"); done
    LOOPS=("${kept[@]+"${kept[@]}"}")
}
mount_at() { # mount_at DEVICE DIR OPTIONS
    mkdir -p "$2"
    mount -t btrfs -o "$3" "$1" "$2"
    MOUNTS+=("$2")
}
unmount() {
    umount "$1"
    local kept=() mounted
    for mounted in "${MOUNTS[@]}"; do [[ $mounted == "$1" ]] || kept+=("$mounted"); done
    MOUNTS=("${kept[@]+"${kept[@]}"}")
}
same_tree() { # same_tree A B: the two trees' manifests are equal, or the recipe fails
    $TOOLS manifest "$1" >"$WORK/a.json"
    $TOOLS manifest "$2" >"$WORK/b.json"
    cmp -s "$WORK/a.json" "$WORK/b.json" || { echo "kernel view differs: $1 $2" >&2; exit 1; }
}
# records IMAGE DEVICE NAME MOUNTPOINT: the manifest and the tools' records of a mounted image
records() {
    local name=$3 mnt=$4
    $TOOLS manifest "$mnt" --inodes >"$OUT/$name.manifest.json"
    btrfs subvolume list -p -u "$mnt" | $TOOLS subvolumes >"$OUT/$name.subvolumes.json"
    btrfs subvolume get-default "$mnt" >"$OUT/$name.default.txt"
}
extents() { # extents DEVICE NAME TREE_IDS...: dump-tree's EXTENT_DATA items per tree
    local device=$1 name=$2 tree dumps=()
    shift 2
    for tree in "$@"; do
        btrfs inspect-internal dump-tree -t "$tree" "$device" >"$WORK/dump-$tree.txt"
        dumps+=("$tree=$WORK/dump-$tree.txt")
    done
    $TOOLS extents "${dumps[@]}" >"$OUT/$name.extents.json"
}
blkid_of() { blkid -p -o export "$1" | grep -E '^(TYPE|UUID|LABEL)=' >"$OUT/$2.blkid.txt"; }

mkdir -p "$OUT"
rm -f "$OUT"/*

# -- btrfs: a Fedora-like disk: subvolumes root and home, compression, a snapshot ---------

UUID=5b3e5f0e-6d1c-4c1f-9a5e-0a7f3c2d1e01
image="$WORK/btrfs-fedora.raw"
truncate -s 400M "$image"
mkfs.btrfs -q -f -L fedora -U "$UUID" "$image" >/dev/null
$TOOLS tree fedora-root "$WORK/src/root" "$UUID"
$TOOLS tree fedora-home "$WORK/src/home"
attach "$image"
mnt="$WORK/mnt"
mount_at "$LOOP" "$mnt" compress=no
btrfs -q subvolume create "$mnt/root"
btrfs -q subvolume create "$mnt/home"
cp -a --sparse=always "$WORK/src/home/." "$mnt/home/"
cp -a --sparse=always "$WORK/src/root/." "$mnt/root/"
# Fedora's nested subvolume (systemd-nspawn's machines)
btrfs -q subvolume create "$mnt/root/var/lib/machines"
echo "inside a nested subvolume" >"$mnt/root/var/lib/machines/README"
mkdir -p "$WORK/src/root/var/lib/machines"
echo "inside a nested subvolume" >"$WORK/src/root/var/lib/machines/README"
# preallocated (unwritten) extents around a written one
prealloc=var/lib/prealloc.img
rm "$mnt/root/$prealloc"
fallocate -l "$(stat -c %s "$WORK/src/root/$prealloc")" "$mnt/root/$prealloc"
dd if="$WORK/src/root/$prealloc" of="$mnt/root/$prealloc" bs=4096 skip=16 seek=16 count=2 \
    conv=notrunc status=none
sync
# a read-only snapshot of root before the compressed files (the nested subvolume shows
# in it as an empty directory)
mkdir "$mnt/snapshots"
btrfs -q subvolume snapshot -r "$mnt/root" "$mnt/snapshots/root-1"
# compressed files: each written, then flushed, under its compress= option
compress_dir=usr/share/doc/compress
mkdir -p "$mnt/root/$compress_dir"
for algorithm in zstd lzo zlib; do
    mount -o "remount,compress=$algorithm" "$mnt"
    $TOOLS tree "$algorithm" "$WORK/src/root/$compress_dir"
    cp "$WORK/src/root/$compress_dir/$algorithm.log" "$WORK/src/root/$compress_dir/$algorithm-inline.txt" \
        "$mnt/root/$compress_dir/"
    sync
    # 4 KiB rewritten inside the first compressed extent: the extent is then referenced
    # twice, around the new block, with an offset into its decompressed bytes
    head -c 4096 /dev/urandom >"$WORK/patch"
    for copy in "$WORK/src/root" "$mnt/root"; do
        dd if="$WORK/patch" of="$copy/$compress_dir/$algorithm.log" bs=4096 seek=16 \
            conv=notrunc status=none
    done
    sync
done
# one file, two compressions: its first half zstd, its second half lzo
mixed="$WORK/src/root/$compress_dir/mixed.log"
half=$((160 * 1024))
{
    head -c "$half" "$WORK/src/root/$compress_dir/zlib.log"
    head -c "$half" "$WORK/src/root/$compress_dir/zstd.log"
} >"$mixed"
mount -o remount,compress=zstd "$mnt"
head -c "$half" "$mixed" >"$mnt/root/$compress_dir/mixed.log"
sync
mount -o remount,compress=lzo "$mnt"
tail -c +"$((half + 1))" "$mixed" >>"$mnt/root/$compress_dir/mixed.log"
sync
unmount "$mnt"
# the kernel's view, mounted afresh, against the source trees
mount_at "$LOOP" "$mnt" ro
same_tree "$WORK/src/root" "$mnt/root"
same_tree "$WORK/src/home" "$mnt/home"
records "$image" "$LOOP" btrfs-fedora "$mnt"
# the hash collision really shares one DIR_ITEM
collide_ino=$(stat -c %i "$mnt/root/usr/share/collide")
unmount "$mnt"
btrfs inspect-internal dump-tree -t 256 "$LOOP" | $TOOLS dir-items "$collide_ino" \
    | python3 -c 'import json,sys; assert any(len(g) == 2 for g in json.load(sys.stdin))'
extents "$LOOP" btrfs-fedora 5 256 257 258 259
blkid_of "$LOOP" btrfs-fedora
detach "$LOOP"

# -- btrfs: an openSUSE-like layout: @, @/home, @/.snapshots/1/snapshot as the default,
#    made without no-holes (explicit hole extents) -------------------------------------

UUID=7c1d2e3f-4a5b-4c6d-8e9f-0a1b2c3d4e02
image="$WORK/btrfs-opensuse.raw"
truncate -s 300M "$image"
mkfs.btrfs -q -f -L suse -U "$UUID" -O ^no-holes "$image" >/dev/null
$TOOLS tree opensuse "$WORK/src/suse" "$UUID"
attach "$image"
mount_at "$LOOP" "$mnt" compress=no
btrfs -q subvolume create "$mnt/@"
btrfs -q subvolume create "$mnt/@/home"
btrfs -q subvolume create "$mnt/@/.snapshots"
mkdir "$mnt/@/.snapshots/1"
btrfs -q subvolume create "$mnt/@/.snapshots/1/snapshot"
cp -a --sparse=always "$WORK/src/suse/." "$mnt/@/.snapshots/1/snapshot/"
echo "<snapshot><num>1</num></snapshot>" >"$mnt/@/.snapshots/1/info.xml"
mkdir "$mnt/@/home/user"
echo "openSUSE home" >"$mnt/@/home/user/README"
btrfs subvolume set-default "$mnt/@/.snapshots/1/snapshot"
sync
unmount "$mnt"
mount_at "$LOOP" "$mnt" ro,subvolid=5
same_tree "$WORK/src/suse" "$mnt/@/.snapshots/1/snapshot"
records "$image" "$LOOP" btrfs-opensuse "$mnt"
unmount "$mnt"
extents "$LOOP" btrfs-opensuse 5 256 257 258 259
blkid_of "$LOOP" btrfs-opensuse
detach "$LOOP"

# -- btrfs: mkfs.btrfs --rootdir alone: other checksums, node sizes, profiles -------------

UUID=9e8d7c6b-5a49-4382-9170-a1b2c3d4e503
$TOOLS tree small "$WORK/src/small" "$UUID"
$TOOLS manifest "$WORK/src/small" >"$OUT/btrfs-small.manifest.json"
# xxhash64 checksums, 4 KiB nodes (deeper trees), no no-holes, single metadata
# sha256 checksums, mixed data and metadata block groups
# blake2b checksums, DUP data
for variant in "xxhash:-n 4096 -O ^no-holes -m single" "sha256:-M" "blake2:-d dup" \
    "crc32c:-n 65536"; do
    csum=${variant%%:*}
    options=${variant#*:}
    image="$WORK/btrfs-small-$csum.raw"
    truncate -s 256M "$image"
    # shellcheck disable=SC2086
    mkfs.btrfs -q -f -L "small-$csum" -U "$UUID" --csum "$csum" $options \
        --rootdir "$WORK/src/small" "$image" >/dev/null
    attach "$image"
    extents "$LOOP" "btrfs-small-$csum" 5
    blkid_of "$LOOP" "btrfs-small-$csum"
    detach "$LOOP"
done

# -- btrfs: one device of a two-device RAID1 (refused: it spans 2 devices) ---------------

truncate -s 200M "$WORK/btrfs-raid1-a.raw" "$WORK/btrfs-raid1-b.raw"
mkfs.btrfs -q -f -U 1f2e3d4c-5b6a-4798-8a9b-0c1d2e3f4a04 -d raid1 -m raid1 \
    "$WORK/btrfs-raid1-a.raw" "$WORK/btrfs-raid1-b.raw" >/dev/null
rm "$WORK/btrfs-raid1-b.raw"

# -- btrfs: the bench's disk: a 40 MiB file per compression (bench/fsread_btrfs.py) ------

image="$WORK/btrfs-bench.raw"
truncate -s 512M "$image"
mkfs.btrfs -q -f -L bench -U 2a3b4c5d-6e7f-4081-9223-a4b5c6d7e805 "$image" >/dev/null
$TOOLS tree bench "$WORK/src/bench"
attach "$image"
mount_at "$LOOP" "$mnt" compress=no
for algorithm in zstd lzo zlib; do
    mount -o "remount,compress=$algorithm" "$mnt"
    cp "$WORK/src/bench/big.bin" "$mnt/$algorithm.bin"
    sync
done
unmount "$mnt"
sha256sum "$WORK/src/bench/big.bin" | cut -d' ' -f1 >"$OUT/btrfs-bench.sha256"
detach "$LOOP"

# -- LVM2: activation off (no device-mapper here), backups off, only our loop devices --------

export LVM_SUPPRESS_FD_WARNINGS=1
LVM_CONFIG='global { activation = 0 } backup { backup = 0 archive = 0 }'
lvm_() { # lvm_ COMMAND ARGS...: an LVM command on the devices in DEVICES only, quiet unless it fails
    local devices=() device
    for device in "${DEVICES[@]}"; do devices+=(--devices "$device"); done
    "$1" --config "$LVM_CONFIG" "${devices[@]}" "${@:2}" >"$WORK/lvm.log" 2>&1 \
        || { cat "$WORK/lvm.log" >&2; exit 1; }
}
report() { # report COMMAND NAME FIELDS...: the tool's own JSON view, devices named by fixture
    local devices=() device
    for device in "${DEVICES[@]}"; do devices+=(--devices "$device"); done
    "$1" --config "$LVM_CONFIG" "${devices[@]}" --reportformat json --units b --nosuffix \
        "${@:3}" 2>/dev/null | sed "${RENAME[@]}" >"$OUT/$2"
}
place() { # place VG/LV FILE: FILE written where the LV's segments are, by lvs's own account
    local device skip seek count devices=() d
    for d in "${DEVICES[@]}"; do devices+=(--devices "$d"); done
    lvs --config "$LVM_CONFIG" "${devices[@]}" --segments --reportformat json --units b --nosuffix \
        -o vg_name,lv_name,seg_start_pe,seg_size_pe,seg_pe_ranges,vg_extent_size 2>/dev/null \
        >"$WORK/segments.json"
    pvs --config "$LVM_CONFIG" "${devices[@]}" --reportformat json --units b --nosuffix \
        -o pv_name,pe_start 2>/dev/null >"$WORK/pvs.json"
    $TOOLS lvm-place "$WORK/segments.json" "$WORK/pvs.json" "$1" | while read -r device skip seek count; do
        dd if="$2" of="$device" bs=1M iflag=skip_bytes,count_bytes oflag=seek_bytes \
            skip="$skip" seek="$seek" count="$count" conv=notrunc status=none
    done
}
records_lvm() { # records_lvm NAME: pvs, vgs, lvs as the tools report them
    report pvs "$1.pvs.json" -o pv_name,pv_uuid,dev_size,pv_size,pe_start,pv_pe_count,vg_name,pv_mda_count
    report vgs "$1.vgs.json" -o vg_name,vg_uuid,vg_seqno,vg_extent_size,vg_extent_count,pv_count,lv_count
    report lvs "$1.lvs.json" -a --segments -o \
        lv_name,vg_name,lv_uuid,lv_size,lv_attr,segtype,stripes,seg_start_pe,seg_size_pe,seg_pe_ranges,devices
}
checksums=()
checksum() { checksums+=("\"$1\": \"$(sha256sum "$2" | cut -d' ' -f1)\""); }

# A RHEL-like PV: VG rhel with root (ext4), swap, and home in two non-contiguous segments;
# a small metadata area (16 KiB asked, 60 KiB given), updated until its text wraps around
image="$WORK/lvm-rhel.raw"
truncate -s 64M "$image"
attach "$image"
DEVICES=("$LOOP")
RENAME=(-e "s#$LOOP#lvm-rhel.raw#g")
lvm_ pvcreate -ff -y --metadatasize 16k --dataalignment 64k "$LOOP"
lvm_ vgcreate -s 1m rhel "$LOOP"
lvm_ lvcreate -an -Zn -L 12m -n root rhel
lvm_ lvcreate -an -Zn -L 4m -n swap rhel
lvm_ lvcreate -an -Zn -L 4m -n home rhel
lvm_ lvcreate -an -Zn -L 2m -n tmp rhel
lvm_ lvextend -L +4m rhel/home
$TOOLS tree rhel-root "$WORK/src/rhel-root"
$TOOLS tree rhel-home "$WORK/src/rhel-home"
mkfs.ext4 -q -F -L root -U 3c4d5e6f-7a8b-4c9d-8e0f-1a2b3c4d5e06 -d "$WORK/src/rhel-root" \
    "$WORK/root.ext4" 12M
mkfs.ext4 -q -F -L home -d "$WORK/src/rhel-home" "$WORK/home.ext4" 8M
truncate -s 4M "$WORK/swap.img"
mkswap -q -L swap "$WORK/swap.img"
place rhel/root "$WORK/root.ext4"
place rhel/home "$WORK/home.ext4"
place rhel/swap "$WORK/swap.img"
checksum rhel/root "$WORK/root.ext4"
checksum rhel/home "$WORK/home.ext4"
checksum rhel/swap "$WORK/swap.img"
wrapped() { # the committed text runs past the metadata area's end
    pvck --dump headers "$LOOP" 2>/dev/null | awk '
        /mda_header_1.size/ { size = $2 }
        /mda_header_1.raw_locn\[0\].offset/ { offset = $2 }
        /mda_header_1.raw_locn\[0\].size/ { used = $2 }
        END { exit !(offset + used > size) }'
}
tag=0
until wrapped; do
    tag=$((tag + 1))
    [[ $tag -le 400 ]] || { echo "the LVM metadata never wrapped" >&2; exit 1; }
    lvm_ vgchange --addtag "update$tag" rhel
done
records_lvm lvm-rhel
pvck --dump headers "$LOOP" 2>/dev/null | sed "${RENAME[@]}" >"$OUT/lvm-rhel.headers.txt"
rm -f "$OUT/lvm-rhel.metadata.txt"
pvck --dump metadata -f "$OUT/lvm-rhel.metadata.txt" "$LOOP" >/dev/null 2>&1
detach "$LOOP"

# A VG over two PVs: "big" runs from the first onto the second; the first PV has two
# metadata areas (start and end), the second none (and its label in sector 3).  Refused kinds: striped over both, and
# a thin pool, a thin volume and a RAID1 volume (hand-written, restored by vgcfgrestore)
truncate -s 48M "$WORK/lvm-span-a.raw" "$WORK/lvm-span-b.raw"
attach "$WORK/lvm-span-a.raw"
pv_a=$LOOP
attach "$WORK/lvm-span-b.raw"
pv_b=$LOOP
DEVICES=("$pv_a" "$pv_b")
RENAME=(-e "s#$pv_a#lvm-span-a.raw#g" -e "s#$pv_b#lvm-span-b.raw#g")
lvm_ pvcreate -ff -y --pvmetadatacopies 2 "$pv_a"
lvm_ pvcreate -ff -y --pvmetadatacopies 0 --labelsector 3 "$pv_b"
lvm_ vgcreate -s 1m data "$pv_a" "$pv_b"
lvm_ lvcreate -an -Zn -i 2 -L 4m -n striped data
lvm_ lvcreate -an -Zn -L 60m -n big data
# placeholders for the hidden parts (lvcreate reserves their real names; lvm-edit renames)
for placeholder in tmeta:1 tdata:8 rmeta0:1 rimage0:2 rmeta1:1 rimage1:2; do
    lvm_ lvcreate -an -Zn -l "${placeholder#*:}" -n "${placeholder%%:*}" data
done
lvm_ vgcfgbackup -f "$WORK/data.vg" data
$TOOLS lvm-edit "$WORK/data.vg" "$WORK/data-edited.vg"
lvm_ vgcfgrestore --force -f "$WORK/data-edited.vg" data
# each 1 MiB extent named at its start and its end (zeros between: the fixture stays small)
python3 -c 'import sys
out = open(sys.argv[1], "wb")
for n in range(60):
    mark = "".join(f"extent {n:3d} line {i:3d} of the logical volume big\n" for i in range(100))
    mark = mark.encode()[:4096]
    out.write(mark + bytes(1024 * 1024 - 2 * len(mark)) + mark)' "$WORK/big.bin"
place data/big "$WORK/big.bin"
checksum data/big "$WORK/big.bin"
records_lvm lvm-span
rm -f "$OUT/lvm-span-a.metadata.txt"
pvck --dump metadata -f "$OUT/lvm-span-a.metadata.txt" "$pv_a" >/dev/null 2>&1
detach "$pv_b"
detach "$pv_a"
(IFS=,; echo "{${checksums[*]}}") | python3 -c 'import json,sys; json.dump(json.load(sys.stdin), sys.stdout, indent=1, sort_keys=True)' >"$OUT/lvm.contents.json"

# -- LZO: lzop's containers of LZO1X-1 and LZO1X-999 blocks (tests/fsread/test_lzo.py) ------

$TOOLS tree lzo-sample "$WORK/lzo"
lzop -1 -o "$OUT/lzo-sample.1.lzo" "$WORK/lzo/sample.bin"
lzop -9 -o "$OUT/lzo-sample.9.lzo" "$WORK/lzo/sample.bin"
sha256sum "$WORK/lzo/sample.bin" | cut -d' ' -f1 >"$OUT/lzo-sample.sha256"

# -- pack ------------------------------------------------------------------------------------

for file in "$WORK"/*.raw; do
    python3 "$HERE/pack_sparse.py" "$file" "$OUT/$(basename "$file").xz"
done
ls -l "$OUT"
du -ch "$OUT"/*.xz | tail -1
