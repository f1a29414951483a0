"""Completion of other commands by the AWS CLI's own ``aws_completer`` (issue 11, section 1).

A fake AWS CLI (tests/support/fake_cli.py) on PATH has an ``aws_completer``
beside its ``aws`` that records ``COMP_LINE``/``COMP_POINT`` and prints fixed
candidates.  Each program runs in a fresh process, as a shell runs it.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from ec2_import_image.dropin.fallback import HANDOVER_MARKER, Marker, line_digest
from tests.functional.test_completion_shells import (
    BASH,
    COMPLETER_CODE,
    CONSOLE,
    env_for,
    line_after_tab,
    spawn_bash,
)
from tests.support.fake_cli import FakeCli


@pytest.fixture
def fake_cli(tmp_path: Path) -> FakeCli:
    return FakeCli(tmp_path / "fake-bin", candidates=("cp ", "ec2 ", "ecr ", "ls ")).install()


def with_fake(tmp_path: Path, fake: FakeCli, **extra: str) -> dict[str, str]:
    env = env_for(tmp_path, **extra)
    if "EC2_IMPORT_IMAGE_FALLBACK" not in extra:
        del env["EC2_IMPORT_IMAGE_FALLBACK"]
    env["PATH"] = f"{fake.directory}:/usr/bin:/bin"
    return env


def run(code: str, env: dict[str, str]) -> list[str]:
    proc = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert (proc.returncode, proc.stderr) == (0, "")
    return proc.stdout.splitlines()


def completer(env: dict[str, str], line: str) -> list[str]:
    return run(COMPLETER_CODE, {**env, "COMP_LINE": line, "COMP_POINT": str(len(line))})


def test_other_commands_get_the_aws_clis_candidates(tmp_path: Path, fake_cli: FakeCli) -> None:
    env = with_fake(tmp_path, fake_cli)
    line = "aws s3 c"
    assert completer(env, line) == ["cp ", "ec2 ", "ecr ", "ls "]
    [call] = fake_cli.calls("aws_completer")
    assert (call["env"]["COMP_LINE"], call["env"]["COMP_POINT"]) == (line, str(len(line)))
    assert (
        call["env"][HANDOVER_MARKER]
        == Marker(1, line_digest([line]), str(fake_cli.completer)).encode()
    )


def test_the_cursor_is_passed_as_it_is(tmp_path: Path, fake_cli: FakeCli) -> None:
    env = with_fake(tmp_path, fake_cli)
    run(COMPLETER_CODE, {**env, "COMP_LINE": "aws s3 c --debug", "COMP_POINT": "8"})
    [call] = fake_cli.calls("aws_completer")
    assert (call["env"]["COMP_LINE"], call["env"]["COMP_POINT"]) == ("aws s3 c --debug", "8")


def test_a_command_word_gets_both(tmp_path: Path, fake_cli: FakeCli) -> None:
    env = with_fake(tmp_path, fake_cli)
    assert completer(env, "aws e") == ["cp ", "ec2", "ecr ", "ls "]


def test_the_tools_commands_stay_its_own(tmp_path: Path, fake_cli: FakeCli) -> None:
    env = with_fake(tmp_path, fake_cli)
    assert completer(env, "aws ec2 import-image --arch") == ["--architecture"]
    assert fake_cli.calls("aws_completer") == []


@pytest.mark.parametrize(
    "extra", [{"EC2_IMPORT_IMAGE_FALLBACK": ""}, {HANDOVER_MARKER: "/somewhere/aws_completer"}]
)
def test_without_an_aws_cli_nothing_changes(
    tmp_path: Path, fake_cli: FakeCli, extra: dict[str, str]
) -> None:
    env = with_fake(tmp_path, fake_cli, **extra)
    assert completer(env, "aws s3 ") == []
    assert completer(env, "aws e") == ["ec2"]
    assert fake_cli.calls("aws_completer") == []


def test_click_bash_style(tmp_path: Path, fake_cli: FakeCli) -> None:
    env = with_fake(
        tmp_path, fake_cli, _AWS_COMPLETE="bash_complete", COMP_WORDS="aws\ns3\nc", COMP_CWORD="2"
    )
    assert run(CONSOLE["aws"], env) == ["plain,cp ", "plain,ec2 ", "plain,ecr ", "plain,ls "]
    [call] = fake_cli.calls("aws_completer")
    assert call["env"]["COMP_LINE"] == "aws s3 c"
    assert not {"COMP_WORDS", "COMP_CWORD", "_AWS_COMPLETE"} & set(call["env"])


def test_click_zsh_style(tmp_path: Path, fake_cli: FakeCli) -> None:
    env = with_fake(
        tmp_path, fake_cli, _AWS_COMPLETE="zsh_complete", COMP_WORDS="aws ec2 d", COMP_CWORD="2"
    )
    out = run(CONSOLE["aws"], env)
    values = out[1::3]
    assert values == ["cp", "describe-import-image-tasks", "ec2", "ecr", "ls"]
    # the tool's own candidate keeps its help text
    assert out[out.index("describe-import-image-tasks") + 1] != "_"
    [call] = fake_cli.calls("aws_completer")
    assert call["env"]["COMP_LINE"] == "aws ec2 d"


@pytest.mark.skipif(BASH is None, reason="no bash")
@pytest.mark.parametrize("setup", ["click", "aws_completer"])
def test_real_bash_hands_off(tmp_path: Path, setup: str) -> None:
    fake = FakeCli(tmp_path / "fake-bin", candidates=("cp",)).install()
    child = spawn_bash(tmp_path, setup, later=fake.directory)
    try:
        assert line_after_tab(child, "aws s3 c", "cp ") == "aws s3 cp "
        assert line_after_tab(child, "aws ec2 import-image --arch", "ture ") == (
            "aws ec2 import-image --architecture "
        )
    finally:
        child.close(force=True)
    assert [c["env"]["COMP_LINE"] for c in fake.calls("aws_completer")] == ["aws s3 c"]
