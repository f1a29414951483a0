"""Which exception is whose: the tool's own, v2's (the sending libraries'), or a bug.

The exit statuses are an ``IntEnum``; the error table refers to its members.
"""

from __future__ import annotations

import io
from typing import Any

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError
from botocore.parsers import ResponseParserError

from ec2_import_image.awsconfig.chain import SettingConversionError
from ec2_import_image.dropin.entry import main
from ec2_import_image.dropin.errors import (
    ERROR_TABLE,
    ExitStatus,
    GeneralError,
    InternalError,
    ParamValidationError,
    ServiceError,
    crash_as_in_v2,
)
from ec2_import_image.dropin.report import as_cli_error
from ec2_import_image.dropin.service.errors import raised_in, translate
from ec2_import_image.environment import Environment


def test_the_exit_statuses_are_v2s() -> None:
    assert {status.name: int(status) for status in ExitStatus} == {
        "SUCCESS": 0,
        "ERROR_CTRL_C": 130,
        "ERROR_PARAMETER": 252,
        "ERROR_CONFIGURATION": 253,
        "ERROR_SERVICE": 254,
        "ERROR": 255,
    }


def test_every_row_of_the_error_table_is_an_exit_status() -> None:
    for cls, row in ERROR_TABLE.items():
        assert isinstance(row.rc, ExitStatus), cls
    assert ERROR_TABLE[InternalError].rc is ExitStatus.ERROR


def test_a_run_returns_members_of_the_enum() -> None:
    def run(*argv: str) -> Any:
        env = Environment(stdout=io.StringIO(), stderr=io.StringIO(), environ={})
        return main(list(argv), env)

    assert run("ec2", "import-image", "--generate-cli-skeleton") is ExitStatus.SUCCESS
    assert run("ec2", "import-image", "--bogus") is ExitStatus.ERROR_PARAMETER


def raised_by(module: str, source: str, **names: Any) -> Exception:
    """The exception that ``run()``, defined in ``source`` as module ``module``, raises."""
    namespace: dict[str, Any] = {"__name__": module, **names}
    exec(compile(source, f"<{module}>", "exec"), namespace)  # a frame that is that module's
    try:
        namespace["run"]()
    except Exception as error:
        return error
    raise AssertionError("nothing was raised")


def the_tools_own_fault() -> None:
    raise KeyError("ImportTaskId")


@pytest.mark.parametrize(
    ("module", "source", "names", "message"),
    [
        # botocore's own code: a credential refresh, the parser on an odd reply
        ("botocore.credentials", "def run():\n    raise RuntimeError('expired')\n", {}, "expired"),
        ("urllib3.util.timeout", "def run():\n    raise ValueError('bad timeout')\n", {}, None),
        # the standard library, called from botocore: still botocore's doing
        (
            "botocore.parsers",
            "def run():\n    import json\n    json.loads('{')\n",
            {},
            "Expecting property name enclosed in double quotes: line 1 column 2 (char 1)",
        ),
    ],
    ids=["botocore", "urllib3", "stdlib-under-botocore"],
)
def test_pythons_exceptions_from_inside_the_sending_libraries_are_v2s(
    module: str, source: str, names: dict[str, Any], message: str | None
) -> None:
    error = raised_by(module, source, **names)
    translated = translate(error)
    assert general(translated) == (message or str(error))
    assert general(as_cli_error(error)) == general(translated)


def test_the_tools_own_code_called_by_botocore_is_the_tools_fault() -> None:
    error = raised_by("botocore.hooks", "def run():\n    handler()\n", handler=the_tools_own_fault)
    assert raised_in(error.__traceback__) == "tests"
    assert translate(error) is None
    internal = as_cli_error(error)
    assert isinstance(internal, InternalError)
    assert "(KeyError: 'ImportTaskId')" in internal.message
    assert internal.message.startswith("Internal error in ec2-import-image ")


def general(error: object) -> str:
    """The message of a GeneralError (and fail on anything else)."""
    assert type(error) is GeneralError
    return error.message


def test_the_sending_libraries_exception_classes_are_translated() -> None:
    assert general(translate(ResponseParserError("Unable to parse"))) == "Unable to parse"
    refused = EndpointConnectionError(endpoint_url="http://127.0.0.1:1/")
    assert general(translate(refused)) == str(refused)
    reply: Any = {"Error": {"Code": "C", "Message": "M", "X": 1}}
    service = ClientError(reply, "ImportImage")
    translated = translate(service)
    assert isinstance(translated, ServiceError)
    assert translated.details == {"Code": "C", "Message": "M"}
    assert general(translate(SettingConversionError("invalid literal"))) == "invalid literal"


def test_the_tools_errors_stay_as_raised_and_anything_else_is_internal() -> None:
    mine = ParamValidationError("bad")
    assert as_cli_error(mine) is mine
    for error in (KeyError("k"), AttributeError("a"), SystemExit(3)):
        assert isinstance(as_cli_error(error), InternalError)
    assert "(SystemExit: 3)" in as_cli_error(SystemExit(3)).message
    assert "(MemoryError)" in as_cli_error(MemoryError()).message


def test_a_crash_as_in_v2_has_pythons_message() -> None:
    with pytest.raises(ValueError) as raised:
        int("x")
    assert general(crash_as_in_v2(raised.value)) == "invalid literal for int() with base 10: 'x'"
