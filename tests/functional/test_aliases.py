"""CLI aliases (``~/.aws/cli/alias``) as AWS CLI v2.36.7 expands them.

The recorded cases (tests/golden/extra/alias_more) pin v2's answers; these
tests cover the same rules in-process, and what the cases cannot show: the
globals an alias leaves, the short program, a real terminal's streams for an
external alias, the waiter this tool adds.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from ec2_import_image.dropin.cli.aliases import (
    RECURSION_BUDGET,
    AliasExpander,
    AliasTable,
    alias_path,
    load_aliases,
)
from ec2_import_image.dropin.cli.commandline import parse_top_level
from ec2_import_image.dropin.cli.globalopts import GlobalOptions
from ec2_import_image.dropin.errors import GeneralError
from tests.support.parsing import NO_FILES, parse_line
from tests.support.runner import Harness, Run

RESPONSES = Path(__file__).resolve().parent.parent / "golden" / "cases" / "responses"
ALIAS_FILE = ".aws/cli/alias"
USAGE = (
    "usage: aws [options] <command> <subcommand> [<subcommand> ...] [parameters]\n"
    "To see help text, you can run:\n\n"
    "  aws help\n  aws <command> help\n  aws <command> <subcommand> help\n"
)


def reply(action: str) -> list[dict[str, Any]]:
    return [{"status": 200, "body": (RESPONSES / f"{action}.xml").read_bytes()}]


def with_aliases(harness: Harness, text: str, *argv: str, **kwargs: Any) -> Run:
    """Run with ``text`` as the alias file, against the stub (which answers CancelImportTask)."""
    harness.write(ALIAS_FILE, text)
    harness.stub.replies = {"CancelImportTask": reply("CancelImportTask"), **harness.stub.replies}
    return harness.run(["--endpoint-url", harness.endpoint, *argv], **kwargs)


def pairs(result: Run) -> list[list[tuple[str, str]]]:
    return [list(request.form) for request in result.requests]


# -- where the file is, and reading it -----------------------------------------------------


def test_the_file_is_under_home_only(tmp_path: Path) -> None:
    environ = {"HOME": str(tmp_path), "AWS_CONFIG_FILE": "/elsewhere/config"}
    assert alias_path(environ) == str(tmp_path / ".aws" / "cli" / "alias")
    assert alias_path({"HOME": str(tmp_path) + "/"}) == str(tmp_path / ".aws" / "cli" / "alias")


def test_sections_names_and_values_are_read_as_botocore_reads_them(tmp_path: Path) -> None:
    (tmp_path / ".aws" / "cli").mkdir(parents=True)
    (tmp_path / ".aws" / "cli" / "alias").write_text(
        "[DEFAULT]\nshared = ec2\n"
        "[toplevel]\nII = ec2 import-image\nlong =\n  ec2\n  describe-import-image-tasks\n"
        "[command  ec2]\nci = cancel-import-task\n"
        "[command ec2 wait]\ndone = image-import-completed\n"
        "[other]\nx = y\n",
        encoding="utf-8",
    )
    table = load_aliases({"HOME": str(tmp_path)})
    assert table.section() == {
        "ii": "ec2 import-image",
        "long": "ec2\ndescribe-import-image-tasks",
        "shared": "ec2",
    }
    assert table.section(("ec2",)) == {"ci": "cancel-import-task", "shared": "ec2"}
    assert table.section(("ec2", "wait")) == {"done": "image-import-completed", "shared": "ec2"}
    assert table.section(("s3",)) == {}


def test_no_file_is_no_aliases(tmp_path: Path) -> None:
    assert load_aliases({"HOME": str(tmp_path)}).section() == {}


@pytest.mark.parametrize("argv", [["--version"], ["help"], ["ec2", "import-image"]])
def test_a_malformed_file_ends_every_command(harness: Harness, argv: list[str]) -> None:
    path = harness.write(ALIAS_FILE, "[toplevel\nii = ec2 import-image\n")
    result = harness.run(argv)
    assert (result.rc, result.stdout) == (255, "")
    assert result.stderr == f"\naws: [ERROR]: Unable to parse config file: {path}\n"


def test_a_directory_in_place_of_the_file(harness: Harness) -> None:
    harness.write(ALIAS_FILE + "/x", "")
    result = harness.run(["ec2", "import-image"])
    assert result.rc == 255
    path = harness.home / ALIAS_FILE
    assert (
        result.stderr == f"\naws: [ERROR]: The specified config file ({path}) could not be found.\n"
    )


def test_the_short_program_reads_no_aliases(harness: Harness) -> None:
    harness.write(ALIAS_FILE, "[toplevel\n")
    harness.stub.replies = {"ImportImage": reply("ImportImage")}
    result = harness.run(
        ["--endpoint-url", harness.endpoint, "--output", "text"], program="ec2-import-image"
    )
    assert result.rc == 0
    assert result.stdout.startswith("import-ami-")


# -- top-level aliases -----------------------------------------------------------------------


def test_a_toplevel_alias_is_a_command_word(harness: Harness) -> None:
    result = with_aliases(
        harness,
        "[toplevel]\nci = ec2 cancel-import-task --output text\n",
        "ci",
        "--import-task-id",
        "import-ami-1",
    )
    assert (result.rc, result.stderr) == (0, "")
    assert result.stdout == "import-ami-02222222222222222\tactive\tdeleting\n"
    assert pairs(result) == [
        [
            ("Action", "CancelImportTask"),
            ("Version", "2016-11-15"),
            ("ImportTaskId", "import-ami-1"),
        ]
    ]


def test_the_alias_options_beat_the_users(harness: Harness) -> None:
    result = with_aliases(
        harness,
        "[toplevel]\nci = ec2 cancel-import-task --output text\n",
        "--output",
        "json",
        "ci",
        "--import-task-id",
        "t",
    )
    assert result.stdout == "import-ami-02222222222222222\tactive\tdeleting\n"


def test_a_shadowing_alias_runs_the_real_command(harness: Harness) -> None:
    result = with_aliases(
        harness,
        "[toplevel]\nec2 = ec2 --output text\n",
        "ec2",
        "cancel-import-task",
        "--import-task-id",
        "t",
    )
    assert (result.rc, result.stdout) == (0, "import-ami-02222222222222222\tactive\tdeleting\n")


def test_a_chain_of_aliases(harness: Harness) -> None:
    aliases = "[toplevel]\na = b --output text\nb = ec2 cancel-import-task\n"
    result = with_aliases(harness, aliases, "a", "--import-task-id", "t")
    assert result.stdout == "import-ami-02222222222222222\tactive\tdeleting\n"


@pytest.mark.parametrize("aliases", ["[toplevel]\na = a\n", "[toplevel]\na = b\nb = a x\n"])
def test_an_endless_alias_fails_as_v2s_recursion(harness: Harness, aliases: str) -> None:
    result = with_aliases(harness, aliases, "a")
    assert result.rc == 255
    assert result.stderr == (
        "\naws: [ERROR]: maximum recursion depth exceeded while calling a Python object\n"
    )


def test_alias_names_are_suggested(harness: Harness) -> None:
    result = with_aliases(harness, "[toplevel]\nimportimage = ec2 import-image\n", "importimag")
    assert result.rc == 252
    assert result.stderr == (
        "\naws: [ERROR]: An error occurred (ParamValidation): argument command: "
        "Found invalid choice 'importimag'\n\nMaybe you meant:\n\n  * importimage\n\n" + USAGE
    )


def test_an_alias_naming_no_command(harness: Harness) -> None:
    result = with_aliases(harness, "[toplevel]\nnothing = --output text\n", "nothing")
    assert result.rc == 252
    assert result.stderr == (
        "\naws: [ERROR]: An error occurred (ParamValidation): "
        "the following arguments are required: command\n\n" + USAGE
    )


def test_an_alias_that_cannot_be_split(harness: Harness) -> None:
    result = with_aliases(harness, '[toplevel]\nii = ec2 "import-image\n', "ii")
    assert result.rc == 255
    assert result.stderr == (
        '\naws: [ERROR]: Value of alias "ii" could not be parsed. Received error: '
        'No closing quotation when parsing:\nec2 "import-image\n'
    )


@pytest.mark.parametrize(
    ("options", "refused"), [("--profile x", "profile"), ("--profile x --debug", "debug")]
)
def test_debug_and_profile_are_refused(harness: Harness, options: str, refused: str) -> None:
    result = with_aliases(harness, f"[toplevel]\nii = ec2 import-image {options}\n", "ii")
    assert result.rc == 255
    assert result.stderr == (
        f'\naws: [ERROR]: Global parameter "--{refused}" detected in alias "ii" '
        "which is not supported in subcommand aliases.\n"
    )


def test_the_alias_options_are_checked(harness: Harness) -> None:
    result = with_aliases(harness, "[toplevel]\nii = ec2 import-image --endpoint-url foo\n", "ii")
    assert result.rc == 252
    assert 'Bad value for --endpoint-url "foo": scheme is missing.' in result.stderr


def test_version_in_an_alias(harness: Harness) -> None:
    result = with_aliases(harness, "[toplevel]\nv = ec2 --version\n", "v")
    assert result.rc == 0
    assert result.stdout.startswith("aws-cli/2.36.7 ")


# -- what an alias leaves in the global options ---------------------------------------------


def expanded_globals(home: Path, argv: list[str], toplevel: dict[str, str]) -> GlobalOptions:
    """The global options of ``argv`` parsed as a run parses it, with these aliases."""
    lines = "".join(f"{name} = {value}\n" for name, value in toplevel.items())
    path = home / ALIAS_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"[toplevel]\n{lines}")
    return parse_line(argv, environ={**NO_FILES, "HOME": str(home)}).globals


def test_an_alias_sets_the_time_outs_again(tmp_path: Path) -> None:
    """v2 sets its clients' time-outs from every alias it runs: the user's are lost."""
    aliases = {"ii": "ec2 import-image"}
    result = expanded_globals(tmp_path, ["--cli-read-timeout", "1", "ii"], aliases)
    assert result.read_timeout is None
    aliases = {"ii": "ec2 import-image --cli-connect-timeout 5"}
    result = expanded_globals(tmp_path, ["ii"], aliases)
    assert (result.read_timeout, result.connect_timeout) == (None, "5")


def test_settings_read_when_the_session_starts_are_the_users(tmp_path: Path) -> None:
    alias = "ec2 import-image --ca-bundle b.pem --no-cli-pager --cli-binary-format base64"
    result = expanded_globals(tmp_path, ["--ca-bundle", "a.pem", "ii"], {"ii": alias})
    assert result.ca_bundle == "a.pem"
    assert result.no_cli_pager is False
    assert result.cli_binary_format is None


def test_the_alias_query_is_compiled(tmp_path: Path) -> None:
    aliases = {"ii": "ec2 import-image --query ImportTaskId"}
    result = expanded_globals(tmp_path, ["--query", "x", "ii"], aliases)
    assert result.query == "ImportTaskId"
    assert result.query_expression.search({"ImportTaskId": "x"}) == "x"


def test_an_alias_makes_new_global_options(tmp_path: Path) -> None:
    """The user's record is not changed: the alias's options make a new one."""
    table = AliasTable({"ii": "ec2 import-image --region r2 --output text"})
    user = GlobalOptions(region="r1")
    expander = AliasExpander(table, "aws", user)
    expander.expand_toplevel(parse_top_level(["ii"], "aws", list(table.section())))
    assert (user.region, user.output) == ("r1", None)
    assert (expander.globals.region, expander.globals.output) == ("r2", "text")


def test_expansions_stop_where_v2s_recursion_does() -> None:
    """480 top-level aliases, 240 below: where v2.36.7 stops with a command needing little stack."""
    assert RECURSION_BUDGET == 480
    chain = {f"a{i}": f"a{i + 1}" for i in range(480)}
    chain["a480"] = "ec2 import-image"
    table = AliasTable(chain)
    top = parse_top_level(["a1"], "aws", list(table.section()))
    expander = AliasExpander(table, "aws", top.globals)
    assert expander.expand_toplevel(top).command == "ec2"  # 480 expansions
    top = parse_top_level(["a0"], "aws", list(table.section()))
    with pytest.raises(GeneralError, match="maximum recursion depth exceeded"):
        AliasExpander(table, "aws", top.globals).expand_toplevel(top)
    below = AliasExpander(AliasTable(commands={("ec2",): {"x": "x"}}), "aws", GlobalOptions())
    for _ in range(RECURSION_BUDGET // 2):
        below.expand(("ec2",), "x", [])
    with pytest.raises(GeneralError, match="maximum recursion depth exceeded"):
        below.expand(("ec2",), "x", [])


# -- aliases below the top level ------------------------------------------------------------


def test_an_ec2_alias_is_an_operation_word(harness: Harness) -> None:
    aliases = "[command ec2]\nci = cancel-import-task --output text\n"
    result = with_aliases(harness, aliases, "ec2", "ci", "--import-task-id", "t")
    assert (result.rc, result.stdout) == (0, "import-ami-02222222222222222\tactive\tdeleting\n")


def test_an_ec2_alias_named_after_an_operation_drops_its_first_word(harness: Harness) -> None:
    aliases = "[command ec2]\ncancel-import-task = --output text\n"
    result = with_aliases(harness, aliases, "ec2", "cancel-import-task", "--import-task-id", "t")
    assert result.rc == 252
    assert result.stderr == "\n" + USAGE + "\n\naws: [ERROR]: Unknown options: t\n"


def test_an_ec2_alias_named_help_is_ignored(harness: Harness) -> None:
    result = with_aliases(harness, "[command ec2]\nhelp = import-image\n", "ec2", "help")
    assert (result.rc, result.requests) == (0, [])
    assert "import-image" in result.stdout


def test_a_wait_alias_shadowing_wait_loses_its_parent(harness: Harness) -> None:
    result = with_aliases(harness, "[command ec2]\nwait = wait --output text\n", "ec2", "wait")
    assert result.rc == 252
    assert result.stderr == (
        "\naws: [ERROR]: An error occurred (ParamValidation): "
        "usage: aws [options] wait <subcommand> [parameters]\naws: [ERROR]: too few arguments\n"
    )


def test_a_waiter_alias_for_the_added_waiter(harness: Harness) -> None:
    completed = (
        b'<?xml version="1.0" encoding="UTF-8"?>\n<DescribeImportImageTasksResponse '
        b'xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>r</requestId>'
        b"<importImageTaskSet><item><importTaskId>import-ami-1</importTaskId>"
        b"<status>completed</status></item></importImageTaskSet>"
        b"</DescribeImportImageTasksResponse>"
    )
    harness.stub.replies = {"DescribeImportImageTasks": [{"status": 200, "body": completed}]}
    aliases = "[command ec2 wait]\ndone = image-import-completed\n"
    result = with_aliases(
        harness, aliases, "ec2", "wait", "done", "--import-task-ids", "import-ami-1"
    )
    assert (result.rc, result.stdout) == (0, "")
    assert pairs(result)[0][-1] == ("ImportTaskId.1", "import-ami-1")


def test_an_operation_alias_is_a_word_among_its_options(harness: Harness) -> None:
    aliases = "[command ec2 cancel-import-task]\ntxt = --output text\n"
    result = with_aliases(
        harness, aliases, "ec2", "cancel-import-task", "txt", "--import-task-id", "t"
    )
    assert (result.rc, result.stdout) == (0, "import-ami-02222222222222222\tactive\tdeleting\n")
    result = with_aliases(harness, aliases, "ec2", "cancel-import-task", "other")
    assert result.rc == 252
    assert "argument subcommand: Found invalid choice 'other'" in result.stderr


# -- external aliases -------------------------------------------------------------------------


def test_an_external_alias_runs_the_shell_with_the_words_quoted(harness: Harness) -> None:
    result = with_aliases(
        harness, "[toplevel]\nsay = !echo said\n", "say", "--output", "text", "a b", "c'd", "$HOME"
    )
    assert (result.rc, result.stderr, result.requests) == (0, "", [])
    assert result.stdout == "said a b c'd $HOME\n"


def test_an_external_alias_gives_the_shells_exit_code_and_stderr(harness: Harness) -> None:
    result = with_aliases(harness, "[command ec2]\nfail = !echo oops >&2; exit 7\n", "ec2", "fail")
    assert (result.rc, result.stdout, result.stderr) == (7, "", "oops\n")


def test_an_external_alias_uses_the_process_streams(harness: Harness) -> None:
    harness.write(ALIAS_FILE, "[toplevel]\nup = !tr a-z A-Z\n")
    result = harness.run_process(["up"], stdin=b"from stdin\n")
    assert (result.rc, result.stdout) == (0, "FROM STDIN\n")
