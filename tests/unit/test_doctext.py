"""HTML documentation of the pinned model as plain text."""

from __future__ import annotations

import re
import xml.dom.minidom
from collections.abc import Iterator
from typing import Any
from xml.parsers.expat import ExpatError

import pytest

from ec2_import_image.model.doctext import doc_overview, html_to_text, xml_text
from ec2_import_image.model.shapes import load_model


def _documentation_strings(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "documentation" and isinstance(value, str):
                yield value
            else:
                yield from _documentation_strings(value)
    elif isinstance(node, list):
        for value in node:
            yield from _documentation_strings(value)


MODEL_DOCS = sorted(set(_documentation_strings(load_model().raw)))


def _dom_text(documentation: str) -> str:
    """An independent oracle: the text nodes of a DOM built by minidom."""
    try:
        dom = xml.dom.minidom.parseString(f"<doc>{documentation}</doc>")
    except ExpatError:
        return documentation
    pieces: list[str] = []

    def walk(node: xml.dom.minidom.Node) -> None:
        for child in node.childNodes:
            if child.nodeType == child.TEXT_NODE:
                pieces.append(child.data)
            else:
                walk(child)

    walk(dom)
    return "".join(pieces)


def _member(operation: str, *path: str) -> str:
    shape = load_model().operation(operation).input_shape
    assert shape is not None
    for name in path:
        shape = shape.member if name == "[]" else shape.members[name]
    return shape.documentation


# --------------------------------------------------------------------------
# doc_overview / xml_text


def test_model_has_documentation() -> None:
    assert len(MODEL_DOCS) > 50


@pytest.mark.parametrize("documentation", MODEL_DOCS, ids=range(len(MODEL_DOCS)))
def test_xml_text_matches_a_dom_walk_on_model_docs(documentation: str) -> None:
    assert xml_text(documentation) == _dom_text(documentation)


@pytest.mark.parametrize(
    "documentation",
    [
        "a<![CDATA[b]]>c",
        "x<!-- comment -->y",
        "<a:b>unbound prefix</a:b>",
        '<x xmlns:a="urn:x"><a:b>bound prefix</a:b></x>',
        "&amp;&#65;&lt;&gt;&quot;&apos;",
        "&nbsp;undefined entity",
        "a & b",
        "<p>unclosed",
        "</p>stray close",
        "<?pi data?>text",
        "a\r\nb",
        '<p a="1" a="2">duplicate attribute</p>',
        "",
        "plain text. No tags",
    ],
)
def test_xml_text_matches_a_dom_walk_on_edge_cases(documentation: str) -> None:
    assert xml_text(documentation) == _dom_text(documentation)


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        (("Architecture",), "The architecture of the virtual machine."),
        (("ClientData",), "The client-specific data."),
        (("ClientData", "UploadSize"), "The size of the uploaded disk image, in GiB."),
        (
            ("DryRun",),
            "Checks whether you have the required permissions for the action, without actually"
            " making the request, and provides an error response.",
        ),
        (("RoleName",), "The name of the role to use when not using the default role, 'vmimport'."),
        (
            ("KmsKeyId",),
            "An identifier for the symmetric KMS key to use when creating the encrypted AMI.",
        ),
        (("BootMode",), "The boot mode of the virtual machine."),
        (("TagSpecifications", "[]", "ResourceType"), "The type of resource to tag on creation."),
        # A list's member has no documentation of its own: the shape's is used.
        (
            ("DiskContainers", "[]"),
            "Describes the disk container object for an import image task.",
        ),
    ],
)
def test_overview_of_import_image_members(path: tuple[str, ...], expected: str) -> None:
    assert doc_overview(_member("ImportImage", *path)) == expected


def test_overview_cuts_at_a_colon() -> None:
    doc = _member("DescribeImportImageTasks", "Filters")
    assert (
        doc_overview(doc)
        == "Filter tasks using the task-state filter and one of the following values."
    )


def test_overview_keeps_leading_blank() -> None:
    shape = load_model().operation("ImportImage").output_shape
    assert shape is not None
    doc = shape.members["LicenseSpecifications"].member.documentation
    assert doc.startswith("<p> The response")
    assert doc_overview(doc) == " The response information for license configurations."


@pytest.mark.parametrize(
    ("html", "expected"),
    [
        ("", ""),
        ("<p></p>", ""),
        ("<p>   </p>", "   ."),
        ("<p>No full stop</p>", "No full stop."),
        ("<p>See e.g. this</p>", "See e."),
        ("<p>Wait... what</p>", "Wait."),
        ("<p>Use <code>a.b</code> here</p>", "Use a."),
        ("<p>Time 10:30 here</p>", "Time 10."),
        ("<p>.Leading stop</p>", ""),
        ("<p>Line\nbreak\u2028here. Then</p>", "Line break here."),
        ("<p>Tom &amp; Jerry. More</p>", "Tom & Jerry."),
        # Not XML: the raw string, tags included, is cut.
        ("<p>Use&nbsp;this. More</p>", "<p>Use&nbsp;this."),
        ("<p>A & B. More</p>", "<p>A & B."),
        ("<p>Unclosed", "<p>Unclosed."),
    ],
)
def test_overview_rules(html: str, expected: str) -> None:
    assert doc_overview(html) == expected


# --------------------------------------------------------------------------
# html_to_text


def test_text_of_paragraphs_and_code() -> None:
    doc = _member("ImportImage", "DryRun")
    assert html_to_text(doc) == (
        "Checks whether you have the required permissions for the action, without actually"
        " making the request, and provides an error response. If you have the required"
        " permissions, the error response is DryRunOperation. Otherwise, it is"
        " UnauthorizedOperation."
    )
    assert html_to_text(_member("ImportImage", "Architecture")) == (
        "The architecture of the virtual machine.\n\nValid values: i386 | x86_64"
    )


def test_text_of_links() -> None:
    doc = _member("ImportImage", "UsageOperation")
    assert html_to_text(doc) == (
        "The usage operation value. For more information, see Licensing options"
        " <https://docs.aws.amazon.com/vm-import/latest/userguide/vmie_prereqs.html"
        "#prerequisites> in the VM Import/Export User Guide."
    )


def test_text_of_lists() -> None:
    text = html_to_text(_member("ImportImage", "KmsKeyId"))
    paragraphs = text.split("\n\n")
    assert (
        paragraphs[1] == "The KMS key identifier may be provided in any of the following formats:"
    )
    items = paragraphs[2].split("\n")
    assert items[:2] == ["* Key ID", "* Key alias"]
    assert items[2].startswith("* ARN using key ID. The ID ARN contains the arn:aws:kms namespace")
    assert items[2].endswith("key/abcd1234-a123-456a-a12b-a123b4cd56ef.")
    assert len(items) == 4
    assert paragraphs[-1] == "Amazon EBS does not support asymmetric KMS keys."


def test_text_of_notes() -> None:
    text = html_to_text(load_model().operation("ImportImage").documentation)
    paragraphs = text.split("\n\n")
    assert paragraphs[0].startswith("Note:\n  To import your virtual machines (VMs)")
    assert "Migration Hub Orchestrator console <https://console.aws.amazon.com/" in paragraphs[0]
    assert "see the Migration Hub Orchestrator User Guide <https://" in paragraphs[0]
    assert paragraphs[1] == (
        "Import single or multi-volume disk images or EBS snapshots into an Amazon Machine"
        " Image (AMI)."
    )
    assert paragraphs[2].startswith("Warning:\n  Amazon Web Services VM Import/Export")
    assert "either the --license-type or --usage-operation parameter" in paragraphs[2]


def test_text_wrapping() -> None:
    text = html_to_text(_member("ImportImage", "KmsKeyId"), width=60)
    for line in text.splitlines():
        assert len(line) <= 60 or " " not in line.strip()
    assert "\n  " in text  # list item continuation lines are indented
    assert text.replace("\n  ", " ").replace("\n", " ").split() == (
        html_to_text(_member("ImportImage", "KmsKeyId")).split()
    )


@pytest.mark.parametrize(
    ("html", "expected"),
    [
        ("", ""),
        ("   ", ""),
        ("plain   text", "plain text"),
        ("<p>a</p><p>b</p>", "a\n\nb"),
        ("<p>a<br/>b</p>", "a\nb"),
        ("<p>x &amp; y &lt;z&gt;  &nbsp;w</p>", "x & y <z> \xa0w"),
        ("<ol><li>one</li><li>two</li></ol>", "1. one\n2. two"),
        ("<ul><li><p>a</p><p>b</p></li></ul>", "* a\n\n  b"),
        ("<ul><li>a<ul><li>b</li></ul></li></ul>", "* a\n  * b"),
        ("<ul><li><p>a</p><ul><li>b</li></ul><p>c</p></li></ul>", "* a\n  * b\n\n  c"),
        ("<ul><li>a<li>b</ul>", "* a\n* b"),
        ("<pre>  x\n    y\n</pre>", "    x\n      y"),
        ("<p>see <a>DescribeImages</a>.</p>", "see DescribeImages."),
        ('<a href="https://x.example/">https://x.example/</a>', "<https://x.example/>"),
        ('<p>see <a href="u"> <i>Guide</i> </a>.</p>', "see Guide <u>."),
        ("<fullname>Name</fullname> <p>Body</p>", "Name\n\nBody"),
        ("<important><p>Careful</p></important>", "Warning:\n  Careful"),
        ("<note></note><p>x</p>", "x"),
        ("<p>text</b> stray</p>", "text stray"),
    ],
)
def test_text_rules(html: str, expected: str) -> None:
    assert html_to_text(html) == expected


_URL = re.compile(r" ?<[a-z]+://[^<>\s]*>")
_MARKERS = re.compile(r"^ *(?:\* |\d+\. |Note:$|Warning:$)", re.MULTILINE)


@pytest.mark.parametrize("documentation", MODEL_DOCS, ids=range(len(MODEL_DOCS)))
def test_text_of_every_model_doc_keeps_its_text(documentation: str) -> None:
    text = html_to_text(documentation)
    assert text == text.strip()
    assert "\n\n\n" not in text
    # Apart from the link targets and the list and note markers, the text is
    # the documentation's character data with its whitespace rearranged.
    bare = _MARKERS.sub("", _URL.sub("", text))
    assert "".join(bare.split()) == "".join(_dom_text(documentation).split())
