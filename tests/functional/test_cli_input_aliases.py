"""--cli-input-yaml with aliases: expanded into the request, unless they explode (252)."""

from __future__ import annotations

from tests.support.runner import Harness

IMPORT = ["ec2", "import-image"]


def test_a_document_with_aliases_sends_them_expanded(harness: Harness) -> None:
    harness.write(
        "input.yaml",
        "DiskContainers:\n"
        "  - &disk {Format: ova, UserBucket: {S3Bucket: b, S3Key: k.ova}}\n"
        "  - *disk\n"
        "Description: two of the same\n",
    )
    result = harness.run(
        ["--endpoint-url", harness.endpoint, *IMPORT, "--cli-input-yaml", "file://input.yaml"]
    )
    form = dict(result.requests[0].form)
    for n in (1, 2):
        assert form[f"DiskContainer.{n}.Format"] == "ova"
        assert form[f"DiskContainer.{n}.UserBucket.S3Key"] == "k.ova"
    assert form["Description"] == "two of the same"


def test_an_alias_bomb_is_a_parameter_error_and_nothing_is_sent(harness: Harness) -> None:
    lines = ["l0: &l0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 10)}]" for i in range(1, 10)]
    harness.write("bomb.yaml", "\n".join([*lines, "Description: *l9", ""]))
    result = harness.run(
        ["--endpoint-url", harness.endpoint, *IMPORT, "--cli-input-yaml", "file://bomb.yaml"]
    )
    assert result.rc == 252
    assert result.stderr.startswith(
        "\naws: [ERROR]: An error occurred (ParamValidation): Error parsing parameter "
        "'cli-input-yaml': The YAML document's aliases expand it to "
    )
    assert result.stderr.endswith(
        " values, more than the 100,000 a document may hold. Write the values out, or use "
        "fewer aliases.\n"
    )
    assert result.requests == []
