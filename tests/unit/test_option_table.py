"""The one option table (``cli.options``), and the records parsing makes from it.

Parsing, the manual pages and completion read the same records: these tests check that
each sees every option of the table, and nothing else, and that the records are frozen.
"""

from __future__ import annotations

import inspect
import re

import pytest

from ec2_import_image.dropin.cli.commandline import Invocation, global_arguments
from ec2_import_image.dropin.cli.globalopts import GIVEN_FIELDS, GlobalOptions, laid_over
from ec2_import_image.dropin.cli.options import (
    GLOBAL_OPTIONS,
    Arity,
    Option,
    OptionKind,
    operation_options,
    waiter_options,
)
from ec2_import_image.dropin.completion.engine import complete
from ec2_import_image.dropin.helpdocs.pages import operation_page, waiter_page
from ec2_import_image.dropin.helpdocs.styled import plain
from ec2_import_image.dropin.record import Record
from ec2_import_image.model import Operation, load_model
from tests.support.parsing import NO_FILES

MODEL = load_model()
OPERATIONS = [MODEL.operation(name) for name in MODEL.operation_names()]
IDS = [operation.cli_name for operation in OPERATIONS]


def test_the_global_options_record_has_a_field_per_global_option() -> None:
    dests = [o.dest for o in GLOBAL_OPTIONS if o.kind is OptionKind.GLOBAL]
    assert sorted(dests) == sorted(GIVEN_FIELDS)
    defaults = GlobalOptions()
    for option in GLOBAL_OPTIONS:
        if option.kind is OptionKind.GLOBAL:
            assert getattr(defaults, option.dest) == option.default, option.name


def test_the_main_parser_reads_the_table_and_adds_version_last() -> None:
    flags = [argument.flags[0] for argument in global_arguments()]
    assert flags[-1] == "--version"
    assert sorted(flags) == sorted(option.cli_name for option in GLOBAL_OPTIONS)


@pytest.mark.parametrize("record", [GlobalOptions, Option, Invocation])
def test_a_records_fields_are_its_init_parameters(record: type[Record]) -> None:
    parameters = list(inspect.signature(record.__init__).parameters)[1:]
    assert sorted(parameters) == sorted(record.__slots__)


def test_records_are_frozen_and_replaced() -> None:
    options = GlobalOptions(region="r1")
    with pytest.raises(AttributeError, match="frozen"):
        options.region = "r2"
    changed = options.replace(region="r2")
    assert (options.region, changed.region) == ("r1", "r2")
    assert changed == GlobalOptions(region="r2")
    assert changed != options


def test_an_alias_lays_its_options_over_a_new_record() -> None:
    user = GlobalOptions(region="r1", ca_bundle="a.pem", read_timeout="5")
    alias = GlobalOptions(output="text", ca_bundle="b.pem")
    result = laid_over(
        user, alias, ["output", "ca_bundle"], kept=["ca_bundle"], reset=["read_timeout"]
    )
    assert (result.region, result.output, result.ca_bundle) == ("r1", "text", "a.pem")
    assert result.read_timeout is None
    assert (user.output, user.read_timeout) == (None, "5")


def _table(operation: Operation, waiter: bool) -> list[Option]:
    return waiter_options(operation) if waiter else operation_options(operation)


def _offered(words: list[str]) -> list[str]:
    return [c.value for c in complete(words, "--", "aws", NO_FILES)]


def _documented(page: str) -> set[str]:
    options = page.split("\nOPTIONS\n", 1)[1].split("\nGLOBAL OPTIONS\n", 1)[0]
    return set(re.findall(r"^       (--[a-z0-9-]+(?: \| --[a-z0-9-]+)*) \(", options, re.M))


@pytest.mark.parametrize("operation", OPERATIONS, ids=IDS)
def test_parser_help_and_completion_read_the_same_options(operation: Operation) -> None:
    cases = [(False, ["ec2", operation.cli_name], plain(operation_page(operation)))]
    if operation.name == "DescribeImportImageTasks":
        page = plain(waiter_page("image-import-completed", operation))
        cases.append((True, ["ec2", "wait", "image-import-completed"], page))
    for waiter, words, page in cases:
        table = _table(operation, waiter)
        names = [option.cli_name for option in table]
        # the parser: one argument per option
        assert [option.argument().flags[0] for option in table] == names
        # completion: the operation's options, then the global ones
        assert _offered(words) == names + [o.cli_name for o in GLOBAL_OPTIONS]
        # help: one entry per option (with those documented with it), paging members aside
        documented = {name for entry in _documented(page) for name in entry.split(" | ")}
        hidden = set(names) - documented
        assert hidden <= {"--next-token", "--max-results"}, hidden


def test_every_kind_is_in_the_table() -> None:
    kinds = {option.kind for option in GLOBAL_OPTIONS}
    for operation in OPERATIONS:
        kinds.update(option.kind for option in operation_options(operation))
    assert kinds == set(OptionKind)


def test_flags_and_values() -> None:
    import_image = operation_options(MODEL.operation("ImportImage"))
    by_name = {option.name: option for option in import_image}
    assert by_name["dry-run"].arity is Arity.FLAG and by_name["dry-run"].flag_value
    assert by_name["no-dry-run"].documented_with == "dry-run"
    assert not by_name["no-dry-run"].flag_value
    assert by_name["disk-containers"].arity is Arity.MANY
    assert by_name["generate-cli-skeleton"].arity is Arity.OPTIONAL
    assert by_name["wait"].exact and by_name["max-wait"].exact
    assert not by_name["description"].exact
