"""Shorthand syntax: parsing, v2's exact error messages, and coercion to the model."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from ec2_import_image.dropin.errors import GeneralError
from ec2_import_image.dropin.params import shorthand
from ec2_import_image.dropin.params.paramfile import ResourceLoadingError
from ec2_import_image.dropin.params.shorthand import (
    DuplicateKeyError,
    ShorthandNestingError,
    ShorthandParseError,
    ShorthandSyntaxError,
    coerce_to_shape,
)
from ec2_import_image.model import Shape, load_model
from ec2_import_image.model.shapes import xform_name

#: the run's variables in these tests: none (``key@=file://`` paths are taken as written)
NO_VARIABLES: dict[str, str] = {}


def parse_shorthand(value: str) -> dict[str, Any]:
    return shorthand.parse_shorthand(value, NO_VARIABLES)


def parse_shorthand_words(words: list[str], shape: Shape) -> list[Any]:
    return shorthand.parse_shorthand_words(words, shape, NO_VARIABLES)


GOLDEN = Path(__file__).resolve().parents[1] / "golden" / "cases" / "shorthand"
PARAM_ERROR = "An error occurred (ParamValidation): Error parsing parameter '"


def _input(operation: str) -> Shape:
    shape = load_model().operation(operation).input_shape
    assert shape is not None
    return shape


def member(name: str, operation: str = "ImportImage") -> Shape:
    return _input(operation).members[name]


def error_text(value: str) -> str:
    with pytest.raises(ShorthandParseError) as info:
        parse_shorthand(value)
    return str(info.value)


# -- plain values -------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a=b", {"a": "b"}),
        ("a=b,c=d", {"a": "b", "c": "d"}),
        ("a=b,c", {"a": ["b", "c"]}),
        ("a=b,c,d=e", {"a": ["b", "c"], "d": "e"}),
        ("Values=a,b,c", {"Values": ["a", "b", "c"]}),
        ("a=", {"a": ""}),
        ("a=,b=c", {"a": "", "b": "c"}),
        ("a=,b", {"a": ["", "b"]}),
        ("=x", {"": "x"}),
        ("a = b", {"a": "b"}),
        ("a=b , c=d", {"a": "b", "c": "d"}),
        ("a=  b c  ", {"a": "b c"}),
        ("a=b,\n  c=d", {"a": "b", "c": "d"}),
        ("Key-1.x#/:y=v", {"Key-1.x#/:y": "v"}),
        ("a=x=y", {"a": "x=y"}),
        ("a=b[{=", {"a": "b[{="}),
        ("a=1,2]}", {"a": ["1", "2]}"]}),
        ("a=b\\,c", {"a": "b,c"}),
        ("a=\\,b", {"a": ",b"}),
        ("a=b\\\\,c", {"a": "b\\,c"}),
        ("a=x,b\\,c", {"a": ["x", "b,c"]}),
        ("a=b\\c", {"a": "b\\c"}),
        ("a='x,y'", {"a": "x,y"}),
        ('a="x,y"', {"a": "x,y"}),
        ("a='it\\'s'", {"a": "it's"}),
        ('a="say \\"hi\\""', {"a": 'say "hi"'}),
        ("a='back\\\\slash'", {"a": "back\\slash"}),
        ("a='  padded  '", {"a": "  padded  "}),
        ("a='x',\"y\",z", {"a": ["x", "y", "z"]}),
        ("a=''", {"a": ""}),
        ("a=ünïcödé 日本語 ✓", {"a": "ünïcödé 日本語 ✓"}),
        ("a='🚀'", {"a": "🚀"}),
        ("a=[]", {"a": []}),
        ("a=[b]", {"a": ["b"]}),
        ("a=[b, c ,d]", {"a": ["b", "c", "d"]}),
        ("a=[b,]", {"a": ["b"]}),
        ("a=[,b]", {"a": ["", "b"]}),
        ("a=[b=c]", {"a": ["b=c"]}),
        ("a=[[b],[c,d]]", {"a": [["b"], ["c", "d"]]}),
        ("a=['x]',\"y,\"]", {"a": ["x]", "y,"]}),
        ("a={}", {"a": {}}),
        ("a={b=c}", {"a": {"b": "c"}}),
        ("a={ b = c , d = e }", {"a": {"b": "c", "d": "e"}}),
        ("a={b=[c,d],e={f=g}}", {"a": {"b": ["c", "d"], "e": {"f": "g"}}}),
        ("a={b=c,b=d}", {"a": {"b": "d"}}),
        ("a=[{b=c},{b=d}]", {"a": [{"b": "c"}, {"b": "d"}]}),
        ("a={b=c} , d=e", {"a": {"b": "c"}, "d": "e"}),
        ("a=[b] ,d=e", {"a": ["b"], "d": "e"}),
        # A quote inside a comma-separated run: the run is abandoned at the
        # last comma before the failure, which here is inside the quotes.
        ("a=b,'x,y'z", None),
    ],
)
def test_values(text: str, expected: dict[str, Any] | None) -> None:
    if expected is None:
        with pytest.raises(ShorthandSyntaxError):
            parse_shorthand(text)
    else:
        assert parse_shorthand(text) == expected


def test_key_order_is_kept() -> None:
    parsed = parse_shorthand("UserBucket={S3Key=k.raw,S3Bucket=b},Url=s3://b/k.raw,Format=raw")
    assert list(parsed) == ["UserBucket", "Url", "Format"]
    assert list(parsed["UserBucket"]) == ["S3Key", "S3Bucket"]


def test_quoted_value_without_unescaped_close_ends_at_last_quote() -> None:
    # With no unescaped closing quote, v2 closes the value at the last
    # (escaped) quote and keeps its backslash.
    assert parse_shorthand("a='abc\\'") == {"a": "abc\\"}
    assert parse_shorthand("a='x\\'y\\'") == {"a": "x'y\\"}
    assert parse_shorthand("a='x\\\\'") == {"a": "x\\"}


def test_unicode_whitespace_is_trimmed_but_not_skipped() -> None:
    # Trailing whitespace of bare values is anything str.isspace() accepts ...
    assert parse_shorthand("a=b\u3000") == {"a": "b"}
    # ... but only ASCII whitespace separates tokens, and U+00A0 can start a value.
    assert parse_shorthand("a=\xa0b") == {"a": "\xa0b"}
    assert "received: '\xa0'" in error_text("a=[b]\xa0,c=d")


# -- the recorded cases ---------------------------------------------------------


def test_recorded_forms() -> None:
    disk = member("DiskContainers")
    tags = member("TagSpecifications")
    assert parse_shorthand_words(["Description=a\\,b\\,c,Format=ova"], disk) == [
        {"Description": "a,b,c", "Format": "ova"}
    ]
    assert parse_shorthand_words(['Description="say \\"hi\\" twice",Format=vhdx'], disk) == [
        {"Description": 'say "hi" twice', "Format": "vhdx"}
    ]
    assert parse_shorthand_words(["Description='it\\'s mine',Format=ova"], disk) == [
        {"Description": "it's mine", "Format": "ova"}
    ]
    assert parse_shorthand_words(["Description=,Format=ova"], disk) == [
        {"Description": "", "Format": "ova"}
    ]
    assert parse_shorthand_words(["Description=   padded value   ,Format=ova"], disk) == [
        {"Description": "padded value", "Format": "ova"}
    ]
    assert parse_shorthand_words(["Format=ova,\n  Description=multi line input"], disk) == [
        {"Format": "ova", "Description": "multi line input"}
    ]
    assert parse_shorthand_words(
        [
            "Format=vmdk,UserBucket={S3Bucket=b1,S3Key=disk1.vmdk}",
            "Format=vmdk,UserBucket={S3Bucket=b1,S3Key=disk2.vmdk},DeviceName=/dev/sdb",
            "SnapshotId=snap-0ffffffffffffffff",
        ],
        disk,
    ) == [
        {"Format": "vmdk", "UserBucket": {"S3Bucket": "b1", "S3Key": "disk1.vmdk"}},
        {
            "Format": "vmdk",
            "UserBucket": {"S3Bucket": "b1", "S3Key": "disk2.vmdk"},
            "DeviceName": "/dev/sdb",
        },
        {"SnapshotId": "snap-0ffffffffffffffff"},
    ]
    assert parse_shorthand_words(
        [
            "Description=Root disk,DeviceName=/dev/sda1,Format=vmdk,"
            "SnapshotId=snap-0123456789abcdef0,Url=s3://my-bucket/disks/root.vmdk,"
            "UserBucket={S3Bucket=my-bucket,S3Key=disks/root.vmdk}"
        ],
        disk,
    ) == [
        {
            "Description": "Root disk",
            "DeviceName": "/dev/sda1",
            "Format": "vmdk",
            "SnapshotId": "snap-0123456789abcdef0",
            "Url": "s3://my-bucket/disks/root.vmdk",
            "UserBucket": {"S3Bucket": "my-bucket", "S3Key": "disks/root.vmdk"},
        }
    ]
    assert parse_shorthand_words(
        [
            "ResourceType=import-image-task,"
            'Tags=[{Key=expr,Value=\'a=b,c\'},{Key="k 2",Value="v, 2"}]'
        ],
        tags,
    ) == [
        {
            "ResourceType": "import-image-task",
            "Tags": [{"Key": "expr", "Value": "a=b,c"}, {"Key": "k 2", "Value": "v, 2"}],
        }
    ]
    assert parse_shorthand_words(
        ["ResourceType=import-image-task,Tags=[{Key=Name,Value=web 01},{Key=team,Value=infra}]"],
        tags,
    ) == [
        {
            "ResourceType": "import-image-task",
            "Tags": [{"Key": "Name", "Value": "web 01"}, {"Key": "team", "Value": "infra"}],
        }
    ]
    assert parse_shorthand_words(
        ["ResourceType=import-image-task,Tags={Key=Name,Value=solo}"], tags
    ) == [{"ResourceType": "import-image-task", "Tags": [{"Key": "Name", "Value": "solo"}]}]
    arn = "arn:aws:license-manager:us-east-1:123456789012:license-configuration:lic-"
    assert parse_shorthand_words(
        [f"LicenseConfigurationArn={arn}1", f"LicenseConfigurationArn={arn}2"],
        member("LicenseSpecifications"),
    ) == [{"LicenseConfigurationArn": f"{arn}1"}, {"LicenseConfigurationArn": f"{arn}2"}]
    # Unknown keys and wrongly typed values are left for validation.
    assert parse_shorthand_words(["Foo=bar"], disk) == [{"Foo": "bar"}]
    assert parse_shorthand_words(["UserBucket=S3Bucket=b"], disk) == [{"UserBucket": "S3Bucket=b"}]


def test_recorded_client_data() -> None:
    client = member("ClientData")
    assert coerce_to_shape(
        parse_shorthand("UploadStart=2024-01-02,UploadEnd=2024-01-02 03:04:05"), client
    ) == {"UploadStart": "2024-01-02", "UploadEnd": "2024-01-02 03:04:05"}
    assert coerce_to_shape(
        parse_shorthand("UploadStart=1700000000,UploadEnd=1700003600.25,UploadSize=3"), client
    ) == {"UploadStart": "1700000000", "UploadEnd": "1700003600.25", "UploadSize": 3.0}
    coerced = coerce_to_shape(
        parse_shorthand(
            "UploadStart=2024-02-29T23:59:59-05:00,UploadEnd=2024-03-01T10:00:00+05:30,"
            "UploadSize=1e3"
        ),
        client,
    )
    assert coerced["UploadSize"] == 1000.0
    assert isinstance(coerced["UploadSize"], float)
    assert coerced["UploadStart"] == "2024-02-29T23:59:59-05:00"
    assert coerce_to_shape(
        parse_shorthand(
            "UploadStart=2024-01-02T03:04:05Z,UploadEnd=2024-01-02T05:00:00Z,"
            "UploadSize=8.5,Comment=nightly upload"
        ),
        client,
    ) == {
        "UploadStart": "2024-01-02T03:04:05Z",
        "UploadEnd": "2024-01-02T05:00:00Z",
        "UploadSize": 8.5,
        "Comment": "nightly upload",
    }
    assert coerce_to_shape(parse_shorthand("UploadStart=notadate"), client) == {
        "UploadStart": "notadate"
    }
    # v2's own crash, with Python's message: deliberately a general error (255)
    with pytest.raises(GeneralError, match=r"^could not convert string to float: 'big'$"):
        coerce_to_shape(parse_shorthand("UploadSize=big"), client)


def _recorded_param_errors() -> list[tuple[str, list[str], str]]:
    cases = []
    for path in sorted(GOLDEN.glob("*.json")):
        case = json.loads(path.read_text("utf-8"))
        stderr: str = case["expect"]["stderr"]
        if PARAM_ERROR not in stderr:
            continue
        option, _, message = stderr.split(PARAM_ERROR, 1)[1].partition("': ")
        argv: list[str] = case["argv"]
        start = argv.index(option) + 1
        end = next((i for i in range(start, len(argv)) if argv[i].startswith("--")), len(argv))
        cases.append((option, argv[start:end], message.removesuffix("\n")))
    return cases


RECORDED_ERRORS = _recorded_param_errors()


def test_recorded_errors_were_found() -> None:
    assert len(RECORDED_ERRORS) >= 6


@pytest.mark.parametrize(("option", "words", "message"), RECORDED_ERRORS)
def test_recorded_error_messages(option: str, words: list[str], message: str) -> None:
    shape = _input("ImportImage")
    name = next(n for n in shape.members if "--" + xform_name(n, "-") == option)
    with pytest.raises(ShorthandParseError) as info:
        parse_shorthand_words(words, shape.members[name])
    assert str(info.value) == message


# -- error messages ------------------------------------------------------------


def test_error_caret_and_newlines() -> None:
    assert error_text("Format") == "Expected: '=', received: 'EOF' for input:\n Format\n      ^"
    assert error_text("Format=ova,\nUserBucket={S3Bucket=b,S3Key") == (
        "Expected: '=', received: 'EOF' for input:\n"
        " Format=ova,\nUserBucket={S3Bucket=b,S3Key\n"
        "                            ^"
    )
    # A newline after the error: the caret goes right under the failing line.
    assert error_text("a==b,\nc=d") == ("Expected: ',', received: '=' for input:\n a==b,\n  ^\nc=d")
    assert error_text("a=b,\nc==d\ne=f") == (
        "Expected: ',', received: '=' for input:\n a=b,\nc==d\n  ^\ne=f"
    )


def test_error_forms() -> None:
    assert error_text("") == "Expected: '=', received: 'EOF' for input:\n \n^"
    assert error_text("a=b,") == "Expected: '<second>', received: '<none>' for input:\n a=b,\n    ^"
    assert error_text("a=b, ") == (
        "Expected: '<second>', received: '<none>' for input:\n a=b, \n     ^"
    )
    assert error_text('a="x') == (
        "Expected: '<double quoted>', received: '<none>' for input:\n a=\"x\n  ^"
    )
    # An unterminated quote in a later run item is not reported as such: the
    # run ends at the comma and "'x" is then read as the next key=value.
    assert error_text("a=b,'x") == "Expected: '=', received: ''' for input:\n a=b,'x\n    ^"
    assert error_text("a='x") == (
        "Expected: '<singled quoted>', received: '<none>' for input:\n a='x\n  ^"
    )
    assert error_text("a=[b") == "Expected: ',', received: 'EOF' for input:\n a=[b\n    ^"
    assert error_text("a={b=c") == "Expected: ',', received: 'EOF' for input:\n a={b=c\n      ^"
    assert error_text("a=[b}") == "Expected: ',', received: '}' for input:\n a=[b}\n    ^"
    assert error_text("a={b}") == "Expected: '=', received: '}' for input:\n a={b}\n    ^"
    assert error_text("a={b=c}x") == "Expected: ',', received: 'x' for input:\n a={b=c}x\n       ^"
    assert error_text("a b") == "Expected: '=', received: 'b' for input:\n a b\n  ^"
    assert error_text("a@b") == "Expected: '=', received: 'b' for input:\n a@b\n  ^"
    assert error_text("a='x'y") == "Expected: ',', received: 'y' for input:\n a='x'y\n     ^"
    assert error_text("Description=rocket 🚀,Format=ova") == (
        "Expected: ',', received: '🚀' for input:\n"
        " Description=rocket 🚀,Format=ova\n"
        "                   ^"
    )


def test_duplicate_key() -> None:
    with pytest.raises(DuplicateKeyError) as info:
        parse_shorthand("Format=ova,Format=vhd")
    assert str(info.value) == (
        'Second instance of key "Format" encountered for input:\n'
        "Format=ova,Format=vhd\n"
        "           ^\n"
        'This is often because there is a preceding "," instead of a space.'
    )
    assert info.value.key == "Format"
    # The caret sits one past the end of the previous pair, whatever is there.
    assert error_text("a={b=c} ,a=d").splitlines()[1:3] == ["a={b=c} ,a=d", "        ^"]
    assert error_text("a=b ,\n a=c").splitlines()[1:4] == ["a=b ,", "     ^", " a=c"]


def test_backtracking_reads_a_bad_item_as_the_next_key() -> None:
    # "x,y" is no run item ("'" cannot be followed by "z"), so v2 rewinds to
    # the comma inside the quotes and reads "y" as a key.
    assert error_text("a=b,'x,y'z") == (
        "Expected: '=', received: ''' for input:\n a=b,'x,y'z\n        ^"
    )


def test_deep_nesting_is_a_parse_error() -> None:
    with pytest.raises(ShorthandNestingError) as info:
        parse_shorthand("a=" + "[" * 100_000)
    assert str(info.value) == "maximum recursion depth exceeded"
    assert parse_shorthand("a=" + "[" * 50 + "]" * 50)["a"] is not None


# -- key@=file://... -------------------------------------------------------------


def test_at_equals_loads_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "desc.txt").write_text("description read from a file", "utf-8")
    (tmp_path / "blob.bin").write_bytes(b"\x00\xff")
    (tmp_path / "empty.txt").write_text("", "utf-8")
    assert parse_shorthand("Format=ova,Description@=file://desc.txt") == {
        "Format": "ova",
        "Description": "description read from a file",
    }
    assert parse_shorthand("a @ = fileb://blob.bin") == {"a": b"\x00\xff"}
    assert parse_shorthand("a@='file://desc.txt'") == {"a": "description read from a file"}
    assert parse_shorthand("a@=file://empty.txt") == {"a": ""}
    assert parse_shorthand("a@=plain,file://desc.txt") == {
        "a": ["plain", "description read from a file"]
    }
    assert parse_shorthand("a@=[file://desc.txt]") == {"a": ["description read from a file"]}
    assert parse_shorthand("a={b@=file://desc.txt,c=file://desc.txt}") == {
        "a": {"b": "description read from a file", "c": "file://desc.txt"}
    }
    # Without "@" nothing is loaded; the flag belongs to the latest key.
    assert parse_shorthand("a=file://desc.txt,b@=x") == {"a": "file://desc.txt", "b": "x"}
    assert parse_shorthand("a@=[{b=1},file://desc.txt]") == {"a": [{"b": "1"}, "file://desc.txt"]}
    with pytest.raises(ResourceLoadingError) as info:
        parse_shorthand("a@=file://missing.txt")
    assert str(info.value) == (
        "Unable to load paramfile file://missing.txt: "
        "[Errno 2] No such file or directory: 'missing.txt'"
    )


# -- coercion ------------------------------------------------------------------


def test_coerce_lists_and_scalars() -> None:
    filters = member("Filters", "DescribeImportImageTasks")
    assert parse_shorthand_words(
        ["Name=task-state,Values=active", "Name=x,Values=a,b"], filters
    ) == [
        {"Name": "task-state", "Values": ["active"]},
        {"Name": "x", "Values": ["a", "b"]},
    ]
    request = _input("DescribeImportImageTasks")
    assert coerce_to_shape({"MaxResults": "5", "DryRun": "TRUE"}, request) == {
        "MaxResults": 5,
        "DryRun": True,
    }
    assert coerce_to_shape({"DryRun": "False"}, request) == {"DryRun": False}
    assert coerce_to_shape({"DryRun": "yes"}, request) == {"DryRun": "yes"}
    # A lone value wrapped into a list is not coerced any further.
    assert coerce_to_shape({"Filters": {"Name": "n", "Values": "v"}}, request) == {
        "Filters": [{"Name": "n", "Values": "v"}]
    }
    assert coerce_to_shape("x", filters) == ["x"]
    assert coerce_to_shape(None, filters) is None
    # Structures given something else are left for validation.
    assert coerce_to_shape({"Filters": ["a", ["b"]]}, request) == {"Filters": ["a", ["b"]]}
    # what v2's coercion crashes on fails with Python's message, as a general error
    with pytest.raises(GeneralError, match=r"^invalid literal for int\(\) with base 10: '1\.5'$"):
        coerce_to_shape({"MaxResults": "1.5"}, request)
    with pytest.raises(GeneralError, match=r"^int\(\) argument must be a string"):
        coerce_to_shape({"MaxResults": ["1"]}, request)
    with pytest.raises(GeneralError, match=r"^'dict' object has no attribute 'lower'$"):
        coerce_to_shape({"DryRun": {"a": "b"}}, request)


def test_coerce_follows_model_order_and_copies() -> None:
    client = member("ClientData")
    original = {"UploadSize": "2", "Comment": "c"}
    coerced = coerce_to_shape(original, client)
    assert coerced == {"UploadSize": 2.0, "Comment": "c"}
    assert list(coerced) == ["UploadSize", "Comment"]
    assert original == {"UploadSize": "2", "Comment": "c"}


def test_parse_words_parses_all_before_coercing() -> None:
    client_list = member("DiskContainers")
    with pytest.raises(ShorthandParseError):
        parse_shorthand_words(["Format=ova", "Format"], client_list)
    with pytest.raises(TypeError):
        parse_shorthand_words(["a=b"], member("ClientData"))


def test_no_botocore_import() -> None:
    code = (
        "import sys\n"
        "import ec2_import_image.dropin.params.shorthand\n"
        "import ec2_import_image.dropin.params.paramfile\n"
        "assert not [m for m in sys.modules if m.split('.')[0] in ('botocore', 'boto3')]\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


# -- robustness ---------------------------------------------------------------

# No "/", "~" or "$" on their own: a file reference can only name something
# relative to the (temporary) working directory.
_GRAMMAR_PIECES = st.sampled_from(
    [*"abZ09=,@{}[]'\"\\ \t\n.-_#:!|", "\xa0", "🚀", "é", "\x00", "file://", "fileb://x"]
)
_TEXTS = st.one_of(st.text(max_size=40), st.lists(_GRAMMAR_PIECES, max_size=40).map("".join))


@settings(
    max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(text=_TEXTS)
def test_any_text_parses_or_raises_own_error(
    text: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assume(re.search(r"fileb?://[/~$]", text) is None)
    monkeypatch.chdir(tmp_path)
    try:
        result = parse_shorthand(text)
    except (ShorthandParseError, ResourceLoadingError):
        return
    assert isinstance(result, dict)
