"""Unit tests of the output formats on small values: the rules v2 applies, one at a time."""

from __future__ import annotations

import datetime
import io
import subprocess
import sys
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import jmespath
import pytest

from ec2_import_image.dropin.errors import GeneralError
from ec2_import_image.dropin.render import (
    DEFAULT_TERMINAL_WIDTH,
    OUTPUT_FORMATS,
    PaginatedResult,
    ResultKey,
    display_width,
    is_paginated,
    render,
)
from ec2_import_image.dropin.render.autoreset import autoreset
from ec2_import_image.dropin.render.table_format import Section, TableBuilder, table_text
from ec2_import_image.dropin.render.text_format import text_lines

RESET = "\x1b[0m"


def rendered(output: str, result: Any, *, query: str | None = None, **options: Any) -> str:
    stream = io.StringIO()
    compiled = None if query is None else jmespath.compile(query)
    render(output, "T", result, stream, query=compiled, **options)
    return stream.getvalue()


class FakePages:
    """A paginated result over fixed pages, shaped like botocore's PageIterator."""

    def __init__(
        self,
        pages: Sequence[dict[str, Any]],
        *,
        resume_token: str | None = None,
        non_aggregate: Mapping[str, Any] | None = None,
    ) -> None:
        self._pages = list(pages)
        self._resume_token = resume_token
        self._non_aggregate = dict(non_aggregate or {})
        self.iterations = 0

    def __iter__(self) -> Iterator[dict[str, Any]]:
        self.iterations += 1
        yield from self._pages

    @property
    def result_keys(self) -> Sequence[ResultKey]:
        return [jmespath.compile("Items")]

    @property
    def non_aggregate_part(self) -> Mapping[str, Any]:
        return self._non_aggregate

    @property
    def resume_token(self) -> str | None:
        return self._resume_token

    def build_full_result(self) -> dict[str, Any]:
        items: list[Any] = []
        for page in self:
            items.extend(page.get("Items", []))
        full: dict[str, Any] = {"Items": items, **self._non_aggregate}
        if self._resume_token is not None:
            full["NextToken"] = self._resume_token
        return full


def as_paginated(pages: FakePages) -> PaginatedResult:
    return pages  # the fake satisfies the protocol (checked by mypy)


# --- the entry point ---------------------------------------------------------------------------


def test_output_formats() -> None:
    assert OUTPUT_FORMATS == ("json", "text", "table", "yaml", "yaml-stream", "off")


def test_unknown_format_fails_before_fetching_anything() -> None:
    pages = FakePages([{"Items": [1]}])
    with pytest.raises(GeneralError, match=r"^Unknown output type: bogus$"):
        render("bogus", "T", pages, io.StringIO())
    assert pages.iterations == 0


def test_off_prints_nothing_but_fetches_every_page() -> None:
    pages = FakePages([{"Items": [1]}, {"Items": [2]}])
    assert rendered("off", pages) == ""
    assert pages.iterations == 1
    assert rendered("off", {"a": 1}) == ""


def test_is_paginated() -> None:
    assert is_paginated(FakePages([]))
    assert not is_paginated({"a": 1})
    assert not is_paginated([1])
    assert not is_paginated(None)


@pytest.mark.parametrize("output", ["json", "text", "table", "yaml", "yaml-stream"])
def test_response_metadata_is_dropped_and_input_kept(output: str) -> None:
    response = {"Id": "x", "ResponseMetadata": {"RequestId": "r", "HTTPStatusCode": 200}}
    text = rendered(output, response)
    assert "RequestId" not in text
    assert "ResponseMetadata" not in text
    assert "x" in text
    assert response["ResponseMetadata"] == {"RequestId": "r", "HTTPStatusCode": 200}


@pytest.mark.parametrize("output", ["json", "text", "yaml", "yaml-stream"])
def test_colour_changes_only_tables(output: str) -> None:
    response = {"Id": "x", "Tags": [{"Key": "k"}]}
    assert rendered(output, response, color=True) == rendered(output, response)


def test_the_package_imports_neither_botocore_nor_ruamel() -> None:
    code = (
        "import sys, ec2_import_image.dropin.render\n"
        "bad = [m for m in sys.modules if m.split('.')[0] in ('botocore', 'boto3', 'ruamel')]\n"
        "assert not bad, bad\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_the_terminal_width_without_a_terminal() -> None:
    """Tables are sized by the run's Environment: 80 columns when stdout is no terminal."""
    from ec2_import_image.environment import Environment

    env = Environment(stdout=io.StringIO(), environ={})
    assert env.terminal_width() == DEFAULT_TERMINAL_WIDTH == 80
    assert env.terminal_width(default=33) == 33


class BrokenPipe(io.StringIO):
    def write(self, text: str) -> int:
        raise BrokenPipeError(32, "Broken pipe")

    def flush(self) -> None:
        raise BrokenPipeError(32, "Broken pipe")


@pytest.mark.parametrize("output", ["json", "table", "yaml", "yaml-stream"])
def test_a_closed_pipe_is_ignored(output: str) -> None:
    render(output, "T", {"a": [1, 2]}, BrokenPipe())


def test_a_closed_pipe_stops_text() -> None:
    with pytest.raises(BrokenPipeError):
        render("text", "T", {"a": 1}, BrokenPipe())


# --- json --------------------------------------------------------------------------------------


def test_json_layout() -> None:
    value = {"b": [1, {"c": None}], "a": "é日😀", "d": 1.5e21, "e": True, "f": []}
    assert rendered("json", value) == (
        "{\n"
        '    "b": [\n'
        "        1,\n"
        "        {\n"
        '            "c": null\n'
        "        }\n"
        "    ],\n"
        '    "a": "é日😀",\n'
        '    "d": 1.5e+21,\n'
        '    "e": true,\n'
        '    "f": []\n'
        "}\n"
    )


def test_json_empty_object_prints_nothing_other_empties_print() -> None:
    assert rendered("json", {}) == ""
    assert rendered("json", {"ResponseMetadata": {}}) == ""
    assert rendered("json", {"a": []}, query="a") == "[]\n"
    assert rendered("json", {"a": 1}, query="b") == "null\n"
    assert rendered("json", {"a": ""}, query="a") == '""\n'
    assert rendered("json", {"a": {}}, query="a") == ""


def test_json_timestamps_and_blobs() -> None:
    when = datetime.datetime(2024, 5, 6, 7, 8, 9, tzinfo=datetime.UTC)
    assert rendered("json", {"t": when, "b": b"\x00\xff"}) == (
        '{\n    "t": "2024-05-06T07:08:09+00:00",\n    "b": "AP8="\n}\n'
    )


def test_json_of_a_paginated_result_is_merged() -> None:
    pages = FakePages([{"Items": [1]}, {"Items": [2]}], resume_token="tok")
    assert rendered("json", pages) == (
        '{\n    "Items": [\n        1,\n        2\n    ],\n    "NextToken": "tok"\n}\n'
    )
    assert rendered("json", pages, query="Items[-1]") == "2\n"


# --- text --------------------------------------------------------------------------------------


def test_text_object_row_is_sorted_scalars_then_nested_by_key() -> None:
    value = {"z": 1, "a": "x", "m": {"k": 2}, "b": [{"q": True}], "c": None}
    assert text_lines(value) == ["x\tNone\t1\n", "B\tTrue\n", "M\t2\n"]


def test_text_list_of_objects_shares_columns() -> None:
    value = {"Disks": [{"a": 1, "n": {"x": 1}}, {"b": 2}, {"a": 3, "b": 4}]}
    assert "".join(text_lines(value)) == ("DISKS\t1\t\nN\t1\nDISKS\t\t2\nDISKS\t3\t4\n")


def test_text_key_scalar_in_one_object_and_nested_in_another() -> None:
    value = [{"a": 1}, {"a": {"x": 1}}]
    assert text_lines(value) == ["1\n", "{'x': 1}\n"]


def test_text_scalar_lists() -> None:
    assert text_lines(["a", 1, None]) == ["a\t1\tNone\n"]
    assert text_lines({"Ids": ["a", "b"]}) == ["IDS\ta\n", "IDS\tb\n"]
    assert text_lines([["a", "b"], "c", ["d"]]) == ["c\n", "a\tb\n", "d\n"]
    assert text_lines({"k": []}) == []
    assert text_lines([]) == []


def test_text_scalars_and_labels() -> None:
    assert text_lines(None) == ["None\n"]
    assert text_lines(1.5e21) == ["1.5e+21\n"]
    assert text_lines(False) == ["False\n"]
    assert text_lines({"straße": {"v": 1}}) == ["STRASSE\t1\n"]
    assert text_lines({}) == []


def test_text_query_null_prints_none() -> None:
    assert rendered("text", {"a": 1}, query="b") == "None\n"


def test_text_pages_print_one_by_one_with_the_next_token_last() -> None:
    pages = FakePages(
        [{"Items": [{"Id": "a"}], "NextToken": "p2"}, {"Items": [{"Id": "b"}]}],
        resume_token="resume",
        non_aggregate={"Owner": "me"},
    )
    # The non-aggregated keys show with the first page only; page tokens never show.
    assert rendered("text", pages) == "me\nITEMS\ta\nITEMS\tb\nNEXTTOKEN\tresume\n"


def test_text_pages_apply_the_query_to_each_page_and_to_the_token() -> None:
    pages = FakePages([{"Items": [{"Id": "a"}]}, {"Items": [{"Id": "b"}]}], resume_token="r")
    # v2 quirk: the query also runs on {"NextToken": {...}}, which prints "None" here.
    assert rendered("text", pages, query="Items[].Id") == "a\nb\nNone\n"
    assert rendered("text", pages, query="NextToken") == "None\nNone\nr\n"


def test_text_pages_missing_result_key_prints_none() -> None:
    assert rendered("text", FakePages([{"Other": 1}])) == "None\n"


def test_text_page_result_key_with_a_dotted_path() -> None:
    class Dotted(FakePages):
        @property
        def result_keys(self) -> Sequence[ResultKey]:
            return [jmespath.compile("Outer.Items")]

    assert rendered("text", Dotted([{"Outer": {"Items": ["a"]}}])) == "ITEMS\ta\n"


# --- yaml --------------------------------------------------------------------------------------


def test_yaml_document() -> None:
    value = {"b": ["x", {"d": 1.5, "c": None}], "a": "19", "e": True, "f": {}}
    assert rendered("yaml", value) == ("a: '19'\nb:\n- x\n- c: null\n  d: 1.5\ne: true\nf: {}\n")


def test_yaml_escapes_characters_outside_the_bmp_and_folds_long_lines() -> None:
    assert rendered("yaml", {"a": "日本 😀"}) == 'a: "日本 \\U0001F600"\n'
    long_text = " ".join(["word"] * 25)
    assert rendered("yaml", {"a": long_text}) == (
        "a: word word word word word word word word word word word word word word word word\n"
        "  word word word word word word word word word\n"
    )


def test_yaml_scalars_print_as_json() -> None:
    assert rendered("yaml", {"a": "日本"}, query="a") == '"日本"\n'
    assert rendered("yaml", {"a": 1}, query="b") == "null\n"
    assert rendered("yaml", {"a": 2.5}, query="a") == "2.5\n"
    assert rendered("yaml", {"a": [1]}, query="a") == "- 1\n"
    assert rendered("yaml", {}) == ""


def test_yaml_stream_of_one_response() -> None:
    assert rendered("yaml-stream", {"a": 1}) == "- a: 1\n"
    assert rendered("yaml-stream", {}) == ""
    assert rendered("yaml-stream", {"a": 1}, query="a") == "- 1\n"


def test_yaml_stream_of_pages() -> None:
    pages = FakePages(
        [{"Items": [1], "NextToken": "p2", "ResponseMetadata": {"RequestId": "r"}}, {}]
    )
    assert rendered("yaml-stream", pages) == "- Items:\n  - 1\n  NextToken: p2\n- {}\n"
    assert rendered("yaml-stream", pages, query="Items") == "- - 1\n- null\n"


def test_yaml_of_pages_is_merged() -> None:
    pages = FakePages([{"Items": [1]}, {"Items": [2]}])
    assert rendered("yaml", pages) == "Items:\n- 1\n- 2\n"


# --- table -------------------------------------------------------------------------------------


def test_display_width_counts_wide_fullwidth_and_ambiguous_as_two() -> None:
    assert display_width("abc") == 3
    assert display_width("日本") == 4  # W
    assert display_width("Ａ") == 2  # F
    assert display_width("é–Д") == 6  # A
    assert display_width("😀") == 2  # W
    assert display_width("ｱ") == 1  # H
    assert display_width("\t") == 1
    assert display_width(None) == 4  # measured as "None"
    assert display_width(1.5) == 3


def test_table_single_scalar_is_a_key_value_row() -> None:
    assert table_text("T", {"a": 1}, 80, False) == (
        "------------\n|     T    |\n+----+-----+\n|  a |  1  |\n+----+-----+\n"
    )


def test_table_scalars_make_a_header_and_one_row() -> None:
    assert table_text("T", {"b": "xy", "a": 1}, 80, False) == (
        "-------------\n"
        "|     T     |\n"
        "+----+------+\n"
        "|  a |  b   |\n"
        "+----+------+\n"
        "|  1 |  xy  |\n"
        "+----+------+\n"
    )


def test_table_too_wide_turns_one_row_sections_on_their_side() -> None:
    value = {"a": "x" * 80, "b": "y"}
    assert table_text("T", value, 200, False).splitlines()[2:] == [
        "+" + "-" * 84 + "+----+",
        "|" + " " * 42 + "a" + " " * 41 + "| b  |",
        "+" + "-" * 84 + "+----+",
        "|  " + "x" * 80 + "  |  y |",
        "+" + "-" * 84 + "+----+",
    ]
    assert table_text("T", value, 80, False).splitlines() == [
        "-" * 91,
        "|" + " " * 44 + "T" + " " * 44 + "|",
        "+---+" + "-" * 85 + "+",
        "|  a|  " + "x" * 80 + "   |",
        "|  b|  y" + " " * 82 + "|",
        "+---+" + "-" * 85 + "+",
    ]


def test_table_nested_sections_are_indented() -> None:
    assert table_text("T", {"a": {"b": {"c": 1}}}, 80, False) == (
        "----------------\n"
        "|       T      |\n"
        "+--------------+\n"
        "||      a     ||\n"
        "|+------------+|\n"
        "|||     b    |||\n"
        "||+----+-----+||\n"
        "|||  c |  1  |||\n"
        "||+----+-----+||\n"
    )


def test_table_list_of_objects_uses_every_scalar_key() -> None:
    assert table_text("T", {"A": [{"k": 1}, {"k": 2, "z": 3}]}, 80, False) == (
        "--------------\n"
        "|      T     |\n"
        "+------------+\n"
        "||     A    ||\n"
        "|+----+-----+|\n"
        "||  k |  z  ||\n"
        "|+----+-----+|\n"
        "||  1 |     ||\n"
        "||  2 |  3  ||\n"
        "|+----+-----+|\n"
    )


def test_table_list_of_objects_with_nested_values_repeats_the_title() -> None:
    text = table_text("T", {"A": [{"k": 1, "n": {"x": 1}}, {"k": 2}]}, 80, False)
    assert text.splitlines() == [
        "----------------",
        "|       T      |",
        "+--------------+",
        "||      A     ||",
        "|+------------+|",
        "||      k     ||",
        "|+------------+|",
        "||  1         ||",
        "|+------------+|",
        "|||     n    |||",
        "||+----+-----+||",
        "|||  x |  1  |||",
        "||+----+-----+||",
        "||      A     ||",
        "|+------------+|",
        "||      k     ||",
        "|+------------+|",
        "||  2         ||",
        "|+------------+|",
    ]


def test_table_lists_of_scalars_and_of_lists() -> None:
    assert table_text("T", {"L": [[1, 2], [3, 4]]}, 80, False).splitlines()[-4:] == [
        "|+----+-----+|",
        "||  1 |  2  ||",
        "||  3 |  4  ||",
        "|+----+-----+|",
    ]
    assert table_text("T", ["a", "b"], 80, False) == (
        "-------\n|  T  |\n+-----+\n|  a  |\n|  b  |\n+-----+\n"
    )


def test_table_of_a_scalar_or_of_nothing() -> None:
    # A scalar shows only the title bar; falsy values show nothing at all.
    assert table_text("T", "scalar", 80, False) == "---\n|T|\n+-+\n"
    nothing: tuple[Any, ...] = (None, {}, [], "", 0, False)
    for value in nothing:
        assert table_text("T", value, 80, False) == ""
    assert rendered("table", {"a": 1}, query="b") == ""


def test_table_rows_of_different_lengths_fail_as_in_v2() -> None:
    with pytest.raises(GeneralError, match=r"^Row should have 1 elements, instead it has 2$"):
        table_text("T", {"L": ["a", ["b", "c"]]}, 80, False)


def test_table_unicode_is_measured_by_display_width() -> None:
    assert table_text("T", {"名前": "サ"}, 80, False) == (
        "----------------\n|       T      |\n+-------+------+\n|  名前 |  サ  |\n+-------+------+\n"
    )


def test_table_colour_codes() -> None:
    bar = f"\x1b[2m\x1b[33m|{RESET}"
    blue = "\x1b[1m\x1b[34m"
    assert table_text("T", {"a": 1, "n": {"x": 2}}, 80, True) == (
        "--------------\n"
        "|      T     |\n"
        "+-----+------+\n"
        f"|  {blue}a{RESET}  |  {blue}1{RESET}   |\n"
        "+-----+------+\n"
        f"{bar}|     n    |{bar}\n"
        f"{bar}+----+-----+{bar}\n"
        f"{bar}|  {blue}x{RESET} |  {blue}2{RESET}  |{bar}\n"
        f"{bar}+----+-----+{bar}\n"
    )


def test_a_coloured_table_on_a_resetting_stream_has_a_reset_after_every_write() -> None:
    # v2's colorama wrapper of stdout writes a reset after each of the table's writes
    bar = f"\x1b[2m\x1b[33m|{RESET}"
    blue = "\x1b[1m\x1b[34m"
    stream = io.StringIO()
    render("table", "T", {"a": 1, "n": {"x": 2}}, autoreset(stream), color=True)
    assert stream.getvalue() == (
        f"--------------\n{RESET}"
        f"{RESET}|      T     |{RESET}{RESET}\n{RESET}"
        f"{RESET}+-----+------+{RESET}{RESET}\n{RESET}"
        f"{RESET}|  {blue}a{RESET}  |  {blue}1{RESET}   |{RESET}{RESET}\n{RESET}"
        f"{RESET}+-----+------+{RESET}{RESET}\n{RESET}"
        f"{bar}{RESET}|     n    |{RESET}{bar}{RESET}\n{RESET}"
        f"{bar}{RESET}+----+-----+{RESET}{bar}{RESET}\n{RESET}"
        f"{bar}{RESET}|  {blue}x{RESET} |  {blue}2{RESET}  |{RESET}{bar}{RESET}\n{RESET}"
        f"{bar}{RESET}+----+-----+{RESET}{bar}{RESET}\n{RESET}"
    )


def test_a_resetting_stream_resets_after_each_write_once_however_often_wrapped() -> None:
    stream = io.StringIO()
    wrapped = autoreset(autoreset(stream))
    wrapped.write("a")
    wrapped.write("")
    assert stream.getvalue() == f"a{RESET}{RESET}"
    assert wrapped.closed is stream.closed  # everything else is the stream's own


def test_table_title_is_the_command_name() -> None:
    stream = io.StringIO()
    render("table", "error", {"Code": "C", "Message": "M"}, stream)
    assert stream.getvalue() == (
        "---------------------\n"
        "|       error       |\n"
        "+-------+-----------+\n"
        "| Code  |  Message  |\n"
        "+-------+-----------+\n"
        "|  C    |  M        |\n"
        "+-------+-----------+\n"
    )


def test_table_of_pages_is_merged_and_the_width_is_a_parameter() -> None:
    pages = FakePages([{"Items": ["a" * 50]}, {"Items": ["b"]}])
    assert rendered("table", pages, terminal_width=10).splitlines() == [
        "-" * 58,
        "|" + " " * 28 + "T" + " " * 27 + "|",
        "+" + "-" * 56 + "+",
        "||" + " " * 25 + "Items" + " " * 24 + "||",
        "|+" + "-" * 54 + "+|",
        "||  " + "a" * 50 + "  ||",
        "||  b" + " " * 51 + "||",
        "|+" + "-" * 54 + "+|",
    ]


def test_section_column_widths_fill_the_total() -> None:
    section = Section("T")
    section.set_headers(["a", "bb", "ccc"])
    assert section.column_widths(10) == [3, 3, 4]
    assert section.column_widths(40) == [11, 13, 16]
    assert sum(section.column_widths(23)) == 23


def test_section_needed_width_counts_an_untitled_section_as_none() -> None:
    assert Section(None, indent=1).needed_width() == 8  # len("None") + 2 + 2


def test_builder_sections() -> None:
    builder = TableBuilder()
    assert builder.add("T", {"a": 1, "b": 2, "L": [{"k": "v"}]})
    assert [(s.title, s.indent, s.headers, s.rows) for s in builder.sections] == [
        ("T", 0, ["a", "b"], [["1", "2"]]),
        ("L", 1, ["k"], [["v"]]),
    ]
    assert not TableBuilder().add("T", {})
