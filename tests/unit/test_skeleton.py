"""``--generate-cli-skeleton`` documents against v2's recorded output."""

from __future__ import annotations

import datetime
import io
import json
import random
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from ec2_import_image.dropin.params.skeleton import (
    input_skeleton,
    member_comment,
    output_sample,
    write_input_json,
    write_yaml_input,
)
from ec2_import_image.model.shapes import Model, Shape, load_model

CASES = Path(__file__).resolve().parent.parent / "golden" / "cases" / "skeleton"
OPERATIONS = ("ImportImage", "DescribeImportImageTasks", "CancelImportTask")


def _load(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text("utf-8"))
    return data


def _mode_and_operation(case: dict[str, Any]) -> tuple[str, str]:
    argv: list[str] = case["argv"]
    operation = argv[argv.index("ec2") + 1]
    at = argv.index("--generate-cli-skeleton")
    following = argv[at + 1] if at + 1 < len(argv) else None
    mode = following if following in ("input", "output", "yaml-input") else "input"
    return mode, operation


def _successful_cases(*modes: str) -> list[Path]:
    selected = []
    for path in sorted(CASES.glob("*.json")):
        case = _load(path)
        if case["expect"]["rc"] == 0 and _mode_and_operation(case)[0] in modes:
            selected.append(path)
    return selected


INPUT_CASES = _successful_cases("input", "yaml-input")


def _shapes(cli_name: str) -> tuple[Shape | None, Shape | None]:
    operation = load_model().operation_by_cli_name(cli_name)
    assert operation is not None
    return operation.input_shape, operation.output_shape


def test_input_cases_are_found() -> None:
    names = {path.stem for path in INPUT_CASES}
    assert {"input-no-value", "yaml-input", "describe-tasks-input"} <= names


@pytest.mark.parametrize("path", INPUT_CASES, ids=[path.stem for path in INPUT_CASES])
def test_input_skeleton_matches_v2(path: Path) -> None:
    case = _load(path)
    mode, operation = _mode_and_operation(case)
    input_shape, _ = _shapes(operation)
    stream = io.StringIO()
    if mode == "yaml-input":
        write_yaml_input(input_shape, stream)
    else:
        write_input_json(input_shape, stream)
    assert stream.getvalue() == case["expect"]["stdout"]


def test_output_sample_rendered_as_json_matches_v2() -> None:
    case = _load(CASES / "output-json.json")
    _, output_shape = _shapes("import-image")
    rendered = json.dumps(output_sample(output_shape), indent=4) + "\n"
    assert rendered == case["expect"]["stdout"]


def test_output_sample_behind_a_query_matches_v2() -> None:
    case = _load(CASES / "output-with-query.json")
    _, output_shape = _shapes("import-image")
    sample = output_sample(output_shape)
    assert sample["SnapshotDetails"][0]["UserBucket"] == json.loads(case["expect"]["stdout"])


def test_output_sample_as_yaml_matches_v2() -> None:
    case = _load(CASES / "cancel-output-yaml.json")
    _, output_shape = _shapes("cancel-import-task")
    recorded = YAML(typ="safe").load(case["expect"]["stdout"])
    sample = output_sample(output_shape)
    assert sample == recorded
    assert list(sample) == list(recorded)


def test_output_sample_as_text_matches_v2() -> None:
    case = _load(CASES / "output-text.json")
    _, output_shape = _shapes("import-image")
    sample = output_sample(output_shape)
    first_row = case["expect"]["stdout"].split("\n")[0].split("\t")
    scalars = [str(value) for value in sample.values() if not isinstance(value, list | dict)]
    assert first_row == scalars
    assert "USERBUCKET\tS3Bucket\tS3Key" in case["expect"]["stdout"]


def test_describe_output_sample() -> None:
    _, output_shape = _shapes("describe-import-image-tasks")
    sample = output_sample(output_shape)
    assert list(sample) == ["ImportImageTasks", "NextToken"]
    task = sample["ImportImageTasks"][0]
    assert task["BootMode"] == "BootMode"  # member names win over enums
    assert task["Encrypted"] is True
    assert task["SnapshotDetails"][0]["DiskImageSize"] == 0.0
    assert task["Tags"] == [{"Key": "Key", "Value": "Value"}]
    assert sample["NextToken"] == "NextToken"


def test_none_shapes() -> None:
    assert input_skeleton(None) == {}
    assert output_sample(None) == {}
    stream = io.StringIO()
    write_input_json(None, stream)
    assert stream.getvalue() == "{}\n"
    stream = io.StringIO()
    write_yaml_input(None, stream)
    assert stream.getvalue() == "{}\n"


def test_timestamps_are_datetimes() -> None:
    input_shape, _ = _shapes("import-image")
    skeleton = input_skeleton(input_shape)
    assert skeleton["ClientData"]["UploadStart"] == datetime.datetime(1970, 1, 1)
    # distinct objects, so that the YAML dumper does not alias them
    assert skeleton["ClientData"]["UploadStart"] is not skeleton["ClientData"]["UploadEnd"]


def test_skeleton_paths_do_not_import_botocore() -> None:
    code = textwrap.dedent(
        """
        import io, sys
        from ec2_import_image.model.shapes import load_model
        from ec2_import_image.dropin.params import skeleton
        op = load_model().operation("ImportImage")
        skeleton.write_input_json(op.input_shape, io.StringIO())
        skeleton.write_yaml_input(op.input_shape, io.StringIO())
        skeleton.output_sample(op.output_shape)
        assert "botocore" not in sys.modules, "botocore imported"
        """
    )
    subprocess.run([sys.executable, "-c", code], check=True)


# --------------------------------------------------------------------------
# Against botocore's own generator (enum choice pinned to the first value, as
# v2's copy does; upstream botocore picks one at random).


@pytest.fixture
def first_enum(monkeypatch: pytest.MonkeyPatch) -> None:
    import botocore.utils

    monkeypatch.setattr(random, "choice", lambda values: values[0])
    assert botocore.utils.random is random  # type: ignore[attr-defined]


def _botocore_skeleton(raw: dict[str, Any], shape_name: str, *, names: bool) -> Any:
    from botocore.model import ServiceModel
    from botocore.utils import ArgumentGenerator

    service = ServiceModel({"metadata": {}, "operations": {}, "shapes": raw["shapes"]})
    shape = service.shape_for(shape_name)
    return ArgumentGenerator(use_member_names=names).generate_skeleton(shape)


def _plain(value: Any) -> Any:
    """OrderedDicts to dicts, keeping order, for comparisons that see order."""
    return json.loads(json.dumps(value, default=str))


@pytest.mark.usefixtures("first_enum")
@pytest.mark.parametrize("operation", OPERATIONS)
def test_same_as_botocore_for_the_model(operation: str) -> None:
    model = load_model()
    op = model.operation(operation)
    assert op.input_shape is not None
    assert op.output_shape is not None
    expected_in = _botocore_skeleton(dict(model.raw), op.input_shape.name, names=False)
    expected_out = _botocore_skeleton(dict(model.raw), op.output_shape.name, names=True)
    assert input_skeleton(op.input_shape) == expected_in
    assert output_sample(op.output_shape) == expected_out
    assert _plain(input_skeleton(op.input_shape)) == _plain(expected_in)
    assert json.dumps(output_sample(op.output_shape), default=str) == json.dumps(
        expected_out, default=str
    )


SYNTHETIC: dict[str, Any] = {
    "pinned": {"botocore_version": "0"},
    "metadata": {"apiVersion": "2000-01-01"},
    "operations": {
        "DoThing": {
            "name": "DoThing",
            "input": {"shape": "Node"},
            "output": {"shape": "Node"},
        }
    },
    "shapes": {
        "Node": {
            "type": "structure",
            "required": ["Name", "Count"],
            "members": {
                "Name": {"shape": "Str", "documentation": "<p>The name. Really.</p>"},
                "Count": {"shape": "Long"},
                "Ratio": {"shape": "Float", "documentation": "<p>A ratio: 0 to 1.</p>"},
                "Blob": {"shape": "Bytes", "documentation": "<p>Raw bytes.</p>"},
                "When": {"shape": "Time"},
                "Kind": {"shape": "Kind", "documentation": "<p>The kind.</p>"},
                "Labels": {"shape": "LabelMap", "documentation": "<p>Labels.</p>"},
                "Children": {"shape": "NodeList", "documentation": "<p>Children.</p>"},
                "Parent": {"shape": "Node", "documentation": "<p>The parent.</p>"},
                "Matrix": {"shape": "Matrix"},
                "Enabled": {"shape": "Bool", "documentation": "<p>Use&nbsp;it. Or not.</p>"},
            },
            "documentation": "<p>A node of a tree.</p>",
        },
        "NodeList": {"type": "list", "member": {"shape": "Node"}},
        "Matrix": {"type": "list", "member": {"shape": "Row"}},
        "Row": {"type": "list", "member": {"shape": "Long"}},
        "LabelMap": {"type": "map", "key": {"shape": "Str"}, "value": {"shape": "Str"}},
        "Str": {"type": "string"},
        "Kind": {"type": "string", "enum": ["big", "small"], "documentation": "<p>Size.</p>"},
        "Long": {"type": "long"},
        "Float": {"type": "float"},
        "Bytes": {"type": "blob"},
        "Time": {"type": "timestamp"},
        "Bool": {"type": "boolean"},
    },
}


@pytest.mark.usefixtures("first_enum")
def test_same_as_botocore_for_a_recursive_model() -> None:
    node = Model(SYNTHETIC).shape("Node")
    expected_in = _botocore_skeleton(SYNTHETIC, "Node", names=False)
    expected_out = _botocore_skeleton(SYNTHETIC, "Node", names=True)
    assert input_skeleton(node) == expected_in
    assert output_sample(node) == expected_out


def test_recursive_model_skeleton() -> None:
    node = Model(SYNTHETIC).shape("Node")
    skeleton = input_skeleton(node)
    assert skeleton["Count"] == 0
    assert skeleton["Ratio"] == 0.0
    assert skeleton["Blob"] is None
    assert skeleton["Kind"] == "big"
    assert skeleton["Labels"] == {"KeyName": ""}
    assert skeleton["Matrix"] == [[0]]
    # A structure met a second time on the path is left empty.
    assert skeleton["Children"] == [{}]
    assert skeleton["Parent"] == {}
    sample = output_sample(node)
    assert sample["Name"] == "Name"
    assert sample["Kind"] == "Kind"
    assert sample["Labels"] == {"KeyName": ""}
    stream = io.StringIO()
    write_input_json(node, stream)
    assert '"Blob": null' in stream.getvalue()
    assert '"When": "1970-01-01T00:00:00"' in stream.getvalue()


def test_yaml_comments() -> None:
    node = Model(SYNTHETIC).shape("Node")
    members = node.members
    assert member_comment(members["Name"], required=True) == "[REQUIRED] The name."
    assert member_comment(members["Count"], required=True) == "[REQUIRED] "
    assert member_comment(members["Count"], required=False) == ""
    assert member_comment(members["Ratio"], required=False) == "A ratio."
    assert member_comment(members["Kind"], required=False) == (
        "The kind. Valid values are: big, small."
    )
    assert member_comment(members["Enabled"], required=False) == "<p>Use&nbsp;it."
    stream = io.StringIO()
    write_yaml_input(node, stream)
    # ruamel.yaml puts two spaces before a comment when it finds no commented
    # neighbour to align with (the first key, or one after an uncommented key
    # whose name sorts after it).
    assert stream.getvalue() == (
        "Name: ''  # [REQUIRED] The name.\n"
        "Count: 0 # [REQUIRED] \n"
        "Ratio: 0.0 # A ratio.\n"
        "Blob: !!binary '' # Raw bytes.\n"
        "When: 1970-01-01 00:00:00\n"
        "Kind: big  # The kind. Valid values are: big, small.\n"
        "Labels: # Labels.\n"
        "  KeyName: ''\n"
        "Children: # Children.\n"
        "- {}\n"
        "Parent: {} # The parent.\n"
        "Matrix:\n"
        "- - 0\n"
        "Enabled: true  # <p>Use&nbsp;it.\n"
    )
    parsed = YAML(typ="safe").load(stream.getvalue())
    assert parsed["Blob"] == b""
    assert parsed["Parent"] == {}


def test_member_names_in_lists_are_shape_names() -> None:
    raw: dict[str, Any] = {
        "operations": {},
        "shapes": {
            "Out": {"type": "structure", "members": {"Ids": {"shape": "IdList"}}},
            "IdList": {"type": "list", "member": {"shape": "TaskId"}},
            "TaskId": {"type": "string"},
        },
    }
    assert output_sample(Model(raw).shape("Out")) == {"Ids": ["TaskId"]}
    assert input_skeleton(Model(raw).shape("Out")) == {"Ids": [""]}


def test_json_is_ascii_escaped() -> None:
    raw: dict[str, Any] = {
        "operations": {},
        "shapes": {
            "In": {"type": "structure", "members": {"K": {"shape": "E"}}},
            "E": {"type": "string", "enum": ["caf\u00e9"]},
        },
    }
    stream = io.StringIO()
    write_input_json(Model(raw).shape("In"), stream)
    assert stream.getvalue() == '{\n    "K": "caf\\u00e9"\n}\n'


def test_random_is_untouched() -> None:
    # The generator is deterministic: the first enum value every time.
    state = random.getstate()
    input_shape, _ = _shapes("import-image")
    values = {input_skeleton(input_shape)["BootMode"] for _ in range(20)}
    assert values == {"legacy-bios"}
    assert random.getstate() == state
