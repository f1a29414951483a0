"""Completion through click's protocol (bash, zsh, fish) and v2's ``aws_completer`` protocol.

Each program runs in a fresh process, as a shell runs it: click's
``_AWS_COMPLETE=<shell>_complete`` with ``COMP_WORDS``/``COMP_CWORD``, or
``aws_completer`` with ``COMP_LINE``/``COMP_POINT``.  A real bash, when there
is one, checks both end to end.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import time
from pathlib import Path

import pexpect
import pytest

PYTHON = sys.executable
EC2_COMMANDS = ["cancel-import-task", "describe-import-image-tasks", "import-image", "wait"]
SCRIPTS = Path(sysconfig.get_path("scripts"))
CONSOLE = {
    "aws": "from ec2_import_image.dropin.entry import aws_main; aws_main()",
    "ec2-import-image": "from ec2_import_image.dropin.entry import short_main; short_main()",
}


def env_for(tmp_path: Path, **extra: str) -> dict[str, str]:
    config = tmp_path / "config"
    if not config.exists():
        config.write_text("[default]\n[profile dev]\n[profile prod]\n")
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(tmp_path),
        "AWS_CONFIG_FILE": str(config),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "credentials"),
        "LANG": "C.UTF-8",
        # no AWS CLI completer joins in unless a test puts one there
        "EC2_IMPORT_IMAGE_FALLBACK": "",
        **extra,
    }


def click_complete(tmp_path: Path, shell: str, words: str, cword: str, program: str = "aws") -> str:
    var = "_" + program.replace("-", "_").upper() + "_COMPLETE"
    env = env_for(tmp_path, **{var: f"{shell}_complete", "COMP_WORDS": words, "COMP_CWORD": cword})
    proc = subprocess.run(
        [PYTHON, "-c", CONSOLE[program]],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
    return proc.stdout


def test_bash_protocol(tmp_path: Path) -> None:
    out = click_complete(tmp_path, "bash", "aws ec2 imp", "2")
    assert out.split() == ["plain,import-image"]
    out = click_complete(tmp_path, "bash", "aws ec2 import-image --platform ", "4")
    assert out.split() == ["plain,Windows", "plain,Linux"]
    # bash splits Format=vm at "=": the candidate replaces only "vm"
    out = click_complete(
        tmp_path, "bash", "aws ec2 import-image --disk-containers Format = vm", "6"
    )
    assert out.split() == ["plain,VMDK"]
    out = click_complete(tmp_path, "bash", "aws ec2 import-image --output = ya", "5")
    assert out.split() == ["plain,yaml", "plain,yaml-stream"]
    out = click_complete(tmp_path, "bash", "aws --profile ", "2")
    assert out.split() == ["plain,default", "plain,dev", "plain,prod"]


def test_zsh_protocol_gives_help(tmp_path: Path) -> None:
    out = click_complete(tmp_path, "zsh", "aws ec2 import-image --boot", "3")
    assert out.split("\n")[:3] == [
        "plain",
        "--boot-mode",
        "[string] The boot mode of the virtual machine.",
    ]
    out = click_complete(tmp_path, "zsh", "aws ec2 import-image --license-type ", "4")
    assert out.split("\n")[:6] == ["plain", "AWS", "_", "plain", "BYOL", "_"]
    out = click_complete(
        tmp_path, "zsh", "aws ec2 import-image --disk-containers Format=ova,UserBucket={S3", "4"
    )
    assert "Format=ova,UserBucket={S3Bucket=" in out.split("\n")


def test_fish_protocol(tmp_path: Path) -> None:
    out = click_complete(tmp_path, "fish", "aws ec2 import-image --arch", "--arch")
    assert out.splitlines() == [
        "plain,--architecture\t[string] The architecture of the virtual machine."
    ]
    out = click_complete(tmp_path, "fish", "aws ec2 import-image --tag-specifications", "")
    assert "plain,ResourceType=" in out.splitlines()


def test_bash_protocol_with_bash_words(tmp_path: Path) -> None:
    """click's bash script passes bash's words, quotes kept, one per line."""
    words = "\n".join(["aws", "ec2", "import-image", "--disk-containers"])
    assert click_complete(tmp_path, "bash", words + '\n"Format=ov', "4").split() == [
        "plain,Format=OVA"
    ]
    assert click_complete(tmp_path, "bash", words + '\nFormat\n=\n"ov', "6").split() == [
        "plain,OVA"
    ]
    out = click_complete(tmp_path, "bash", words + "\n'Format=ova,UserBucket={S3", "4")
    assert out.split() == [
        "plain,Format=ova,UserBucket={S3Bucket=",
        "plain,Format=ova,UserBucket={S3Key=",
    ]
    out = click_complete(tmp_path, "bash", words + "\nFormat\n=\nova,UserBucket\n=\n{S3", "8")
    assert out.split() == ["plain,{S3Bucket=", "plain,{S3Key="]
    assert click_complete(tmp_path, "bash", "aws\nec2\n", "2").split() == [
        f"plain,{word}" for word in EC2_COMMANDS
    ]


def test_short_program_protocol(tmp_path: Path) -> None:
    out = click_complete(tmp_path, "bash", "ec2-import-image --boot-mode ", "2", "ec2-import-image")
    assert out.split() == ["plain,legacy-bios", "plain,uefi", "plain,uefi-preferred"]


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_source_scripts(tmp_path: Path, shell: str) -> None:
    env = env_for(tmp_path, _AWS_COMPLETE=f"{shell}_source")
    proc = subprocess.run(
        [PYTHON, "-c", CONSOLE["aws"]], capture_output=True, text=True, env=env, check=False
    )
    assert proc.returncode == 0
    assert "_AWS_COMPLETE" in proc.stdout
    assert f"{shell}_complete" in proc.stdout


def aws_completer(tmp_path: Path, line: str, point: int | None = None) -> list[str]:
    env = env_for(tmp_path, COMP_LINE=line, COMP_POINT=str(len(line) if point is None else point))
    proc = subprocess.run(
        [PYTHON, "-c", "from ec2_import_image.dropin.completion.completer import main; main()"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0
    assert proc.stderr == ""
    return proc.stdout.splitlines()


def test_aws_completer_protocol(tmp_path: Path) -> None:
    assert aws_completer(tmp_path, "aws ") == ["ec2"]
    assert aws_completer(tmp_path, "aws ec2 ") == EC2_COMMANDS
    assert aws_completer(tmp_path, "aws ec2 import-image --ar") == ["--architecture"]
    assert aws_completer(tmp_path, "aws ec2 import-image --architecture ") == ["i386", "x86_64"]
    assert aws_completer(tmp_path, "aws ec2 import-image --disk-containers Format=vh") == [
        "VHD",
        "VHDX",
    ]
    assert aws_completer(
        tmp_path, "aws ec2 import-image --tag-specifications ResourceType=import-i"
    ) == ["import-image-task"]
    # the cursor in the middle of the line
    assert aws_completer(tmp_path, "aws ec2 desc --debug", 12) == ["describe-import-image-tasks"]
    assert aws_completer(tmp_path, "aws --profile d") == ["default", "dev"]
    assert aws_completer(tmp_path, "aws s3 ") == []


def test_aws_completer_never_fails(tmp_path: Path) -> None:
    env = env_for(tmp_path, COMP_LINE="aws ec2 ", COMP_POINT="not-a-number")
    proc = subprocess.run(
        [PYTHON, "-c", "from ec2_import_image.dropin.completion.completer import main; main()"],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert proc.returncode == 0
    assert proc.stdout.splitlines() == EC2_COMMANDS
    env.pop("COMP_LINE")
    proc = subprocess.run(
        [PYTHON, "-c", "from ec2_import_image.dropin.completion.completer import main; main()"],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, "", "")


PROBE = """
import io, os, sys, json
from ec2_import_image.dropin.completion.completer import run
from ec2_import_image.dropin.clickcommand import aws_command
out = io.StringIO()
run(os.environ, out)
try:
    aws_command.main(args=[], prog_name="aws", standalone_mode=False)
except SystemExit:
    pass
loaded = sorted(m for m in sys.modules if m.split(".")[0] in ("botocore", "boto3"))
sys.stderr.write(json.dumps({"completer": out.getvalue(), "loaded": loaded}))
"""


def test_completion_does_not_import_botocore(tmp_path: Path) -> None:
    env = env_for(
        tmp_path,
        COMP_LINE="aws ec2 import-image --region eu-west-",
        COMP_POINT="38",
        _AWS_COMPLETE="bash_complete",
        COMP_WORDS="aws ec2 import-image --disk-containers Format = v",
        COMP_CWORD="6",
    )
    proc = subprocess.run(
        [PYTHON, "-c", PROBE], capture_output=True, text=True, env=env, timeout=60, check=False
    )
    result = json.loads(proc.stderr)
    assert proc.stdout.split() == ["plain,VHD", "plain,VHDX", "plain,VMDK"]
    assert "eu-west-1" in result["completer"].split()
    assert result["loaded"] == []


def test_console_script_is_installed() -> None:
    assert (SCRIPTS / "aws_completer").exists()


BASH = shutil.which("bash")
COMPLETER_CODE = "from ec2_import_image.dropin.completion.completer import main; main()"


def spawn_bash(tmp_path: Path, setup: str, later: Path | None = None) -> pexpect.spawn[str]:
    """An interactive bash with the tool's ``aws`` and ``aws_completer`` first on PATH.

    ``later``: a directory after them on PATH, where the AWS CLI is looked for.
    """
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    for name, code in (("aws", CONSOLE["aws"]), ("aws_completer", COMPLETER_CODE)):
        script = bin_dir / name
        script.write_text(f"#!{PYTHON}\n{code}\n")
        script.chmod(0o755)
    env = env_for(tmp_path, PS1="$ ", TERM="dumb")
    env["PATH"] = f"{bin_dir}:{env['PATH']}"
    if later is not None:
        env["PATH"] = f"{bin_dir}:{later}:/usr/bin:/bin"
        del env["EC2_IMPORT_IMAGE_FALLBACK"]
    enable = (
        'eval "$(_AWS_COMPLETE=bash_source aws)"'
        if setup == "click"
        else "complete -C aws_completer aws"
    )
    assert BASH is not None
    child = pexpect.spawn(
        BASH, ["--norc", "--noprofile"], env=env, encoding="utf-8", dimensions=(24, 200), timeout=30
    )
    child.expect_exact("$ ")
    # Ctrl-T prints the line being edited, whatever quotes it holds
    child.sendline(
        "bind 'set enable-bracketed-paste off'; "
        """bind -x '"\\C-t": printf "\\n<%s>\\n" "$READLINE_LINE"'; """ + enable
    )
    child.expect_exact("$ ")
    return child


def line_after_tab(child: pexpect.spawn[str], typed: str, settled: str) -> str:
    """Type ``typed`` and Tab; once ``settled`` shows, the line as bash has it (then cleared)."""
    child.send(typed + "\t")
    child.expect_exact(settled)
    time.sleep(0.2)  # let a second candidate list or bell pass before reading the line back
    child.send("\x14")
    child.expect(r"\n<([^\r\n]*)>\r\n")
    match = child.match
    assert isinstance(match, re.Match)
    child.send("\x15\n")
    child.expect_exact("$ ")
    return str(match.group(1))


@pytest.mark.skipif(BASH is None, reason="no bash")
@pytest.mark.parametrize("setup", ["click", "aws_completer"])
def test_real_bash(tmp_path: Path, setup: str) -> None:
    child = spawn_bash(tmp_path, setup)
    try:
        for typed, completed in (
            ("aws ec2 imp", "aws ec2 import-image "),
            ("aws ec2 import-image --boot", "aws ec2 import-image --boot-mode "),
            (
                "aws ec2 import-image --disk-containers Format=vm",
                "aws ec2 import-image --disk-containers Format=VMDK ",
            ),
        ):
            assert line_after_tab(child, typed, completed.rstrip()[-4:]) == completed
    finally:
        child.close(force=True)


DC = "aws ec2 import-image --disk-containers "


@pytest.mark.skipif(BASH is None, reason="no bash")
@pytest.mark.parametrize("setup", ["click", "aws_completer"])
def test_real_bash_inside_quotes(tmp_path: Path, setup: str) -> None:
    """A candidate replaces what bash replaces: nothing typed inside a quote is lost."""
    child = spawn_bash(tmp_path, setup)
    try:
        for typed, completed, settled in (
            (DC + '"Format=ov', DC + '"Format=OVA" ', 'OVA" '),
            (DC + "'Format=vh", DC + "'Format=VHD", "VHD"),
            (DC + 'Format="ov', DC + 'Format="OVA" ', 'OVA" '),
            # two candidates: bash rings the bell and leaves the line as typed
            (DC + "'Format=ova,UserBucket={S3", DC + "'Format=ova,UserBucket={S3", "\x07"),
            (
                DC + "'Format=ova,UserBucket={S3B",
                DC + "'Format=ova,UserBucket={S3Bucket=' ",
                "Bucket=' ",
            ),
        ):
            assert line_after_tab(child, typed, settled) == completed
    finally:
        child.close(force=True)


ZSH = shutil.which("zsh")
FISH = shutil.which("fish")


def tool_path(tmp_path: Path) -> dict[str, str]:
    """The environment of a shell with the tool's ``aws`` first on PATH (no AWS CLI)."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    script = bin_dir / "aws"
    script.write_text(f"#!{PYTHON}\n{CONSOLE['aws']}\n")
    script.chmod(0o755)
    env = env_for(tmp_path, TERM="dumb")
    env["PATH"] = f"{bin_dir}:/usr/bin:/bin"
    return env


@pytest.mark.skipif(ZSH is None, reason="no zsh")
def test_real_zsh(tmp_path: Path) -> None:
    """zsh's completion system with the README's line; Ctrl-T prints the line being edited."""
    assert ZSH is not None
    child = pexpect.spawn(
        ZSH, ["-f", "-i"], env=tool_path(tmp_path), encoding="utf-8", dimensions=(24, 200)
    )
    child.timeout = 30
    try:
        # the prompt is spelt in two pieces, so that the echoed command is not taken for it
        child.sendline(
            "PS1='RE''ADY> '; autoload -Uz compinit && compinit -u; "
            'eval "$(_AWS_COMPLETE=zsh_source aws)"; '
            """show() { print -r -- $'\\n'"<""<$BUFFER>>" >/dev/tty }; zle -N show; """
            "bindkey '^T' show"
        )
        child.expect_exact("READY> ")
        for typed, completed in (
            ("aws ec2 imp", "aws ec2 import-image "),
            ("aws ec2 import-image --boot", "aws ec2 import-image --boot-mode "),
            (DC + "Format=vm", DC + "Format=VMDK "),
            (DC + '"Format=ov', DC + '"Format=OVA" '),
            (DC + "'Format=ova,UserBucket={S3B", DC + "'Format=ova,UserBucket={S3Bucket=' "),
            (DC + "Format=v", DC + "Format=V"),  # VHD, VHDX, VMDK: their common beginning
        ):
            child.send(typed + "\t\x14")  # zle reads Ctrl-T once the completion is done
            child.expect(r"<<([^\r\n]*)>>")
            match = child.match
            assert isinstance(match, re.Match)
            assert match.group(1) == completed
            child.send("\x15\n")
            child.expect_exact("READY> ")
    finally:
        child.close(force=True)


@pytest.mark.skipif(FISH is None, reason="no fish")
def test_real_fish(tmp_path: Path) -> None:
    """fish with the README's line; ``complete -C`` lists what Tab offers for a line."""
    assert FISH is not None
    lines = {
        "aws ec2 imp": ["import-image"],
        "aws ec2 import-image --boot": ["--boot-mode"],
        "aws ec2 import-image --boot-mode ": ["legacy-bios", "uefi", "uefi-preferred"],
        DC + "Format=vm": ["Format=VMDK"],
        DC + '"Format=ov': ["Format=OVA"],
        "aws ec2 import-image --profile ": ["default", "dev", "prod"],
    }
    script = "_AWS_COMPLETE=fish_source aws | source\n" + "".join(
        f"echo '=== {n}'; complete -C {json.dumps(line)}\n" for n, line in enumerate(lines)
    )
    proc = subprocess.run(
        [FISH, "--no-config", "-c", script],
        env=tool_path(tmp_path),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    answers = proc.stdout.split("=== ")[1:]
    assert len(answers) == len(lines), proc.stdout
    for answer, (line, expected) in zip(answers, lines.items(), strict=True):
        offered = [row.split("\t")[0] for row in answer.splitlines()[1:]]
        assert offered == expected, line
