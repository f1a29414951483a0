"""Messages and exit statuses a script can rely on: one error format, internal errors apart,
no message contradicting the one before it, YAML errors located."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from ec2_import_image.vmimport.engine.entry import EntryWork
from ec2_import_image.vmimport.errors import ExitStatus
from ec2_import_image.vmimport.manifest import ManifestError, load_manifest
from ec2_import_image.yamlload import YamlError, safe_load
from tests.support.vmimport_run import vmimport

#: a port nothing listens on: a command that reached AWS would fail with exit 3
DEAD = "http://127.0.0.1:9"


@pytest.mark.parametrize(
    ("argv", "command", "message"),
    [
        (["--bogus"], "vmimport", "no such option '--bogus'"),
        (["nope"], "vmimport", "no such command 'nope'"),
        (["import"], "vmimport import", "missing argument 'DISK...'"),
        (
            ["import", "d.raw", "--architecture", "sparc"],
            "vmimport import",
            "invalid value for '--architecture': 'sparc' is not one of 'i386', 'x86_64', 'arm64'",
        ),
        (
            ["import", "d.raw", "--bucket"],
            "vmimport import",
            "option '--bucket' requires an argument",
        ),
        (["--region", "eu-west-1", "batch"], "vmimport batch", "missing argument 'MANIFEST'"),
        (["setup-role"], "vmimport setup-role", "missing option '--bucket'"),
        (
            ["check", "d.raw", "--boot-mode", "bios"],
            "vmimport check",
            "invalid value for '--boot-mode'",
        ),
        (["explain", "--message"], "vmimport explain", "option '--message' requires an argument"),
    ],
)
def test_every_usage_error_is_one_line_in_the_documented_format(
    argv: list[str], command: str, message: str
) -> None:
    outcome = vmimport(DEAD, *argv)
    assert outcome.status == ExitStatus.USAGE
    assert outcome.stdout == ""
    (line,) = outcome.stderr.splitlines()
    assert line.startswith(f"vmimport: error: {message}")
    assert line.endswith(f" (see '{command} --help')")
    assert "Error:" not in outcome.stderr and "Usage:" not in outcome.stderr


def test_a_bad_name_is_not_followed_by_required_and_the_rule_says_ascii(tmp_path: Path) -> None:
    disk = tmp_path / "disk.raw"
    disk.write_bytes(bytes(4096))
    outcome = vmimport(DEAD, "import", str(disk), "--name", "wéb", "--bucket", "b")
    assert outcome.status == ExitStatus.USAGE
    assert outcome.stderr == (
        "vmimport: error: --name: 'wéb' is not a usable name: ASCII letters, digits, '.', '_' "
        "and '-', starting with a letter or digit, at most 128 characters\n"
    )
    unnamed = tmp_path / "dïsk.raw"
    unnamed.write_bytes(bytes(4096))
    default = vmimport(DEAD, "import", str(unnamed), "--bucket", "b")
    assert default.status == ExitStatus.USAGE
    assert "(ASCII letters, digits" in default.stderr and default.stderr.endswith("give --name\n")


def test_a_missing_bucket_names_where_it_can_be_given_without_contradiction(
    tmp_path: Path,
) -> None:
    disk = tmp_path / "disk.raw"
    disk.write_bytes(bytes(4096))
    outcome = vmimport(DEAD, "import", str(disk))
    assert outcome.status == ExitStatus.USAGE
    assert outcome.stderr == "vmimport: error: --bucket: required to upload local disks\n"
    manifest = tmp_path / "vms.yaml"
    manifest.write_text("entries:\n  - name: wéb\n    disks: [disk.raw]\n")
    with pytest.raises(ManifestError) as refused:
        load_manifest(manifest)
    assert [str(problem) for problem in refused.value.problems] == [
        "entries[0] (wéb): name: 'wéb' is not a usable name: ASCII letters, digits, '.', '_' "
        "and '-', starting with a letter or digit, at most 128 characters",
        "entries[0] (wéb): bucket: required to upload local disks (in the entry, its "
        "defaults, or --bucket)",
    ]


@pytest.mark.parametrize(
    ("text", "located"),
    [
        (
            "entries:\n  - name: a\n    disks: [x\n  - name: b\n",
            "line 4, column 9: expected ',' or ']', but got ':' (while parsing a flow sequence "
            "at line 3, column 12)",
        ),
        (
            "entries:\n\t- name: a\n",
            "line 2, column 1: found character '\\t' that cannot start any token (while "
            "scanning for the next token)",
        ),
        (
            "entries:\n  - name: a\n    name: b\n",
            'line 3, column 5: found duplicate key "name" with value "b" (original value: "a") '
            "(while constructing a mapping at line 2, column 5)",
        ),
    ],
)
def test_a_yaml_manifest_error_gives_its_line_and_column(
    tmp_path: Path, text: str, located: str
) -> None:
    manifest = tmp_path / "vms.yaml"
    manifest.write_text(text)
    outcome = vmimport(DEAD, "batch", str(manifest))
    assert outcome.status == ExitStatus.USAGE
    assert outcome.stderr.splitlines()[1:] == [f"  {manifest}: not valid YAML: {located}"]


def test_a_yaml_error_keeps_the_parsers_first_line_for_the_drop_in() -> None:
    with pytest.raises(YamlError) as refused:
        safe_load("a: [b\n", 100)
    assert str(refused.value) == "while parsing a flow sequence"
    assert (refused.value.line, refused.value.column) == (2, 1)


def _crash(self: EntryWork) -> None:
    raise KeyError("ImportTaskId")


def test_an_internal_error_of_import_exits_4_and_is_recorded_as_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(EntryWork, "prepare", _crash)
    disk = tmp_path / "disk.raw"
    disk.write_bytes(bytes(4096))
    state = tmp_path / "state.sqlite"
    argv = ["import", str(disk), "--bucket", "b", "--state", str(state)]
    outcome = vmimport(DEAD, *argv)
    assert outcome.status == ExitStatus.INTERNAL
    assert outcome.stderr.startswith("vmimport: error: internal error of vmimport ")
    assert "KeyError: 'ImportTaskId'" in outcome.stderr and "Traceback" not in outcome.stderr
    with sqlite3.connect(state) as conn:
        (code,) = conn.execute("SELECT error_code FROM entries").fetchone()
    assert code == "internal-error"
    debug = vmimport(DEAD, "--debug", *argv)
    assert debug.status == ExitStatus.INTERNAL
    assert "Traceback (most recent call last)" in debug.stderr


def test_an_internal_error_in_a_batch_entry_exits_4_with_its_own_error_code(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(EntryWork, "prepare", _crash)
    (tmp_path / "disk.raw").write_bytes(bytes(4096))
    manifest = tmp_path / "vms.yaml"
    manifest.write_text("entries:\n  - name: web\n    disks: [disk.raw]\n    bucket: b\n")
    outcome = vmimport(DEAD, "batch", str(manifest))
    assert outcome.status == ExitStatus.INTERNAL, outcome.stderr
    assert "1 met an internal error of vmimport" in outcome.stderr
    (row,) = json.loads((tmp_path / "vms.yaml.results.json").read_text())["entries"]
    assert (row["status"], row["error_code"]) == ("pending", "internal-error")
    assert row["message"] == "internal error: KeyError: 'ImportTaskId'"


def test_the_statuses_are_the_documented_numbers() -> None:
    documented = {"OK": 0, "PROBLEMS": 1, "USAGE": 2, "INCOMPLETE": 3, "INTERNAL": 4}
    assert {name: int(ExitStatus[name]) for name in documented} == documented


def _help(*argv: str) -> str:
    outcome = vmimport(DEAD, *argv, "--help")
    assert outcome.status == ExitStatus.OK
    return " ".join(outcome.stdout.split())


def test_import_help_gives_the_exit_statuses_and_the_state_files_default_path() -> None:
    text = _help("import")
    assert "${XDG_STATE_HOME:-~/.local/state}/vmimport/state.sqlite" in text
    assert "Exit status: 0 the AMI exists" in text
    for status in ("1 the checks found errors", "2 usage error", "3 the work could not", "4 an"):
        assert status in text
    assert "i386 or x86_64, what ImportImage imports (arm64 is taken" in text


def test_batch_help_gives_the_manifests_keys_the_state_file_and_the_exit_statuses() -> None:
    from ec2_import_image.vmimport.manifest import KEYS

    text = _help("batch")
    assert f"The keys of an entry: {', '.join(KEYS)}." in text
    assert "(default: MANIFEST.state.sqlite beside the manifest)" in text
    assert "Exit status: 0 every entry has an AMI; 1 some entries failed" in text
    assert "4 an internal error of vmimport" in text
    assert "i386 or x86_64." not in text
