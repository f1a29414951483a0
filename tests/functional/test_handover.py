"""Command lines this tool does not serve run on the AWS CLI found after it (issue 11, section 1).

A fake ``aws`` (tests/support/fake_cli.py) on PATH records its argv, stdin,
environment and process id.  In-process runs (``entry.main``) run it as a
child on the injected streams; the console script replaces its process with
it (checked by process id).  The recorded cases never see any of this: their
harness sets ``EC2_IMPORT_IMAGE_FALLBACK`` empty.
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import sysconfig
from pathlib import Path

import pytest

from ec2_import_image.dropin.entry import main
from ec2_import_image.dropin.fallback import (
    FALLBACK_VARIABLE,
    HANDOVER_MARKER,
    MAX_HOPS,
    Marker,
    line_digest,
)
from ec2_import_image.environment import Environment
from tests.support.fake_cli import V1, FakeCli
from tests.support.runner import Harness, Run, base_env

CONSOLE_SCRIPT = Path(sysconfig.get_path("scripts")) / "aws"
REFUSAL = (
    "\naws: [ERROR]: An error occurred (ParamValidation): 'aws s3' is an AWS CLI command that "
    "this tool does not implement: ec2-import-image implements the VM Import commands only "
    "(ec2 import-image, ec2 describe-import-image-tasks, ec2 cancel-import-task, "
    "ec2 wait image-import-completed).\n"
)
INSTALL_HINT = (
    "To run it, install the AWS CLI v2 "
    "(https://docs.aws.amazon.com/cli/latest/userguide/getting-started-install.html) on PATH "
    "as well, or set EC2_IMPORT_IMAGE_FALLBACK to the path of the AWS CLI's aws.\n"
)


@pytest.fixture
def fake_cli(tmp_path: Path) -> FakeCli:
    return FakeCli(tmp_path / "fake-bin", rc=3).install()


def path_of(*directories: Path) -> dict[str, str]:
    return {"PATH": os.pathsep.join(str(d) for d in directories)}


def run_found(harness: Harness, argv: list[str], *directories: Path, **env: str) -> Run:
    """Run in-process with only ``directories`` on PATH and no fallback variable."""
    unset = [] if FALLBACK_VARIABLE in env else [FALLBACK_VARIABLE]
    return harness.run(argv, env={**path_of(*directories), **env}, unset=unset)


def marker(path: Path | str, argv: list[str], hops: int = 1) -> str:
    """The loop guard a first hand-over of ``argv`` to ``path`` sets."""
    return Marker(hops, line_digest(argv), str(path)).encode()


def handed_env(
    harness: Harness, fake: FakeCli, argv: list[str], *directories: Path
) -> dict[str, str]:
    """The environment the AWS CLI should see: the run's, plus the loop guard."""
    expected = harness.environment(path_of(*directories), unset=[FALLBACK_VARIABLE])
    return {**expected, HANDOVER_MARKER: marker(fake.aws, argv)}


# -- what is handed over, and how ---------------------------------------------------------


@pytest.mark.parametrize(
    "argv",
    [
        ["s3", "ls"],
        ["configure", "list"],
        ["s3", "cp", "vm.ova", "s3://my-bucket/vm.ova"],
        ["iam", "create-role", "--role-name", "vmimport"],
        ["ec2", "describe-images", "--owners", "self"],
        ["ec2", "run-instances", "--image-id", "ami-1", "--bogus"],
        ["ec2", "wait", "image-available", "--image-ids", "ami-1"],
        ["help", "config-vars"],
        ["--region", "eu-west-1", "--output", "text", "s3", "mb", "s3://b"],
    ],
)
def test_other_commands_run_on_the_aws_cli(
    harness: Harness, fake_cli: FakeCli, argv: list[str]
) -> None:
    result = run_found(harness, argv, fake_cli.directory)
    args = " ".join(argv)
    assert result.rc == 3
    assert result.stdout == f"fake aws stdout: {args}\n"
    assert result.stderr == f"fake aws stderr: {args}\n"
    assert result.requests == []
    [run] = fake_cli.runs()
    assert run["args"] == argv
    assert run["argv0"] == str(fake_cli.aws)
    assert run["env"] == handed_env(harness, fake_cli, argv, fake_cli.directory)


def test_an_alias_is_handed_over_as_typed(harness: Harness, fake_cli: FakeCli) -> None:
    harness.write(".aws/cli/alias", "[toplevel]\nbuckets = s3 ls --summarize\n")
    result = run_found(harness, ["buckets", "--recursive"], fake_cli.directory)
    assert (result.rc, result.stdout) == (3, "fake aws stdout: buckets --recursive\n")
    assert [run["args"] for run in fake_cli.runs()] == [["buckets", "--recursive"]]


def test_an_ec2_alias_to_another_operation(harness: Harness, fake_cli: FakeCli) -> None:
    harness.write(".aws/cli/alias", "[command ec2]\nimages = describe-images --owners self\n")
    result = run_found(harness, ["ec2", "images"], fake_cli.directory)
    assert result.rc == 3
    assert [run["args"] for run in fake_cli.runs()] == [["ec2", "images"]]


def test_file_values_are_not_read(harness: Harness, fake_cli: FakeCli) -> None:
    argv = [
        "ec2",
        "run-instances",
        "--cli-input-json",
        "file://missing.json",
        "--user-data",
        "fileb://also-missing.bin",
    ]
    result = run_found(harness, argv, fake_cli.directory)
    assert result.rc == 3
    assert [run["args"] for run in fake_cli.runs()] == [argv]


def test_stdin_reaches_the_aws_cli_in_process(harness: Harness, fake_cli: FakeCli) -> None:
    out, err = io.StringIO(), io.StringIO()
    env = Environment(
        stdin=io.StringIO("bucket contents\n"),
        stdout=out,
        stderr=err,
        environ=harness.environment(path_of(fake_cli.directory), [FALLBACK_VARIABLE]),
        stdin_isatty=False,
        stdout_isatty=False,
        stderr_isatty=False,
    )
    rc = main(["s3", "cp", "-", "s3://b/k"], env)
    assert (rc, out.getvalue()) == (3, "fake aws stdout: s3 cp - s3://b/k\n")
    assert fake_cli.runs()[0]["stdin"] == "bucket contents\n"


@pytest.mark.parametrize("argv", [["help"], ["ec2", "help"], ["ec2", "wait", "help"]])
def test_pages_of_all_of_v2_come_from_the_aws_cli(
    harness: Harness, fake_cli: FakeCli, argv: list[str]
) -> None:
    result = run_found(harness, argv, fake_cli.directory)
    assert (result.rc, result.stdout) == (3, f"fake aws stdout: {' '.join(argv)}\n")
    assert [run["args"] for run in fake_cli.runs()] == [argv]


def test_pages_of_the_tools_commands_are_its_own(harness: Harness, fake_cli: FakeCli) -> None:
    result = run_found(harness, ["ec2", "import-image", "help"], fake_cli.directory)
    assert result.rc == 0
    assert "--disk-containers" in result.stdout
    assert fake_cli.calls() == []


def test_without_an_aws_cli_the_tool_shows_its_own_pages(harness: Harness, tmp_path: Path) -> None:
    result = run_found(harness, ["help"], tmp_path)
    assert result.rc == 0
    assert "AVAILABLE SERVICES" in result.stdout


def test_a_help_page_through_an_alias_goes_to_v2_only(harness: Harness, tmp_path: Path) -> None:
    """v1 expands no ``[command ec2]`` alias: the tool shows its own page rather than v1's error."""
    harness.write(".aws/cli/alias", "[command ec2]\nii = help\n")
    v1 = FakeCli(tmp_path / "v1", version=V1).install()
    result = run_found(harness, ["ec2", "ii"], v1.directory)
    assert (result.rc, v1.runs()) == (0, [])
    assert "AVAILABLE COMMANDS" in result.stdout
    v2 = FakeCli(tmp_path / "v2").install()
    result = run_found(harness, ["ec2", "ii"], v2.directory)
    assert [run["args"] for run in v2.runs()] == [["ec2", "ii"]]


def test_debug_names_the_executable(harness: Harness, fake_cli: FakeCli) -> None:
    result = run_found(harness, ["--debug", "s3", "ls"], fake_cli.directory)
    assert result.rc == 3
    lines = result.stderr.splitlines()
    handing = [line for line in lines if "Handing the command line over" in line]
    assert len(handing) == 1
    assert handing[0].endswith(
        " - MainThread - awscli.clidriver - DEBUG - "
        f"Handing the command line over to the AWS CLI: {fake_cli.aws}"
    )
    assert lines[-1] == "fake aws stderr: --debug s3 ls"


def test_the_short_program_hands_nothing_over(harness: Harness, fake_cli: FakeCli) -> None:
    result = harness.run(
        ["s3", "ls"],
        env=path_of(fake_cli.directory),
        unset=[FALLBACK_VARIABLE],
        program="ec2-import-image",
    )
    assert result.rc == 252
    assert result.stderr.endswith("ec2-import-image: [ERROR]: Unknown options: ls, s3\n")
    assert fake_cli.calls() == []


def test_the_tools_own_commands_stay_its_own(harness: Harness, fake_cli: FakeCli) -> None:
    result = run_found(
        harness, ["ec2", "import-image", "--generate-cli-skeleton"], fake_cli.directory
    )
    assert result.rc == 0
    assert fake_cli.calls() == []


# -- unknown words: to AWS CLI v2 only ----------------------------------------------------

UNKNOWN = [
    ["ec22", "import-image"],
    ["s4", "new-command"],
    ["ec2", "describe-imagez"],
    ["ec2", "wait", "image-availabel"],
    ["help", "no-such-topic"],
]


@pytest.mark.parametrize("argv", UNKNOWN)
def test_unknown_words_go_to_aws_cli_v2(
    harness: Harness, fake_cli: FakeCli, argv: list[str]
) -> None:
    result = run_found(harness, argv, fake_cli.directory)
    assert (result.rc, result.stdout) == (3, f"fake aws stdout: {' '.join(argv)}\n")
    assert [run["args"] for run in fake_cli.runs()] == [argv]


@pytest.mark.parametrize("argv", UNKNOWN)
def test_unknown_words_get_v2s_answer_from_the_tool_with_v1(
    harness: Harness, tmp_path: Path, argv: list[str]
) -> None:
    v1 = FakeCli(tmp_path / "v1", version=V1).install()
    alone = harness.run(argv)  # no fallback at all: v2.36.7's invalid choice
    result = run_found(harness, argv, v1.directory)
    assert (result.rc, result.stdout, result.stderr) == (252, "", alone.stderr)
    assert "Found invalid choice" in result.stderr
    assert v1.runs() == []


def test_an_unknown_version_is_not_v2(harness: Harness, tmp_path: Path) -> None:
    other = FakeCli(tmp_path / "other", version="something else 2.0").install()
    result = run_found(harness, ["ec22"], other.directory)
    assert result.rc == 252
    assert other.runs() == []


def test_the_version_is_asked_once(harness: Harness, fake_cli: FakeCli) -> None:
    for _ in range(3):
        run_found(harness, ["ec22"], fake_cli.directory)
    versions = [call for call in fake_cli.calls() if call["args"] == ["--version"]]
    assert len(versions) == 1
    assert len(fake_cli.runs()) == 3
    assert list((harness.home / ".cache" / "ec2-import-image").glob("fallback-version-*"))


# -- which executable ---------------------------------------------------------------------


def test_the_variable_names_the_aws_cli(
    harness: Harness, fake_cli: FakeCli, tmp_path: Path
) -> None:
    later = FakeCli(tmp_path / "later").install()
    result = run_found(
        harness, ["s3", "ls"], later.directory, **{FALLBACK_VARIABLE: str(fake_cli.aws)}
    )
    assert result.rc == 3
    assert (len(fake_cli.runs()), later.calls()) == (1, [])


def copy_of_the_tool(directory: Path, how: str) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    target = directory / "aws"
    if how == "symlink":
        target.symlink_to(CONSOLE_SCRIPT)
    else:
        shutil.copy2(CONSOLE_SCRIPT, target)
    return target


def test_copies_of_the_tool_on_path_are_skipped(
    harness: Harness, fake_cli: FakeCli, tmp_path: Path
) -> None:
    first = copy_of_the_tool(tmp_path / "venv-bin", "copy")
    second = copy_of_the_tool(tmp_path / "pipx-bin", "symlink")
    result = run_found(harness, ["s3", "ls"], first.parent, second.parent, fake_cli.directory)
    assert result.rc == 3
    assert len(fake_cli.runs()) == 1


def test_no_aws_cli_is_refused_with_a_hint(harness: Harness, tmp_path: Path) -> None:
    copy = copy_of_the_tool(tmp_path / "bin", "copy")
    result = run_found(harness, ["s3", "ls"], copy.parent)
    assert (result.rc, result.stdout) == (252, "")
    assert result.stderr == REFUSAL[:-1] + "\n" + INSTALL_HINT


@pytest.mark.parametrize(
    ("value", "says"),
    [
        ("", "EC2_IMPORT_IMAGE_FALLBACK is set empty, which turns the hand-over"),
        ("{tmp}/not-executable", "names '{tmp}/not-executable', which is not an executable file"),
        ("{tmp}/missing", "names '{tmp}/missing', which is not an executable file"),
        ("{tmp}/bin/aws", "names '{tmp}/bin/aws', which is this tool"),
    ],
)
def test_the_variable_set_wrong_is_refused(
    harness: Harness, fake_cli: FakeCli, tmp_path: Path, value: str, says: str
) -> None:
    (tmp_path / "not-executable").write_text("#!/bin/sh\n")
    copy_of_the_tool(tmp_path / "bin", "copy")
    tmp = str(tmp_path)
    result = run_found(
        harness,
        ["s3", "ls"],
        fake_cli.directory,
        **{FALLBACK_VARIABLE: value.format(tmp=tmp)},
    )
    assert result.rc == 252
    assert result.stderr.startswith(REFUSAL[:-1] + "\n")
    assert says.format(tmp=tmp) in result.stderr
    # the pages of all of v2: the tool's own when hand-over is off, else the same refusal
    help_page = run_found(
        harness, ["help"], fake_cli.directory, **{FALLBACK_VARIABLE: value.format(tmp=tmp)}
    )
    assert help_page.rc == (0 if value == "" else 252)
    assert fake_cli.calls() == []


def test_the_same_command_line_handed_back_is_a_loop(harness: Harness, fake_cli: FakeCli) -> None:
    came_back = {HANDOVER_MARKER: marker("/x/aws", ["s3", "ls"])}
    result = run_found(harness, ["s3", "ls"], fake_cli.directory, **came_back)
    assert result.rc == 252
    assert "handing this command line to '/x/aws'" in result.stderr
    assert "a loop, stopped here" in result.stderr
    assert fake_cli.calls() == []
    # what the tool serves itself still works, and help is its own
    back = {HANDOVER_MARKER: marker("/x/aws", ["help"])}
    assert run_found(harness, ["help"], fake_cli.directory, **back).rc == 0
    # a marker this tool did not write is taken for a loop too
    assert run_found(harness, ["s3", "ls"], fake_cli.directory, **{HANDOVER_MARKER: "x"}).rc == 252
    assert fake_cli.calls() == []


def test_the_aws_cli_calling_aws_itself_is_handed_over_again(
    harness: Harness, fake_cli: FakeCli
) -> None:
    """``credential_process = aws configure export-credentials ...`` run by the AWS CLI, which
    the drop-in handed ``s3 ls`` to: another command line, one more hand-over, not a loop."""
    nested = ["configure", "export-credentials", "--format", "process"]
    first = {HANDOVER_MARKER: marker(fake_cli.aws, ["s3", "ls"])}
    result = run_found(harness, nested, fake_cli.directory, **first)
    assert result.rc == 3
    [run] = fake_cli.runs()
    assert run["args"] == nested
    assert run["env"][HANDOVER_MARKER] == marker(fake_cli.aws, nested, hops=2)
    # a loop that changes its words still ends: at the fourth hand-over in a row
    deep = {HANDOVER_MARKER: marker(fake_cli.aws, ["s3", "ls"], hops=MAX_HOPS)}
    assert run_found(harness, nested, fake_cli.directory, **deep).rc == 252


# -- as processes: the console script replaces itself with the AWS CLI ---------------------


def run_console(
    harness: Harness,
    argv: list[str],
    path: list[Path],
    *,
    stdin: bytes = b"",
    script: Path = CONSOLE_SCRIPT,
) -> tuple[subprocess.CompletedProcess[bytes], int, dict[str, str]]:
    env = {**base_env(harness.home), **path_of(*path)}
    env.pop(FALLBACK_VARIABLE)
    with subprocess.Popen(
        [str(script), *argv],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=harness.home,
        env=env,
    ) as proc:
        out, err = proc.communicate(stdin, timeout=60)
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err), proc.pid, env


@pytest.mark.parametrize("argv", [["configure", "list"], ["s3", "ls"], ["ec22"]])
def test_the_console_script_execs_the_aws_cli(
    harness: Harness, fake_cli: FakeCli, argv: list[str]
) -> None:
    proc, pid, env = run_console(harness, argv, [fake_cli.directory], stdin=b"typed on stdin\n")
    args = " ".join(argv)
    assert proc.returncode == 3
    assert proc.stdout == f"fake aws stdout: {args}\n".encode()
    assert proc.stderr == f"fake aws stderr: {args}\n".encode()
    [run] = fake_cli.runs()
    assert run["pid"] == pid  # the same process: exec, not a child
    assert run["args"] == argv
    assert run["stdin"] == "typed on stdin\n"
    assert run["env"] == {**env, HANDOVER_MARKER: marker(fake_cli.aws, argv)}


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="needs /proc")
def test_signals_python_ignores_are_restored(harness: Harness, tmp_path: Path) -> None:
    """The AWS CLI starts with SIGPIPE and SIGXFSZ at their defaults, as from a shell."""
    directory = tmp_path / "sh-bin"
    directory.mkdir()
    report = tmp_path / "sigign"
    script = directory / "aws"
    script.write_text(
        "#!/bin/sh\n"  # builtins only: nothing else is on PATH
        "while read -r name value; do\n"
        f'  [ "$name" = SigIgn: ] && echo "$value" > "{report}"\n'
        "done < /proc/$$/status\n"
        "exit 0\n"
    )
    script.chmod(0o755)
    proc, _, _ = run_console(harness, ["s3", "ls"], [directory])
    assert proc.returncode == 0, proc.stderr
    ignored = int(report.read_text().strip(), 16)
    for number in (13, 25):  # SIGPIPE, SIGXFSZ on Linux
        assert not ignored & (1 << (number - 1))


def test_a_wrapper_of_the_tool_is_a_loop_stopped(
    harness: Harness, fake_cli: FakeCli, tmp_path: Path
) -> None:
    """A wrapper that the path checks cannot see through: the marker stops the second hand-over."""
    directory = tmp_path / "wrapper-bin"
    directory.mkdir()
    wrapper = directory / "aws"
    wrapper.write_text(f'#!/bin/sh\nexec "{CONSOLE_SCRIPT}" "$@"\n')
    wrapper.chmod(0o755)
    proc, _, _ = run_console(harness, ["s3", "ls"], [directory, fake_cli.directory])
    assert proc.returncode == 252
    assert f"handing this command line to '{wrapper}'".encode() in proc.stderr
    assert b"a loop, stopped here" in proc.stderr
    assert fake_cli.calls() == []


@pytest.mark.parametrize("user_data_path", [None, "models"])
def test_the_pinned_model_is_not_put_in_the_handed_environment(
    harness: Harness,
    fake_cli: FakeCli,
    import_image_answers: None,
    tmp_path: Path,
    user_data_path: str | None,
) -> None:
    """botocore finds the pinned model through its loader, not ``AWS_DATA_PATH``.

    A variable the tool added would reach the AWS CLI the next command is
    handed to, which would load a three-operation EC2 model.  A user's own
    ``AWS_DATA_PATH`` (here with an EC2 model that has no ImportImage) reaches
    it untouched, and the tool still sends with the pinned model.
    """
    before = os.environ.get("AWS_DATA_PATH")
    env: dict[str, str] = {}
    if user_data_path is not None:
        models = tmp_path / user_data_path
        (models / "ec2" / "2016-11-15").mkdir(parents=True)
        (models / "ec2" / "2016-11-15" / "service-2.json").write_text(
            '{"version": "2.0", "metadata": {"apiVersion": "2016-11-15", "protocol": "ec2",'
            ' "endpointPrefix": "ec2", "serviceId": "EC2", "signatureVersion": "v4"},'
            ' "operations": {}, "shapes": {}}'
        )
        env["AWS_DATA_PATH"] = str(models)
    sent = run_found(
        harness,
        ["--endpoint-url", harness.endpoint, "ec2", "import-image", "--query", "ImportTaskId"],
        fake_cli.directory,
        **env,
    )
    assert (sent.rc, sent.stderr) == (0, "")
    assert sent.stdout == '"import-ami-1234567890abcdef0"\n'
    assert [request.action for request in harness.stub.requests] == ["ImportImage"]
    assert os.environ.get("AWS_DATA_PATH") == before
    argv = ["ec2", "run-instances", "--image-id", "ami-1"]
    handed = run_found(harness, argv, fake_cli.directory, **env)
    assert handed.rc == 3
    [run] = fake_cli.runs()
    assert run["env"].get("AWS_DATA_PATH") == env.get("AWS_DATA_PATH")
    assert run["env"] == {
        **handed_env(harness, fake_cli, argv, fake_cli.directory),
        **env,
    }


def test_a_script_mixing_the_aws_cli_and_the_tool(
    harness: Harness, fake_cli: FakeCli, import_image_answers: None, tmp_path: Path
) -> None:
    """The drop-in first on PATH, the AWS CLI later: a migration script runs as written."""
    dropin = copy_of_the_tool(tmp_path / "dropin-bin", "symlink").parent
    script = tmp_path / "migrate.sh"
    script.write_text(
        "set -e\n"
        "aws s3 cp vm.ova s3://my-bucket/vm.ova\n"
        "aws iam create-role --role-name vmimport "
        "--assume-role-policy-document file://trust-policy.json\n"
        'aws --endpoint-url "$ENDPOINT" ec2 import-image '
        '--disk-containers "Format=ova,UserBucket={S3Bucket=my-bucket,S3Key=vm.ova}" '
        "--query ImportTaskId --output text\n"
    )
    fake_cli.rc = 0
    fake_cli.install()
    env = {**base_env(harness.home), "ENDPOINT": harness.endpoint}
    env["PATH"] = os.pathsep.join([str(dropin), str(fake_cli.directory), "/usr/bin", "/bin"])
    env.pop(FALLBACK_VARIABLE)
    bash = shutil.which("bash") or "/bin/sh"
    proc = subprocess.run(
        [bash, str(script)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines() == [
        "fake aws stdout: s3 cp vm.ova s3://my-bucket/vm.ova",
        "fake aws stdout: iam create-role --role-name vmimport "
        "--assume-role-policy-document file://trust-policy.json",
        "import-ami-1234567890abcdef0",
    ]
    assert [run["args"][:2] for run in fake_cli.runs()] == [["s3", "cp"], ["iam", "create-role"]]
    assert [request.action for request in harness.stub.requests] == ["ImportImage"]
