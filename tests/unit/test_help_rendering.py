"""The building blocks of the pages: styled lines, styled documentation, values, syntax."""

from __future__ import annotations

from ec2_import_image.dropin.cli.options import GLOBAL_OPTIONS, Arity
from ec2_import_image.dropin.helpdocs.docstyle import doc_lines
from ec2_import_image.dropin.helpdocs.styled import (
    BOLD,
    PLAIN,
    UNDERLINE,
    Span,
    bold,
    line,
    overstrike,
    plain,
    strip_overstrike,
    underline,
)
from ec2_import_image.dropin.helpdocs.syntax import (
    is_scalar_list,
    json_syntax,
    list_syntax,
    shorthand_syntax,
    supports_shorthand,
)
from ec2_import_image.dropin.helpdocs.values import (
    DOCUMENTED_VALUES,
    documented_in_text,
    valid_values,
    values_source,
)
from ec2_import_image.model import load_model

MODEL = load_model()
IMPORT = MODEL.operation("ImportImage")
assert IMPORT.input_shape is not None
MEMBERS = IMPORT.input_shape.members


def test_overstrike_encodes_bold_and_underline_as_groff_does() -> None:
    lines = [line(bold("NAME")), line("  ", underline("ab c"), " x")]
    assert overstrike(lines) == "N\bNA\bAM\bME\bE\n  _\ba_\bb _\bc x\n"
    assert plain(lines) == "NAME\n  ab c x\n"
    assert strip_overstrike(overstrike(lines)) == plain(lines)


def test_line_drops_empty_runs() -> None:
    assert line("", bold(""), "a") == (Span("a"),)


def test_doc_lines_style_code_and_italics() -> None:
    lines = doc_lines("<p>Use <code>--x</code> with <i>care</i>.</p>", 7, 78)
    assert plain(lines) == "       Use --x with care.\n"
    styled = [(span.text, span.style) for span in lines[0] if span.style != PLAIN]
    assert styled == [("--x", BOLD), ("care", UNDERLINE)]


def test_doc_lines_notes_warnings_lists_and_wrapping() -> None:
    lines = doc_lines(IMPORT.documentation, 7, 78)
    text = plain(lines)
    assert text.startswith("       NOTE:\n")
    assert "       WARNING:\n" in text
    assert all(len(row) <= 78 or " " not in row.strip() for row in text.split("\n"))
    note = lines[0]
    assert note[-1] == Span("NOTE:", BOLD)
    kms = plain(doc_lines(MEMBERS["KmsKeyId"].documentation, 10, 78))
    assert "          * Key ID\n" in kms


def test_emphasis_may_span_a_line_break() -> None:
    html = "<p>" + "word " * 20 + "<i>" + "long emphasis " * 6 + "</i> end</p>"
    lines = doc_lines(html, 0, 60)
    underlined = [span.text for spans in lines for span in spans if span.style == UNDERLINE]
    assert len(underlined) >= 2
    assert " ".join(underlined).split() == ("long emphasis " * 6).split()
    assert all(span.style in (PLAIN, UNDERLINE) for spans in lines for span in spans)


def test_empty_documentation_has_no_lines() -> None:
    assert doc_lines("", 7, 78) == []
    assert doc_lines("  ", 7, 78) == []


def test_values_from_the_model_the_documentation_and_the_table() -> None:
    assert valid_values(MEMBERS["BootMode"], ("ImportImage", "BootMode")) == (
        "legacy-bios",
        "uefi",
        "uefi-preferred",
    )
    assert values_source(MEMBERS["BootMode"], ("ImportImage", "BootMode")) == "enum"
    assert valid_values(MEMBERS["Architecture"], ("ImportImage", "Architecture")) == (
        "i386",
        "x86_64",
    )
    assert values_source(MEMBERS["Platform"], ("ImportImage", "Platform")) == "documentation"
    assert valid_values(MEMBERS["LicenseType"], ("ImportImage", "LicenseType")) == ("AWS", "BYOL")
    assert values_source(MEMBERS["LicenseType"], ("ImportImage", "LicenseType")) == "table"
    container = MEMBERS["DiskContainers"].member.members["Format"]
    path = ("ImportImage", "DiskContainers", "Format")
    assert valid_values(container, path) == ("OVA", "VHD", "VHDX", "VMDK", "RAW")
    tags = MEMBERS["TagSpecifications"].member.members["ResourceType"]
    assert "import-image-task" in valid_values(tags, ("ImportImage", "TagSpecifications"))
    assert valid_values(MEMBERS["Description"], ("ImportImage", "Description")) == ()
    assert valid_values(MEMBERS["Encrypted"], ("ImportImage", "Encrypted")) == ()


def test_documented_in_text() -> None:
    html = "<p>The thing.</p> <p>Valid values: <code>a</code> | <code>b-c</code> </p>"
    assert documented_in_text(html) == ("a", "b-c")
    assert documented_in_text("<p>No values here.</p>") == ()


def test_the_table_names_members_that_exist() -> None:
    for path in DOCUMENTED_VALUES:
        shape = MODEL.operation(path[0]).input_shape
        assert shape is not None
        for name in path[1:]:
            while shape.type_name == "list":
                shape = shape.member
            shape = shape.members[name]
        # the table only fills in what the model and its documentation do not give
        assert not documented_in_text(shape.documentation)


def test_shorthand_syntax() -> None:
    assert shorthand_syntax(MEMBERS["ClientData"]) == (
        "Comment=string,UploadEnd=timestamp,UploadSize=double,UploadStart=timestamp"
    )
    assert shorthand_syntax(MEMBERS["TagSpecifications"]) == (
        "ResourceType=string,Tags=[{Key=string,Value=string},{Key=string,Value=string}] ..."
    )
    assert supports_shorthand(MEMBERS["DiskContainers"])
    assert not supports_shorthand(MEMBERS["Description"])


def test_list_and_json_syntax() -> None:
    describe = MODEL.operation("DescribeImportImageTasks").input_shape
    assert describe is not None
    ids = describe.members["ImportTaskIds"]
    assert is_scalar_list(ids)
    assert list_syntax(ids) == '"string" "string" ...'
    assert json_syntax(describe.members["Filters"]) == (
        '[\n  {\n    "Name": "string",\n    "Values": ["string", ...]\n  }\n  ...\n]'
    )
    assert json_syntax(MEMBERS["BootMode"]) == '"legacy-bios"|"uefi"|"uefi-preferred"'
    assert '"ResourceType": "capacity-reservation"|' in json_syntax(MEMBERS["TagSpecifications"])


def test_global_options_follow_the_parser_table() -> None:
    names = [option.cli_name for option in GLOBAL_OPTIONS]
    assert names[:8] == [
        "--debug",
        "--endpoint-url",
        "--no-verify-ssl",
        "--no-paginate",
        "--output",
        "--query",
        "--profile",
        "--region",
    ]
    assert names[8] == "--version"
    assert names[-1] == "--cli-error-format"
    by_name = {option.cli_name: option for option in GLOBAL_OPTIONS}
    assert by_name["--cli-read-timeout"].type_name == "int"
    assert by_name["--debug"].type_name == "boolean"
    assert by_name["--version"].arity is Arity.FLAG
    assert by_name["--output"].choices[-1] == "off"
