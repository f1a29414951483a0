"""Words as bash reads them, and the part of a word a candidate replaces (issue 11, section 3).

What bash replaces was observed in a real bash (``complete -F`` and
``complete -C``): after a quote left open, else after the last unquoted
``=``/``:``, else from an unquoted ``@`` (a readline special prefix), else the
whole word; tests/functional/test_completion_shells.py checks it end to end.
"""

from __future__ import annotations

import pytest

from ec2_import_image.dropin.completion.completer import candidates_for_line
from ec2_import_image.dropin.completion.engine import Reach, reach
from ec2_import_image.dropin.completion.handoff import HandOff, merge
from ec2_import_image.dropin.completion.shellwords import (
    ShellWord,
    cut_for_bash,
    read_word,
    split_raw,
)

ENV = {"HOME": "/nonexistent", "AWS_CONFIG_FILE": "/nonexistent", "EC2_IMPORT_IMAGE_FALLBACK": ""}
DC = "aws ec2 import-image --disk-containers "


@pytest.mark.parametrize(
    ("raw", "word"),
    [
        ("Format=ov", ShellWord("Format=ov", 7)),
        ('"Format=ov', ShellWord("Format=ov", 0)),
        ("'Format=ova,UserBucket={S3", ShellWord("Format=ova,UserBucket={S3", 0)),
        ('Format="ov', ShellWord("Format=ov", 7)),
        ("Fo'rmat=ov", ShellWord("Format=ov", 2)),
        ('"Format=ova",Us', ShellWord("Format=ova,Us", 0)),
        ('"Fo"rmat=ov', ShellWord("Format=ov", 7)),
        ("Format\\=ov", ShellWord("Format=ov", 0)),
        ("file:///tm", ShellWord("file:///tm", 5)),
        ("a@b", ShellWord("a@b", 1)),
        ("'a b", ShellWord("a b", 0)),
        ('"a\\"b\\c', ShellWord('a"b\\c', 0)),
        ("", ShellWord("", 0)),
    ],
)
def test_read_word(raw: str, word: ShellWord) -> None:
    assert read_word(raw) == word


def test_split_raw_keeps_quotes() -> None:
    assert split_raw("aws --d 'a b' \"c") == (["aws", "--d", "'a b'"], '"c')
    assert split_raw("aws a\\ b ") == (["aws", "a\\ b"], "")
    assert split_raw("") == ([], "")


def test_candidates_keep_what_was_typed_inside_quotes() -> None:
    assert cut_for_bash(read_word('"Format=ov'), ["Format=OVA"]) == ["Format=OVA"]
    assert cut_for_bash(read_word("Format=ov"), ["Format=OVA"]) == ["OVA"]
    assert cut_for_bash(read_word('Format="ov'), ["Format=OVA"]) == ["OVA"]
    # the head before the replaced part must match: other candidates are not for this word
    assert cut_for_bash(read_word("Format=ov"), ["Other=OVA"]) == []


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        (DC + '"Format=ov', ["Format=OVA"]),
        (DC + "'Format=ov", ["Format=OVA"]),
        (DC + 'Format="ov', ["OVA"]),
        (DC + "Format=ov", ["OVA"]),
        (
            DC + "'Format=ova,UserBucket={S3",
            ["Format=ova,UserBucket={S3Bucket=", "Format=ova,UserBucket={S3Key="],
        ),
        (
            DC + "Format=ova,UserBucket={S3",
            ["{S3Bucket=", "{S3Key="],
        ),
        ('aws ec2 import-image --description "my vm" --arch', ["--architecture"]),
        ("aws ec2 import-image --output 'ya", ["yaml", "yaml-stream"]),
    ],
)
def test_aws_completer_inside_quotes(line: str, expected: list[str]) -> None:
    assert candidates_for_line(line, len(line), ENV) == expected


@pytest.mark.parametrize(
    ("words", "incomplete", "where"),
    [
        ([], "", Reach.COMMAND_WORD),
        ([], "s", Reach.COMMAND_WORD),
        (["--profile", "dev"], "e", Reach.COMMAND_WORD),
        ([], "--pro", Reach.OWN),
        (["--profile"], "", Reach.OWN),
        (["ec2"], "desc", Reach.COMMAND_WORD),
        (["ec2", "wait"], "", Reach.COMMAND_WORD),
        (["ec2", "import-image"], "--", Reach.OWN),
        (["ec2", "import-image", "--platform"], "", Reach.OWN),
        (["ec2", "import-image", "extra"], "", Reach.OWN),
        (["s3"], "", Reach.FOREIGN),
        (["--region", "eu-west-1", "s3", "cp"], "--a", Reach.FOREIGN),
        (["ec2", "run-instances"], "--", Reach.FOREIGN),
        (["ec2", "wait", "image-available"], "", Reach.FOREIGN),
        (["help"], "", Reach.FOREIGN),
    ],
)
def test_reach(words: list[str], incomplete: str, where: Reach) -> None:
    assert reach(words, incomplete) is where


def test_the_short_program_is_always_its_own() -> None:
    assert reach([], "", "ec2-import-image") is Reach.OWN
    assert reach(["s3"], "", "ec2-import-image") is Reach.OWN


def test_merge() -> None:
    assert merge(["ec2"], HandOff(True, None)) == ["ec2"]
    assert merge(["x"], HandOff(False, ["ls ", "cp "])) == ["ls ", "cp "]
    assert merge(["ec2"], HandOff(True, ["ecr ", "ec2 ", "ebs "])) == ["ebs ", "ec2", "ecr "]
    assert merge([], HandOff(False, [])) == []
