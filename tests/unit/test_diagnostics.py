"""``ec2_import_image.diagnostics``: the one diagnostic record, its person and JSON renderers."""

from __future__ import annotations

import dataclasses

import jsonschema
import pytest
from rich.console import Console

from ec2_import_image.diagnostics import (
    DROPIN_WORDS,
    Diagnostic,
    Keys,
    Severity,
    body,
    headline,
    lines,
    sentence,
    to_json,
)
from ec2_import_image.failures import explain
from ec2_import_image.problems import ProblemCode, problem
from ec2_import_image.vmimport.report import schema

VMDK = Diagnostic(
    ProblemCode.VMDK_NOT_STREAM_OPTIMIZED,
    "disk.vmdk is a monolithicSparse VMDK",
    subject="disk.vmdk",
    hint="qemu-img convert -O vmdk -o subformat=streamOptimized disk.vmdk out.vmdk",
)
FAILED = Diagnostic(
    "import-failed",
    "import-ami-1 failed: ClientError: Unknown OS",
    context="The OS was not recognised.",
    hint="Check the OS.",
    link="https://docs.aws.amazon.com/vm-import/latest/userguide/vmimport-troubleshooting.html",
)


def test_the_record_is_frozen_and_an_error_unless_told() -> None:
    assert VMDK.severity is Severity.ERROR
    with pytest.raises(dataclasses.FrozenInstanceError):
        VMDK.message = "other"  # type: ignore[misc]
    assert problem(ProblemCode.ACCOUNT_UNKNOWN, "account", "m", "r").severity is Severity.WARNING


def test_a_person_reads_the_headline_and_each_part_there_is() -> None:
    assert lines(VMDK) == [
        "error vmdk-not-stream-optimized (disk.vmdk): disk.vmdk is a monolithicSparse VMDK",
        "  fix: qemu-img convert -O vmdk -o subformat=streamOptimized disk.vmdk out.vmdk",
    ]
    assert body(FAILED, indent="") == [
        "cause: The OS was not recognised.",
        "fix: Check the OS.",
        f"source: {FAILED.link}",
    ]
    assert body(FAILED, link=False) == [
        "  cause: The OS was not recognised.",
        "  fix: Check the OS.",
    ]
    assert headline(Diagnostic("incomplete", "the endpoint did not answer")) == (
        "error incomplete: the endpoint did not answer"
    )


def test_a_list_of_diagnostics_reads_one_line_each() -> None:
    copy = Diagnostic(
        "copy-failed", "the copy ami-2 of ami-1", subject="eu-west-1", context="it ended failed"
    )
    assert sentence(copy) == "eu-west-1: the copy ami-2 of ami-1: it ended failed"
    fixed = dataclasses.replace(copy, hint="run again")
    assert sentence(fixed) == "eu-west-1: the copy ami-2 of ami-1: it ended failed; fix: run again"


def test_the_dropin_words_a_known_failure_its_own_way() -> None:
    known = explain("ClientError: Unsupported VMDK File Format")
    assert known is not None
    said = body(known, indent="", words=DROPIN_WORDS)
    assert [line.split(":")[0] for line in said] == ["Cause", "What usually fixes it", "See"]


def test_decorated_lines_colour_the_severity_and_escape_the_text() -> None:
    note = Diagnostic("static-network", "eth0 has [static] addresses", Severity.NOTE, "d.raw")
    decorated = lines(note, decorated=True)
    assert decorated[0].startswith("[bold cyan]note[/] ")
    console = Console(record=True, width=200, force_terminal=False)
    for line in decorated:
        console.print(line)
    # on a terminal it is styled; as text it is what the plain renderer says
    assert console.export_text().splitlines() == lines(note)


def test_json_keeps_each_documents_keys() -> None:
    assert to_json(VMDK, Keys.CHECK) == {
        "code": "vmdk-not-stream-optimized",
        "severity": "error",
        "source": "disk.vmdk",
        "message": "disk.vmdk is a monolithicSparse VMDK",
        "remedy": VMDK.hint,
    }
    assert type(to_json(VMDK, Keys.CHECK)["code"]) is str
    assert to_json(FAILED, Keys.EXPLAIN) == {
        "cause": FAILED.context,
        "remedy": FAILED.hint,
        "source": FAILED.link,
    }
    assert list(to_json(FAILED, Keys.RESULTS)) == ["error_code", "message", "cause", "remedy"]
    assert to_json(None, Keys.RESULTS) == dict.fromkeys(
        ["error_code", "message", "cause", "remedy"]
    )


def test_a_check_problem_in_json_is_valid_against_the_published_schema() -> None:
    document = {
        "version": 2,
        "ok": False,
        "disks": [],
        "account": None,
        "problems": [to_json(VMDK, Keys.CHECK)],
        "roads": {road: ["vmdk-not-stream-optimized"] for road in ("image", "snapshot", "direct")},
        "recommended_road": None,
        "road_reason": "every road is stopped",
    }
    jsonschema.validate(document, schema())
