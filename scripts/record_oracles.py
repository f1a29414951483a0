"""Record what independent tools say about a disk-image fixture, beside it, as JSON.

The readers of ``ec2_import_image.diskimage`` are tested against these records,
not against themselves (the emulator shares the readers, so agreeing with it
proves nothing).  For IMAGE, ``OUTPUT`` (``IMAGE.oracle.json``) holds:

- ``qemu_img_info``: ``qemu-img info --output json -f FORMAT`` (the format the
  recipe made: a fixed VHD is not probed as one), its virtual size and format;
- ``qemu_img_check``: ``qemu-img check --output json`` where qemu checks that
  format (VMDK, VHDX, QCOW2, VDI), with its exit status;
- ``qemu_img_compare``: ``qemu-img compare`` with the RAW disk the container was
  made from (status 0: the same disk, sector for sector; zeros past the shorter);
- for a RAW disk: ``sfdisk --json``; ``blkid -p -o export`` of the whole disk and,
  with ``-O``/``-S``, of each partition sfdisk lists; ``mdir -b`` of
  ``::/EFI/BOOT`` on each EFI system partition (mtools);
- for an OVA: the same qemu records for each disk member, read in place through
  qemu's ``raw`` driver with the member's offset and size (from ``tarfile``);
- ``cuts`` (``--cuts``): for copies of IMAGE cut to many lengths, whether qemu
  still reads the disk it was made from (``qemu-img compare`` status 0).

Paths are made relative to the image's folder, so the record does not name the
machine it was made on.  Usage (scripts/make-disk-fixtures.sh runs it):

    python3 scripts/record_oracles.py IMAGE OUTPUT [--cuts]
"""

from __future__ import annotations

import json
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path
from typing import Any

SECTOR = 512
ESP_TYPES = {"C12A7328-F81F-11D2-BA4B-00A0C93EC93B", "ef"}
_SUFFIX_FORMATS = {
    ".raw": "raw",
    ".vhd": "vpc",
    ".vhdx": "vhdx",
    ".vmdk": "vmdk",
    ".qcow2": "qcow2",
    ".vdi": "vdi",
}
#: how far before its end a file is cut every sector (its last grain and padding live there)
_FINE_CUTS = 72 * 1024
_COARSE_STEP = 8 * 1024


def run(*argv: str, cwd: Path) -> tuple[int, str, str]:
    done = subprocess.run(argv, cwd=cwd, capture_output=True, text=True, check=False)
    return done.returncode, done.stdout, done.stderr.strip()


def qemu_format(name: str) -> str | None:
    if name.endswith("-flat.vmdk"):
        return "raw"  # a monolithicFlat extent: the disk's bytes as they are
    return _SUFFIX_FORMATS.get(Path(name).suffix)


def json_or_none(text: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return None


def stable(value: Any) -> Any:
    """``value`` without what depends on the machine (the blocks a file takes on its disk)."""
    if isinstance(value, dict):
        return {key: stable(item) for key, item in value.items() if key != "actual-size"}
    if isinstance(value, list):
        return [stable(item) for item in value]
    return value


def qemu_records(target: str, fmt: str | None, base: str | None, cwd: Path) -> dict[str, Any]:
    """info, check and compare of ``target`` (a file name or a ``json:`` qemu filename)."""
    given = ["-f", fmt] if fmt is not None else []
    rc, out, err = run("qemu-img", "info", "--output", "json", *given, target, cwd=cwd)
    records: dict[str, Any] = {"qemu_img_info": stable(json_or_none(out)) if rc == 0 else None}
    if rc != 0:
        records["qemu_img_info_error"] = err
    rc, out, err = run("qemu-img", "check", "--output", "json", *given, target, cwd=cwd)
    records["qemu_img_check"] = {"status": rc, "result": json_or_none(out), "stderr": err}
    if base is not None:
        formats = ["-f", "raw"] + (["-F", fmt] if fmt is not None else [])
        rc, out, err = run("qemu-img", "compare", *formats, base, target, cwd=cwd)
        records["qemu_img_compare"] = {"with": base, "status": rc, "stdout": out.strip()}
    return records


def _tags(text: str) -> dict[str, str]:
    tags = dict(line.split("=", 1) for line in text.splitlines() if "=" in line)
    tags.pop("DEVNAME", None)
    return tags


def partition_records(image: str, cwd: Path) -> dict[str, Any]:
    rc, out, _ = run("sfdisk", "--json", image, cwd=cwd)
    table = json_or_none(out) if rc == 0 else None
    records: dict[str, Any] = {"sfdisk": table}
    rc, out, _ = run("blkid", "-p", "-o", "export", image, cwd=cwd)
    records["blkid"] = {"whole": _tags(out) if rc == 0 else {}}
    partitions = (table or {}).get("partitiontable", {}).get("partitions", [])
    for partition in partitions:
        number = partition["node"].removeprefix(image)
        start, size = partition["start"] * SECTOR, partition["size"] * SECTOR
        rc, out, _ = run(
            "blkid", "-p", "-O", str(start), "-S", str(size), "-o", "export", image, cwd=cwd
        )
        records["blkid"][number] = _tags(out) if rc == 0 else {}
        if str(partition["type"]).lower() in {t.lower() for t in ESP_TYPES}:
            rc, out, _ = run("mdir", "-b", "-i", f"{image}@@{start}", "::/EFI/BOOT", cwd=cwd)
            records.setdefault("esp_boot", {})[number] = {
                "status": rc,
                "names": [line.rsplit("/", 1)[-1] for line in out.splitlines() if line],
            }
    return records


def ova_records(image: str, cwd: Path) -> dict[str, Any]:
    members: dict[str, Any] = {}
    with tarfile.open(cwd / image) as archive:
        for member in archive.getmembers():
            if not member.name.endswith(".vmdk"):
                continue
            spec = {
                "driver": "vmdk",
                "file": {
                    "driver": "raw",
                    "offset": member.offset_data,
                    "size": member.size,
                    "file": {"driver": "file", "filename": image},
                },
            }
            members[member.name] = {
                "offset": member.offset_data,
                "size": member.size,
                **qemu_records("json:" + json.dumps(spec), None, None, cwd),
            }
    return {"members": members}


def cut_lengths(size: int) -> list[int]:
    """The issue's cut (60 %, rounded down to a sector), every sector of the file's end and
    the same lengths 200 bytes on, and coarser steps before."""
    lengths = {size * 60 // 100 // SECTOR * SECTOR}
    fine_start = max(SECTOR, size - _FINE_CUTS) // SECTOR * SECTOR
    lengths.update(range(4 * SECTOR, fine_start, _COARSE_STEP))
    for length in range(fine_start, size, SECTOR):
        lengths.update((length, length + 200))
    return sorted(length for length in lengths if 0 < length < size)


def cut_records(image: str, fmt: str, base: str, cwd: Path) -> dict[str, bool]:
    data = (cwd / image).read_bytes()
    found: dict[str, bool] = {}
    with tempfile.TemporaryDirectory(dir=cwd) as scratch:
        cut = Path(scratch) / "cut"
        for length in cut_lengths(len(data)):
            cut.write_bytes(data[:length])
            rc, _, _ = run(
                "qemu-img", "compare", "-q", "-f", "raw", "-F", fmt, base, str(cut), cwd=cwd
            )
            found[str(length)] = rc == 0
    return found


def tools(cwd: Path) -> dict[str, str]:
    versions = {}
    for tool in ("qemu-img", "sfdisk", "blkid", "mdir"):
        _, out, err = run(tool, "--version", cwd=cwd)
        versions[tool] = (out or err).splitlines()[0].strip() if (out or err) else ""
    return versions


def main(argv: list[str]) -> int:
    image_path, output = Path(argv[0]), Path(argv[1])
    cwd, image = image_path.parent, image_path.name
    stem = image.split(".", 1)[0]
    base = f"{stem}.raw" if (cwd / f"{stem}.raw").exists() and image != f"{stem}.raw" else None
    fmt = qemu_format(image)
    record: dict[str, Any] = {"image": image, "qemu_format": fmt, "tools": tools(cwd)}
    if image.endswith(".ova"):
        record.update(ova_records(image, cwd))
    else:
        record.update(qemu_records(image, fmt, base, cwd))
    if fmt == "raw" and not image.endswith(".vmdk"):
        record.update(partition_records(image, cwd))
    if "--cuts" in argv[2:] and base is not None and fmt is not None:
        record["cuts"] = cut_records(image, fmt, base, cwd)
    output.write_text(json.dumps(record, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
