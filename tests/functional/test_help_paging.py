"""Help on a terminal goes through the pager with bold and underline; in a pipe it is plain text."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pexpect
import pytest

from ec2_import_image.dropin.helpdocs.pages import operation_page
from ec2_import_image.dropin.helpdocs.paging import help_pager, show_page
from ec2_import_image.dropin.helpdocs.styled import overstrike, plain, strip_overstrike
from ec2_import_image.environment import Environment
from ec2_import_image.model import load_model
from tests.support.runner import base_env

ARGV = ["ec2", "import-image", "help"]
FAKE_PAGER = """
import sys
data = sys.stdin.buffer.read()
with open(sys.argv[1], "wb") as handle:
    handle.write(data)
print(f"fake pager {sys.argv[2]} read {len(data)} bytes")
"""


def help_env(tmp_path: Path) -> dict[str, str]:
    """The recorded cases' environment on a dumb terminal (its empty AWS_PAGER is not help's)."""
    return {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), **base_env(tmp_path), "TERM": "dumb"}


def fake_pager(tmp_path: Path, name: str) -> tuple[str, Path]:
    script = tmp_path / "pager.py"
    script.write_text(FAKE_PAGER)
    captured = tmp_path / f"{name}.out"
    return f"{sys.executable} {script} {captured} {name}", captured


def expected_page() -> str:
    return plain(operation_page(load_model().operation("ImportImage")))


def run_in_pty(argv: list[str], env: dict[str, str]) -> tuple[int, str]:
    child = pexpect.spawn(
        sys.executable,
        ["-m", "ec2_import_image", *argv],
        env=env,
        encoding="utf-8",
        dimensions=(24, 100),
        timeout=60,
    )
    output = child.read()
    child.close()
    assert child.exitstatus is not None
    return child.exitstatus, output


def test_pipe_gets_plain_text_without_a_pager(tmp_path: Path) -> None:
    pager, captured = fake_pager(tmp_path, "pager")
    env = {**help_env(tmp_path), "PAGER": pager, "MANPAGER": pager}
    proc = subprocess.run(
        [sys.executable, "-m", "ec2_import_image", *ARGV],
        capture_output=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0
    assert proc.stderr == b""
    assert proc.stdout.decode() == expected_page()
    assert b"\b" not in proc.stdout
    assert not captured.exists()


def test_terminal_pages_with_bold_and_underline(tmp_path: Path) -> None:
    pager, captured = fake_pager(tmp_path, "pager")
    rc, output = run_in_pty(ARGV, {**help_env(tmp_path), "PAGER": pager})
    assert rc == 0
    assert "fake pager pager read" in output
    assert "NAME" not in output  # the page went to the pager, not to the terminal
    data = captured.read_bytes().decode("utf-8")
    assert "N\bNA\bAM\bME\bE\n" in data  # a bold heading
    assert "O\bOP\bPT\bTI\bIO\bON\bNS\bS" in data
    assert "-\b--\b-d\bde\bes\bsc\bcr" in data  # a bold option name
    assert "_\b<_\bv_\ba_\bl_\bu_\be_\b>" in data  # an underlined placeholder
    assert strip_overstrike(data) == expected_page()


def test_manpager_comes_before_pager(tmp_path: Path) -> None:
    manpager, man_captured = fake_pager(tmp_path, "manpager")
    pager, captured = fake_pager(tmp_path, "pager")
    env = {**help_env(tmp_path), "MANPAGER": manpager, "PAGER": pager}
    rc, output = run_in_pty(["ec2", "help"], env)
    assert rc == 0
    assert "fake pager manpager read" in output
    assert man_captured.exists()
    assert not captured.exists()


def test_terminal_without_the_pager_gets_plain_text(tmp_path: Path) -> None:
    env = {**help_env(tmp_path), "PAGER": "no-such-pager-for-help --flag"}
    rc, output = run_in_pty(ARGV, env)
    assert rc == 0
    assert "\b" not in output
    assert output.replace("\r\n", "\n") == expected_page()


def test_pager_choice() -> None:
    assert help_pager({}) == ["less", "-R"]
    assert help_pager({"PAGER": "more -s"}) == ["more", "-s"]
    assert help_pager({"PAGER": "more", "MANPAGER": "most"}) == ["most"]
    assert help_pager({"MANPAGER": "", "PAGER": " "}) == ["less", "-R"]
    # AWS_PAGER is for command output, not for help
    assert help_pager({"AWS_PAGER": "cat"}) == ["less", "-R"]


@pytest.mark.parametrize("isatty", [True, False])
def test_show_page_in_process(isatty: bool, tmp_path: Path) -> None:
    lines = operation_page(load_model().operation("CancelImportTask"))
    out = io.StringIO()
    env = Environment(
        stdin=io.StringIO(),
        stdout=out,
        stderr=io.StringIO(),
        environ={"PAGER": "cat", "PATH": os.environ.get("PATH", "/usr/bin:/bin")},
        stdin_isatty=False,
        stdout_isatty=isatty,
        stderr_isatty=False,
    )
    show_page(lines, env)
    assert out.getvalue() == (overstrike(lines) if isatty else plain(lines))
