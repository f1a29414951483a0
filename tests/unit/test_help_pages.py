"""The manual pages: sections in v2's order, every option with its type and valid values."""

from __future__ import annotations

import re

import pytest

from ec2_import_image.dropin.cli.options import (
    ERROR_FORMAT_CHOICES,
    GLOBAL_OPTIONS,
    OUTPUT_CHOICES,
    SKELETON_CHOICES,
    OptionKind,
    operation_options,
)
from ec2_import_image.dropin.helpdocs.pages import (
    SECTION_ORDER,
    WIDTH,
    documented_options,
    main_page,
    operation_page,
    service_page,
)
from ec2_import_image.dropin.helpdocs.styled import BOLD, UNDERLINE, plain, styles_of
from ec2_import_image.dropin.helpdocs.values import valid_values
from ec2_import_image.dropin.helpdocs.waiters import tool_waiters
from ec2_import_image.dropin.programs import SHORT
from ec2_import_image.model import Operation, Shape, load_model

MODEL = load_model()
OPERATIONS = [MODEL.operation(name) for name in MODEL.operation_names()]
IDS = [op.cli_name for op in OPERATIONS]


def sections(text: str) -> dict[str, str]:
    """Section heading -> body, in page order (the title and footer lines are left out)."""
    found: dict[str, list[str]] = {}
    current: list[str] | None = None
    for row in text.split("\n"):
        if re.fullmatch(r"[A-Z][A-Z ]+", row):
            current = found.setdefault(row, [])
        elif current is not None and not row.rstrip().endswith("()"):
            current.append(row)
    return {name: "\n".join(body) for name, body in found.items()}


def option_entries(options_text: str) -> dict[str, str]:
    """OPTIONS' entries by their first option name (headers are at column 7)."""
    entries: dict[str, list[str]] = {}
    current: list[str] | None = None
    for row in options_text.split("\n"):
        match = re.match(r"       (--[a-z0-9-]+)", row)
        if match:
            current = entries.setdefault(match.group(1), [])
        if current is not None:
            current.append(row)
    return {name: "\n".join(body) for name, body in entries.items()}


def nested_values(shape: Shape, path: tuple[str, ...]) -> set[str]:
    """The valid values of a member and of everything inside it."""
    values = set(valid_values(shape, path))
    while shape.type_name == "list":
        shape = shape.member
    if shape.type_name == "structure":
        for name, member in shape.members.items():
            values |= nested_values(member, (*path, name))
    return values


def page_text(operation: Operation, program: str = "aws") -> str:
    return plain(operation_page(operation, program))


@pytest.mark.parametrize("operation", OPERATIONS, ids=IDS)
def test_sections_appear_in_v2_order(operation: Operation) -> None:
    found = list(sections(page_text(operation)))
    assert found == list(SECTION_ORDER)


@pytest.mark.parametrize("operation", OPERATIONS, ids=IDS)
def test_every_option_is_documented_with_its_type_and_values(operation: Operation) -> None:
    parts = sections(page_text(operation))
    entries = option_entries(parts["OPTIONS"])
    documented = documented_options(operation)
    documented_names = {option.name for option in documented}
    for option in operation_options(operation):
        if option.name not in documented_names and option.documented_with is None:
            # the operation's own paging members, hidden in favour of --starting-token
            assert option.cli_name in parts["OPTIONS"]
            continue
        assert option.cli_name in parts["SYNOPSIS"], option.cli_name
        assert option.cli_name in parts["OPTIONS"], option.cli_name
    for option in documented:
        entry = entries[option.cli_name]
        header = entry.split("\n")[0]
        assert re.search(r"\((string|integer|boolean|list|structure|double|timestamp)\)", header)
        if option.kind is OptionKind.MEMBER:
            assert option.shape is not None and option.member is not None
            assert f"({option.shape.type_name})" in header
            for value in nested_values(option.shape, (operation.name, option.member)):
                assert value in entry, (option.cli_name, value)
        if option.kind is OptionKind.SKELETON:
            for value in SKELETON_CHOICES:
                assert f"* {value}" in entry


def test_documented_but_unmodelled_values_are_shown() -> None:
    entries = option_entries(sections(page_text(MODEL.operation("ImportImage")))["OPTIONS"])
    assert "Valid values: i386 | x86_64" in entries["--architecture"]
    assert "Valid values: Windows | Linux" in entries["--platform"]
    assert "Valid values: AWS | BYOL" in entries["--license-type"]
    assert "Valid values: xen" in entries["--hypervisor"]
    assert "Valid values: OVA | VHD | VHDX | VMDK | RAW" in entries["--disk-containers"]
    boot = entries["--boot-mode"]
    assert "Possible values:" in boot
    assert all(f"* {v}" in boot for v in ("legacy-bios", "uefi", "uefi-preferred"))
    assert "* import-image-task" in entries["--tag-specifications"]


@pytest.mark.parametrize("operation", OPERATIONS, ids=IDS)
def test_structures_and_lists_have_syntax_blocks(operation: Operation) -> None:
    entries = option_entries(sections(page_text(operation))["OPTIONS"])
    for option in documented_options(operation):
        if option.kind is not OptionKind.MEMBER or option.shape is None:
            continue
        entry = entries[option.cli_name]
        shape = option.shape
        if shape.type_name == "structure" or (
            shape.type_name == "list" and shape.member.type_name == "structure"
        ):
            assert "Shorthand Syntax:" in entry, option.cli_name
            assert "JSON Syntax:" in entry, option.cli_name
        elif shape.type_name == "list":
            assert 'Syntax:\n\n          "string" "string" ...' in entry
        else:
            assert "Syntax:" not in entry


def test_shorthand_and_json_syntax_of_disk_containers() -> None:
    entry = option_entries(sections(page_text(MODEL.operation("ImportImage")))["OPTIONS"])[
        "--disk-containers"
    ]
    assert (
        "Description=string,DeviceName=string,Format=string,SnapshotId=string,Url=string,"
        "UserBucket={S3Bucket=string,S3Key=string} ..."
    ) in entry
    assert '"UserBucket": {\n                "S3Bucket": "string",' in entry


@pytest.mark.parametrize("operation", OPERATIONS, ids=IDS)
def test_every_global_option_with_its_type_and_values(operation: Operation) -> None:
    parts = sections(page_text(operation))
    text = parts["GLOBAL OPTIONS"]
    for option in GLOBAL_OPTIONS:
        flag = option.cli_name
        assert re.search(rf"^       {re.escape(flag)} \((boolean|string|int)\)$", text, re.M)
        assert flag in parts["SYNOPSIS"]
        for choice in option.choices:
            assert f"* {choice}" in text
    output = text[text.index("--output (string)") : text.index("--query (string)")]
    assert [c for c in OUTPUT_CHOICES if f"* {c}" in output] == list(OUTPUT_CHOICES)
    assert "off" in output
    errors = text[text.index("--cli-error-format (string)") :]
    assert all(f"* {c}" in errors for c in ERROR_FORMAT_CHOICES)


def test_description_keeps_notes_and_warnings() -> None:
    description = sections(page_text(MODEL.operation("ImportImage")))["DESCRIPTION"]
    assert "       NOTE:\n" in description
    assert "       WARNING:\n" in description
    assert "Import single or multi-volume disk images" in description
    assert "See also: AWS API Documentation" in description


@pytest.mark.parametrize("operation", OPERATIONS, ids=IDS)
def test_examples_and_output(operation: Operation) -> None:
    parts = sections(page_text(operation))
    assert f"aws ec2 {operation.cli_name}" in parts["EXAMPLES"]
    assert operation.output_shape is not None
    for member in operation.output_shape.members:
        assert f"       {member} -> (" in parts["OUTPUT"]


def test_short_program_page_names_itself() -> None:
    text = page_text(MODEL.operation("ImportImage"), SHORT)
    parts = sections(text)
    assert text.startswith("EC2-IMPORT-IMAGE()")
    assert parts["SYNOPSIS"].lstrip().startswith(SHORT)
    assert f"{SHORT} \\" in parts["EXAMPLES"]
    assert "aws ec2 import-image" not in parts["EXAMPLES"]


def test_prose_fits_the_page_width() -> None:
    for operation in OPERATIONS:
        for row in page_text(operation).split("\n"):
            words = row.split()
            if len(row) > WIDTH and len(words) > 1 and not row.startswith(" " * 10):
                pytest.fail(f"too wide: {row!r}")


def test_service_page_lists_this_tools_commands() -> None:
    parts = sections(plain(service_page()))
    assert list(parts) == ["NAME", "DESCRIPTION", "AVAILABLE COMMANDS"]
    listed = re.findall(r"\* (\S+)", parts["AVAILABLE COMMANDS"])
    expected = ["cancel-import-task", "describe-import-image-tasks", "import-image"]
    assert listed == [*expected, "wait"]


def test_main_page() -> None:
    parts = sections(plain(main_page()))
    assert list(parts) == [
        "NAME",
        "DESCRIPTION",
        "SYNOPSIS",
        "GLOBAL OPTIONS",
        "AVAILABLE SERVICES",
    ]
    assert "aws [options] <command> <subcommand> [parameters]" in parts["SYNOPSIS"]
    assert "--cli-error-format (string)" in parts["GLOBAL OPTIONS"]
    assert "* ec2" in parts["AVAILABLE SERVICES"]


def test_pages_have_bold_and_underline() -> None:
    lines = operation_page(MODEL.operation("ImportImage"))
    assert {BOLD, UNDERLINE} <= styles_of(lines)
    headings = [spans for spans in lines if spans and spans[0].text in SECTION_ORDER]
    assert len(headings) == len(SECTION_ORDER)
    assert all(spans[0].style == BOLD for spans in headings)


def test_wait_pages() -> None:
    from ec2_import_image.dropin.helpdocs.pages import wait_page, waiter_page

    waiters = tool_waiters()
    assert list(waiters) == ["image-import-completed"]
    listed = re.findall(r"\* (\S+)", sections(plain(wait_page()))["AVAILABLE COMMANDS"])
    assert listed == sorted(waiters)
    name, operation = next(iter(waiters.items()))
    parts = sections(plain(waiter_page(name, operation)))
    assert list(parts) == list(SECTION_ORDER)
    assert parts["SYNOPSIS"].lstrip().startswith(name)
    assert "--import-task-ids" in parts["OPTIONS"]
    assert "--starting-token" not in parts["OPTIONS"]
    assert parts["OUTPUT"].strip() == "None"
