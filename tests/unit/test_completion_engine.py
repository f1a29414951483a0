"""The completion engine: command words, options, values, shorthand, paths and profiles."""

from __future__ import annotations

from pathlib import Path

import pytest

from ec2_import_image.dropin.cli.options import (
    ERROR_FORMAT_CHOICES,
    GLOBAL_OPTIONS,
    OUTPUT_CHOICES,
    operation_options,
)
from ec2_import_image.dropin.completion.completer import candidates_for_line
from ec2_import_image.dropin.completion.engine import complete
from ec2_import_image.dropin.completion.paths import complete_path
from ec2_import_image.dropin.completion.profiles import profile_names
from ec2_import_image.dropin.completion.regions import region_names
from ec2_import_image.dropin.completion.shellwords import (
    cut_for_bash,
    glue_bash_words,
    read_word,
    split_line,
)
from ec2_import_image.dropin.helpdocs.waiters import tool_waiters
from ec2_import_image.dropin.programs import completion_variable
from ec2_import_image.model import load_model

ENV: dict[str, str] = {
    "HOME": "/nonexistent",
    "AWS_CONFIG_FILE": "/nonexistent/config",
    "EC2_IMPORT_IMAGE_FALLBACK": "",
}
II = ["ec2", "import-image"]
#: the ec2 command words: the three operations, and ``wait``
EC2_COMMANDS = ["cancel-import-task", "describe-import-image-tasks", "import-image", "wait"]


def values(words: list[str], incomplete: str, program: str = "aws") -> list[str]:
    return [c.value for c in complete(words, incomplete, program, ENV)]


def test_command_words() -> None:
    assert values([], "") == ["ec2"]
    assert values([], "e") == ["ec2"]
    assert values([], "s3") == []
    assert values(["ec2"], "") == EC2_COMMANDS
    assert values(["ec2"], "imp") == ["import-image"]
    assert values(["--debug", "ec2", "--region", "eu-west-1"], "d") == [
        "describe-import-image-tasks"
    ]


def test_nothing_after_an_unknown_word() -> None:
    assert values(["s3"], "") == []
    assert values(["ec2", "run-instances"], "") == []
    assert values([*II, "help"], "") == []


def test_options_of_an_operation_then_the_global_options() -> None:
    operation = load_model().operation("ImportImage")
    own = [o.cli_name for o in operation_options(operation)]
    globals_ = [o.cli_name for o in GLOBAL_OPTIONS]
    assert values(II, "--") == own + globals_
    assert values(II, "") == own + globals_
    assert values(II, "--arch") == ["--architecture"]
    assert values(II, "--no-") == [
        "--no-dry-run",
        "--no-encrypted",
        "--no-verify-ssl",
        "--no-paginate",
        "--no-sign-request",
        "--no-cli-pager",
        "--no-cli-auto-prompt",
    ]
    assert values([], "--") == globals_  # before the operation: global options only
    assert values(II, "arch") == []


def test_given_options_are_not_offered_again() -> None:
    offered = values([*II, "--architecture", "i386", "--debug"], "--")
    assert "--architecture" not in offered
    assert "--debug" not in offered
    assert "--platform" in offered


def test_option_help_and_type() -> None:
    found = {c.value: c for c in complete(II, "--", "aws", ENV)}
    assert found["--architecture"].help == "The architecture of the virtual machine."
    assert found["--architecture"].type_name == "string"
    assert found["--disk-containers"].type_name == "list"
    assert found["--boot-mode"].help == "The boot mode of the virtual machine."
    assert found["--output"].help.startswith("The format of the output")
    describe = {c.value: c for c in complete(["ec2"], "", "aws", ENV)}
    assert describe["import-image"].help.startswith("Import single or multi-volume disk images")


@pytest.mark.parametrize(
    ("option", "expected"),
    [
        ("--architecture", ["i386", "x86_64"]),
        ("--platform", ["Windows", "Linux"]),
        ("--boot-mode", ["legacy-bios", "uefi", "uefi-preferred"]),
        ("--license-type", ["AWS", "BYOL"]),
        ("--hypervisor", ["xen"]),
        ("--output", list(OUTPUT_CHOICES)),
        ("--cli-error-format", list(ERROR_FORMAT_CHOICES)),
        ("--color", ["on", "off", "auto"]),
        ("--cli-binary-format", ["base64", "raw-in-base64-out"]),
        ("--generate-cli-skeleton", ["input", "output", "yaml-input"]),
    ],
)
def test_enumerated_values(option: str, expected: list[str]) -> None:
    assert values([*II, option], "") == expected


def test_values_match_case_insensitively_and_inline() -> None:
    assert values([*II, "--platform"], "win") == ["Windows"]
    assert values([*II, "--boot-mode"], "uefi") == ["uefi", "uefi-preferred"]
    assert values(II, "--output=y") == ["--output=yaml", "--output=yaml-stream"]
    assert values(II, "--debug=") == []
    assert values([*II, "--description"], "") == []


def test_the_short_program_starts_at_the_operation() -> None:
    assert values([], "--arch", "ec2-import-image") == ["--architecture"]
    assert values(["--boot-mode"], "", "ec2-import-image") == [
        "legacy-bios",
        "uefi",
        "uefi-preferred",
    ]
    assert values([], "ec", "ec2-import-image") == []


@pytest.mark.parametrize(
    ("option", "typed", "expected"),
    [
        (
            "--disk-containers",
            "",
            ["Description=", "DeviceName=", "Format=", "SnapshotId=", "Url=", "UserBucket={"],
        ),
        ("--disk-containers", "Format=vm", ["Format=VMDK"]),
        (
            "--disk-containers",
            "Format=",
            ["Format=OVA", "Format=VHD", "Format=VHDX", "Format=VMDK", "Format=RAW"],
        ),
        ("--disk-containers", "Format=ova,Us", ["Format=ova,UserBucket={"]),
        (
            "--disk-containers",
            "Format=ova,UserBucket={S3",
            ["Format=ova,UserBucket={S3Bucket=", "Format=ova,UserBucket={S3Key="],
        ),
        (
            "--disk-containers",
            "Format=ova,UserBucket={S3Bucket=b,",
            ["Format=ova,UserBucket={S3Bucket=b,S3Key="],
        ),
        ("--disk-containers", "Format=ova,UserBucket={S3Bucket=b,S3Key=k},F", []),
        ("--disk-containers", "Bogus=x,", []),
        ("--disk-containers", '{"Format": "ova"}', []),
        ("--tag-specifications", "ResourceType=import-i", ["ResourceType=import-image-task"]),
        ("--tag-specifications", "ResourceType=image,T", ["ResourceType=image,Tags=[{"]),
        ("--tag-specifications", "ResourceType=image,Tags=[{K", ["ResourceType=image,Tags=[{Key="]),
        (
            "--tag-specifications",
            "ResourceType=image,Tags=[{Key=a,Value=b},{V",
            ["ResourceType=image,Tags=[{Key=a,Value=b},{Value="],
        ),
        (
            "--client-data",
            "Comment='a, b',Up",
            [
                "Comment='a, b',UploadEnd=",
                "Comment='a, b',UploadSize=",
                "Comment='a, b',UploadStart=",
            ],
        ),
    ],
)
def test_shorthand(option: str, typed: str, expected: list[str]) -> None:
    assert values([*II, option], typed) == expected


def test_filters_of_describe() -> None:
    words = ["ec2", "describe-import-image-tasks", "--filters"]
    assert values(words, "Name=") == ["Name=task-state"]
    assert values(words, "Name=task-state,Values=") == [
        "Name=task-state,Values=active",
        "Name=task-state,Values=completed",
        "Name=task-state,Values=deleting",
        "Name=task-state,Values=deleted",
    ]
    assert values(words, "Name=task-state,Values=active,c") == [
        "Name=task-state,Values=active,completed"
    ]


def test_file_paths(tmp_path: Path) -> None:
    (tmp_path / "disks.json").write_text("[]")
    (tmp_path / "dir").mkdir()
    (tmp_path / ".hidden").write_text("")
    base = f"file://{tmp_path}/"
    assert complete_path(base, ENV) == [f"{base}dir/", f"{base}disks.json"]
    assert complete_path(base + "di", ENV) == [f"{base}dir/", f"{base}disks.json"]
    assert complete_path(base + ".", ENV) == [f"{base}.hidden"]
    assert complete_path(f"fileb://{tmp_path}/disks", ENV) == [f"fileb://{tmp_path}/disks.json"]
    assert complete_path(f"file://{tmp_path}/missing/", ENV) == []
    assert complete_path("s3://bucket", ENV) == []
    assert complete_path("file://~", ENV) == ["file://~/"]
    assert complete_path("file://~/di", {"HOME": str(tmp_path)}) == [
        "file://~/dir/",
        "file://~/disks.json",
    ]
    assert values([*II, "--cli-input-json"], base + "disks") == [f"{base}disks.json"]
    assert values([*II, "--disk-containers"], base + "disks") == [f"{base}disks.json"]
    assert values([*II, "--cli-input-yaml"], "fi") == ["file://", "fileb://"]


def test_profiles(tmp_path: Path) -> None:
    config = tmp_path / "config"
    config.write_text(
        "[default]\nregion=us-east-1\n[profile dev]\n[profile prod]\n[sso-session x]\n"
    )
    credentials = tmp_path / "credentials"
    credentials.write_text("[default]\n[ci]\n")
    env = {"AWS_CONFIG_FILE": str(config), "AWS_SHARED_CREDENTIALS_FILE": str(credentials)}
    assert profile_names(env) == ["default", "dev", "prod", "ci"]
    found = [c.value for c in complete(["--profile"], "", "aws", env)]
    assert found == ["default", "dev", "prod", "ci"]
    assert [c.value for c in complete([*II, "--profile"], "p", "aws", env)] == ["prod"]
    assert profile_names({"AWS_CONFIG_FILE": str(tmp_path / "none"), "HOME": str(tmp_path)}) == []


def test_regions_come_from_botocore_data() -> None:
    names = dict(region_names())
    assert "us-east-1" in names
    assert names["eu-west-1"]
    assert values([*II, "--region"], "eu-west-") == sorted(
        n for n in names if n.startswith("eu-west-")
    )


def test_split_line() -> None:
    assert split_line("aws ec2 ") == (["aws", "ec2"], "")
    assert split_line("aws ec2 imp") == (["aws", "ec2"], "imp")
    assert split_line("aws --description 'my vm' --arch") == (
        ["aws", "--description", "my vm"],
        "--arch",
    )
    assert split_line('aws --description "unfinished q') == (
        ["aws", "--description"],
        "unfinished q",
    )
    assert split_line("aws a\\ b c") == (["aws", "a b"], "c")


def test_aws_completer_lines() -> None:
    line = "aws ec2 import-image --disk-containers Format=vm"
    assert candidates_for_line(line, len(line), ENV) == ["VMDK"]
    assert candidates_for_line("aws ec2 i --debug", 9, ENV) == ["import-image"]
    assert candidates_for_line("aws ec2 import-image --output=t", 31, ENV) == ["text", "table"]
    assert candidates_for_line("ec2-import-image --boot", 23, ENV) == ["--boot-mode"]
    assert candidates_for_line("", 0, ENV) == []


def test_bash_word_breaks() -> None:
    assert glue_bash_words(["--disk-containers", "Format", "=", "vm"]) == [
        "--disk-containers",
        "Format=vm",
    ]
    assert glue_bash_words(["a", "=", "b", "=", "{c", "=", ""]) == ["a=b={c="]
    assert glue_bash_words(["file", ":", "///tmp"]) == ["file:///tmp"]
    assert glue_bash_words(["--x", ""]) == ["--x", ""]
    assert cut_for_bash(read_word("Format=vm"), ["Format=VMDK"]) == ["VMDK"]
    assert cut_for_bash(read_word("file:///tm"), ["file:///tmp/"]) == ["///tmp/"]
    assert cut_for_bash(read_word("--arch"), ["--architecture"]) == ["--architecture"]
    assert completion_variable("aws") == "_AWS_COMPLETE"
    assert completion_variable("ec2-import-image") == "_EC2_IMPORT_IMAGE_COMPLETE"


def test_waiter_words_and_options() -> None:
    (waiter,) = tool_waiters()
    assert waiter == "image-import-completed"
    assert values(["ec2", "wait"], "") == [waiter]
    assert values(["ec2", "wait"], "zz") == []
    offered = values(["ec2", "wait", waiter], "--")
    assert "--import-task-ids" in offered
    assert "--starting-token" not in offered
    assert values(["ec2", "wait", waiter, "--filters"], "Name=") == ["Name=task-state"]
