"""A DISK that is not a regular file is refused at once, exit 2, with what it is.

A named pipe used to hang ``vmimport check`` forever (opening it waits for a writer),
a directory failed late with exit 3 in ``check`` and as "--disks: no such file" in
``import``.  The commands run as processes, with a timeout, so that a hang fails the
test instead of stopping the suite.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from ec2_import_image.vmimport.errors import ExitStatus
from tests.support.diskfixtures import DiskFixtures

#: far longer than a refusal takes; a hang fails instead of stopping the suite
TIMEOUT = 60


def vmimport(*argv: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    environ = {
        **os.environ,
        "AWS_CONFIG_FILE": str(cwd / "no-config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(cwd / "no-credentials"),
        "AWS_DEFAULT_REGION": "us-east-1",
    }
    return subprocess.run(
        [sys.executable, "-m", "ec2_import_image.vmimport", *argv],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=environ,
        timeout=TIMEOUT,
        check=False,
    )


@pytest.fixture
def odd_paths(tmp_path: Path) -> dict[str, str]:
    fifo = tmp_path / "disk.fifo"
    os.mkfifo(fifo)
    folder = tmp_path / "disk.d"
    folder.mkdir()
    return {
        "a named pipe (FIFO)": str(fifo),
        "a directory": str(folder),
        "a character device": os.devnull,
    }


@pytest.mark.parametrize("kind", ["a named pipe (FIFO)", "a directory", "a character device"])
def test_check_refuses_what_is_not_a_file(
    tmp_path: Path, odd_paths: dict[str, str], kind: str
) -> None:
    path = odd_paths[kind]
    done = vmimport("check", path, cwd=tmp_path)
    assert done.returncode == ExitStatus.USAGE
    assert done.stderr.strip() == f"vmimport: error: {path} is {kind}, not a disk image file"
    assert done.stdout == ""


@pytest.mark.parametrize("kind", ["a named pipe (FIFO)", "a directory", "a character device"])
def test_import_refuses_what_is_not_a_file(
    tmp_path: Path, odd_paths: dict[str, str], kind: str
) -> None:
    path = odd_paths[kind]
    done = vmimport("import", path, "--bucket", "disks", cwd=tmp_path)
    assert done.returncode == ExitStatus.USAGE
    # named as given relative to where the command runs, then in full
    shown = os.path.relpath(path, tmp_path)
    assert f"DISK: {shown!r} is {kind}, not a disk image file ({path})" in done.stderr
    assert "--disks" not in done.stderr and "no such file" not in done.stderr


def test_a_manifest_disk_that_is_a_pipe(tmp_path: Path, odd_paths: dict[str, str]) -> None:
    manifest = tmp_path / "vms.yaml"
    fifo = odd_paths["a named pipe (FIFO)"]
    manifest.write_text(
        f"defaults: {{bucket: disks}}\nentries:\n  - name: vm-01\n    disks: [{fifo}]\n"
    )
    # a run needs the disk's bytes (--dry-run and --status need no disk: test_vmimport_batch)
    done = vmimport("batch", str(manifest), cwd=tmp_path)
    assert done.returncode == ExitStatus.USAGE
    assert "is a named pipe (FIFO), not a disk image file" in done.stderr


def test_a_regular_file_is_still_read(tmp_path: Path, disks: DiskFixtures) -> None:
    done = vmimport("check", str(disks.path("gpt-uefi.stream.vmdk")), cwd=tmp_path)
    assert done.returncode == ExitStatus.OK, done.stderr
