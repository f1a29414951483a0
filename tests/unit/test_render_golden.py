"""The renderers against every recorded case whose output is rendered.

Each case's replies are parsed with botocore's EC2 parser and the pinned
model, paginated with botocore's own ``PageIterator`` where v2 paginates,
rendered with the case's ``--output``/``--query``/``--color`` and compared
byte for byte with what v2 printed.
"""

from __future__ import annotations

import configparser
import io
import json
import warnings
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import jmespath
import pytest
from botocore.loaders import Loader
from botocore.model import OperationModel, ServiceModel
from botocore.paginate import Paginator
from botocore.parsers import EC2QueryParser
from botocore.utils import parse_timestamp

from ec2_import_image.dropin.render import PaginatedResult, render
from ec2_import_image.dropin.render.autoreset import autoreset
from ec2_import_image.model.shapes import model_text
from tests.support.cases import MissingCorpus

CASES = Path(__file__).resolve().parents[1] / "golden" / "cases"
#: Operations v2 paginates (unless --no-paginate).
PAGINATED = {"DescribeImportImageTasks"}
OPERATION_NAMES = {
    "import-image": "ImportImage",
    "describe-import-image-tasks": "DescribeImportImageTasks",
    "cancel-import-task": "CancelImportTask",
}


@cache
def service_model() -> ServiceModel:
    return ServiceModel(json.loads(model_text()), service_name="ec2")


@cache
def pagination_config(operation: str) -> dict[str, Any]:
    model = service_model()
    loaded = Loader().load_service_model("ec2", "paginators-1", model.api_version)
    config: dict[str, Any] = loaded["pagination"][operation]
    return config


def parse_reply(operation: OperationModel, body: bytes, status: int = 200) -> dict[str, Any]:
    """A reply as v2 parses it (timestamps as ISO 8601 strings, v2's default)."""
    parser = EC2QueryParser(timestamp_parser=lambda text: parse_timestamp(text).isoformat())
    shape = operation.output_shape
    assert shape is not None
    parsed: dict[str, Any] = parser.parse(
        {"body": body, "status_code": status, "headers": {}}, shape
    )
    return parsed


@dataclass
class Case:
    path: Path
    data: dict[str, Any]

    @property
    def argv(self) -> list[str]:
        return list(self.data["argv"])

    @property
    def expect(self) -> dict[str, Any]:
        return dict(self.data["expect"])

    def option(self, name: str) -> str | None:
        argv = self.argv
        value = None
        for index, word in enumerate(argv):
            if word == name and index + 1 < len(argv):
                value = argv[index + 1]
            elif word.startswith(name + "="):
                value = word.partition("=")[2]
        return value

    def flag(self, name: str) -> bool:
        return name in self.argv

    @property
    def operation(self) -> str:
        argv = self.argv
        return OPERATION_NAMES[argv[argv.index("ec2") + 1]]

    def output_format(self) -> str:
        explicit = self.option("--output")
        if explicit is not None:
            return explicit
        env: dict[str, str] = dict(self.data.get("env") or {})
        if "AWS_DEFAULT_OUTPUT" in env:
            return env["AWS_DEFAULT_OUTPUT"]
        files: dict[str, str] = dict(self.data.get("files") or {})
        config_text = files.get(".aws/config")
        if config_text is not None:
            profile = self.option("--profile") or env.get("AWS_PROFILE") or "default"
            section = "default" if profile == "default" else f"profile {profile}"
            config = configparser.ConfigParser()
            config.read_string(config_text)
            if config.has_option(section, "output"):
                return config.get(section, "output")
        return "json"

    def replies(self) -> list[bytes]:
        """The bodies of the successful replies, in the order they are sent."""
        bodies = []
        for reply in self.data["replies"][self.operation]:
            if reply["status"] == 200:
                bodies.append((CASES / reply["body"]).read_bytes())
        return bodies


def load_cases(predicate: Callable[[Case], bool]) -> list[Any]:
    """The recorded cases ``predicate`` selects; none (or no corpus) fails the collection."""
    if not CASES.is_dir():
        raise MissingCorpus(f"the recorded cases' folder {CASES} is missing")
    params = []
    for path in sorted(CASES.glob("*/*.json")):
        case = Case(path, json.loads(path.read_text(encoding="utf-8")))
        if predicate(case):
            name = f"{path.parent.name}/{path.stem}"
            params.append(pytest.param(case, id=name))
    if not params:
        raise MissingCorpus(f"no recorded case in {CASES} is {predicate.__name__}")
    return params


def renders_stdout(case: Case) -> bool:
    return (
        case.expect["rc"] == 0
        and bool(case.data.get("replies"))
        and "stdout" in case.data["compare"]
    )


def build_result(case: Case) -> Any:
    operation_model = service_model().operation_model(case.operation)
    pages = [parse_reply(operation_model, body) for body in case.replies()]
    if case.operation not in PAGINATED or case.flag("--no-paginate"):
        return pages[0]
    remaining: Iterator[dict[str, Any]] = iter(pages)

    def method(**kwargs: Any) -> dict[str, Any]:
        return next(remaining)

    pagination: dict[str, Any] = {}
    for option, key in (
        ("--max-items", "MaxItems"),
        ("--page-size", "PageSize"),
        ("--starting-token", "StartingToken"),
    ):
        value = case.option(option)
        if value is not None:
            pagination[key] = value if key == "StartingToken" else int(value)
    paginator: Paginator[dict[str, Any]] = Paginator(
        method,  # type: ignore[arg-type]  # botocore-stubs types the method as its name
        pagination_config(case.operation),
        operation_model,
    )
    paginated: PaginatedResult = paginator.paginate(PaginationConfig=pagination)
    return paginated


def compiled_query(case: Case) -> Any:
    text = case.option("--query")
    if text is None:
        return None
    with warnings.catch_warnings():
        # `Name` is jmespath's deprecated raw-string literal; v2 accepts it silently.
        warnings.simplefilter("ignore", PendingDeprecationWarning)
        return jmespath.compile(text)


@pytest.mark.parametrize("case", load_cases(renders_stdout))
def test_recorded_stdout(case: Case) -> None:
    stream = io.StringIO()
    color = case.option("--color") == "on"
    # v2's coloured table formatter makes stdout reset after every write (render/autoreset.py)
    resetting = color and case.output_format() == "table"
    render(
        case.output_format(),
        case.operation,
        build_result(case),
        autoreset(stream) if resetting else stream,
        query=compiled_query(case),
        color=color,
    )
    assert stream.getvalue() == case.expect["stdout"]


def is_structured_error(case: Case) -> bool:
    return case.option("--cli-error-format") in {"json", "yaml", "text", "table"}


def error_details(case: Case) -> Mapping[str, Any]:
    """The error as v2 hands it to the formatter: the service's fields, or v2's validation."""
    replies: dict[str, list[dict[str, Any]]] = case.data.get("replies") or {}
    for reply in replies.get(case.operation, []):
        if reply["status"] != 200:
            operation_model = service_model().operation_model(case.operation)
            body = (CASES / reply["body"]).read_bytes()
            parsed = parse_reply(operation_model, body, reply["status"])
            error: dict[str, Any] = parsed["Error"]
            return {key: error[key] for key in ("Code", "Message")}
    # A validation error: v2 shows its own message under the code ParamValidation.
    code, _, message = case.expect["stderr"].partition("\t")
    assert code == "ParamValidation"
    return {"Code": code, "Message": message.removesuffix("\n")}


@pytest.mark.parametrize("case", load_cases(is_structured_error))
def test_recorded_structured_error(case: Case) -> None:
    error_format = case.option("--cli-error-format")
    assert error_format is not None
    stream = io.StringIO()
    render(error_format, "error", dict(error_details(case)), stream)
    assert stream.getvalue() == case.expect["stderr"]


def test_every_output_case_is_covered() -> None:
    """Each successful case of the output and tasks areas is among the rendered ones."""
    covered = {param.id for param in load_cases(renders_stdout)}
    for area in ("output", "tasks"):
        for path in sorted((CASES / area).glob("*.json")):
            data = json.loads(path.read_text(encoding="utf-8"))
            if data["expect"]["rc"] == 0:
                assert f"{area}/{path.stem}" in covered


def test_text_query_also_runs_on_the_next_token_of_a_real_page_iterator() -> None:
    """v2 quirk: with --max-items, the query runs on {"NextToken": {...}} too (here: None)."""
    (case,) = [
        param.values[0]
        for param in load_cases(lambda case: case.path.stem == "describe-max-items-3-text")
    ]
    stream = io.StringIO()
    query = jmespath.compile("ImportImageTasks[].ImportTaskId")
    render("text", case.operation, build_result(case), stream, query=query)
    assert stream.getvalue() == (
        "import-ami-01111111111111111\timport-ami-02222222222222222\n"
        "import-ami-03333333333333333\n"
        "None\n"
    )
