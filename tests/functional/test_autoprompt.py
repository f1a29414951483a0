"""``--cli-auto-prompt`` driven in a pseudo-terminal against a loopback endpoint."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pexpect
import pytest

from ec2_import_image.dropin.completion.autoprompt import CommandCompleter, initial_text
from ec2_import_image.dropin.completion.promptdocs import doc_text
from tests.support.ec2stub import Stub
from tests.support.runner import base_env, run_main

RESPONSES = Path(__file__).resolve().parent.parent / "golden" / "cases" / "responses"
F3 = "\x1bOR"
TAB = "\t"
ENTER = "\r"


@pytest.fixture
def stub() -> Iterator[Stub]:
    body = (RESPONSES / "ImportImage.xml").read_bytes()
    with Stub({"ImportImage": [{"status": 200, "body": body}]}) as running:
        yield running


def env_for(tmp_path: Path, **extra: str) -> dict[str, str]:
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        **base_env(tmp_path),
        "TERM": "xterm",
        # the pseudo-terminal does not answer cursor position requests
        "PROMPT_TOOLKIT_NO_CPR": "1",
        **extra,
    }


def spawn(argv: list[str], env: dict[str, str]) -> pexpect.spawn[str]:
    return pexpect.spawn(
        sys.executable,
        ["-m", "ec2_import_image", *argv],
        env=env,
        encoding="utf-8",
        dimensions=(40, 160),
        timeout=30,
    )


def take(child: pexpect.spawn[str], shown: str) -> None:
    """Wait for ``shown`` in the menu, highlight the first candidate, take it."""
    child.expect_exact(shown)
    child.send(TAB)
    time.sleep(0.3)
    child.send(ENTER)
    time.sleep(0.3)


def test_prompt_completes_and_runs_the_command(tmp_path: Path, stub: Stub) -> None:
    child = spawn(["--endpoint-url", stub.endpoint, "--cli-auto-prompt"], env_for(tmp_path))
    try:
        child.expect_exact("Amazon Elastic Compute Cloud")  # the menu opens at once
        child.send("ec2 imp")
        take(child, "import-image")
        child.send(" --desc")
        # the menu shows each option's type and documentation
        take(child, "[string] A description string for the import image task.")
        child.send(" my-vm --boot")
        take(child, "--boot-mode")
        child.send(" ue")
        take(child, "uefi-preferred")
        child.send(" --disk-containers Format=vm")
        take(child, "Format=VMDK")
        child.send(",UserBucket={S3Bucket=my-bucket,S3Key=disk.vmdk}")
        time.sleep(0.5)
        child.send(ENTER)
        child.expect_exact(
            f"> aws --endpoint-url {stub.endpoint} ec2 import-image --description my-vm "
            "--boot-mode uefi --disk-containers "
            "Format=VMDK,UserBucket={S3Bucket=my-bucket,S3Key=disk.vmdk}"
        )
        child.expect_exact('"ImportTaskId": "import-ami-1234567890abcdef0"')
        child.expect(pexpect.EOF)
    finally:
        child.close(force=True)
    assert child.exitstatus == 0
    assert [r.form for r in stub.requests] == [
        [
            ("Action", "ImportImage"),
            ("Version", "2016-11-15"),
            ("Description", "my-vm"),
            ("DiskContainer.1.Format", "VMDK"),
            ("DiskContainer.1.UserBucket.S3Bucket", "my-bucket"),
            ("DiskContainer.1.UserBucket.S3Key", "disk.vmdk"),
            ("BootMode", "uefi"),
        ]
    ]


def test_doc_panel_documents_the_option_being_typed(tmp_path: Path) -> None:
    child = spawn(["ec2", "import-image", "--cli-auto-prompt"], env_for(tmp_path))
    try:
        child.expect_exact("--architecture")  # "import-image" is done: its options are offered
        child.send(F3)
        child.expect_exact("Doc panel")
        child.expect_exact("Import single or multi-volume disk images")
        child.send(F3)  # hidden again; the terminal redraws only what changes, so show it anew
        child.send("--boot-mode ")
        child.expect_exact("uefi-preferred")
        child.send(F3)
        child.expect_exact("boot mode isn't supported")
        child.send("\x03")
        child.expect(pexpect.EOF)
    finally:
        child.close(force=True)
    assert child.exitstatus == 130


def test_ctrl_c_abandons_the_prompt(tmp_path: Path, stub: Stub) -> None:
    child = spawn(["--endpoint-url", stub.endpoint, "ec2", "--cli-auto-prompt"], env_for(tmp_path))
    try:
        child.expect_exact("import-image")  # "ec2" is done: the operations are offered
        child.send("desc")
        child.expect_exact("describe-import-image-tasks")
        child.send("\x03")
        child.expect_exact(f"> aws --endpoint-url {stub.endpoint} ec2 desc")
        child.expect(pexpect.EOF)
    finally:
        child.close(force=True)
    assert child.exitstatus == 130
    assert stub.requests == []


def test_on_partial_prompts_after_a_parameter_error(tmp_path: Path) -> None:
    env = env_for(tmp_path, AWS_CLI_AUTO_PROMPT="on-partial")
    child = spawn(["ec2", "import-imag"], env)
    try:
        child.expect_exact("import-image")
        child.send("\x03")
        child.expect(pexpect.EOF)
        output = str(child.before)
    finally:
        child.close(force=True)
    assert child.exitstatus == 130
    assert "Found invalid choice" not in output


def test_without_a_terminal_v2s_warning_and_255() -> None:
    environ = {"HOME": "/nonexistent", "AWS_CONFIG_FILE": "/nonexistent"}
    rc, out, err = run_main(["ec2", "import-image", "--cli-auto-prompt"], environ)
    assert rc == 255
    assert err == "Warning: Input is not a terminal (fd=0).\n\naws: [ERROR]:\n"
    assert out == ""


def test_initial_text_and_candidates() -> None:
    completer = CommandCompleter("aws", {"HOME": "/nonexistent"})
    assert initial_text([], completer) == ""
    assert initial_text(["ec2"], completer) == "ec2 "  # done: it only completes to itself
    assert initial_text(["ec2", "imp"], completer) == "ec2 imp"
    assert initial_text(["ec2", "import-image", "--cli-auto-prompt"], completer) == (
        "ec2 import-image "
    )
    assert initial_text(["--description", "my vm"], completer) == "--description 'my vm' "
    offered = [c.value for c in completer.candidates("ec2 import-image --")]
    assert "--cli-auto-prompt" not in offered
    assert "--no-cli-auto-prompt" not in offered
    assert "--architecture" in offered


def test_doc_text() -> None:
    assert doc_text("", "aws").startswith("ec2 commands:")
    assert "Import single or multi-volume" in doc_text("ec2 import-image ", "aws")
    boot = doc_text("ec2 import-image --boot-mode ", "aws")
    assert boot.startswith("--boot-mode (string)")
    assert "uefi-preferred" in boot
    assert doc_text("ec2 import-image --no-dry", "aws").startswith("--dry-run | --no-dry-run")
    assert doc_text("ec2 import-image --cli-input-yaml ", "aws").startswith(
        "--cli-input-json | --cli-input-yaml"
    )
    assert doc_text("--outp", "aws").startswith("--output (string)")
    assert doc_text("--boot-mode ", "ec2-import-image").startswith("--boot-mode (string)")
