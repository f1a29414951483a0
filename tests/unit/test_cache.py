"""The tool's cache: entries keyed by their sources, and the help pages kept in it."""

from __future__ import annotations

import io
import marshal
import os
import stat
from pathlib import Path
from typing import Any

import pytest

from ec2_import_image.dropin import cache
from ec2_import_image.dropin.commands import help as help_command
from ec2_import_image.dropin.helpdocs.styled import plain
from ec2_import_image.environment import Environment
from tests.support.parsing import NO_FILES, parse_line

#: the check of the entries these tests store: a dict of lists
IS_ENTRY = cache.is_str_map(lambda value: isinstance(value, list))


@pytest.fixture
def environ(tmp_path: Path) -> dict[str, str]:
    """A run's variables: the cache under the test's directory."""
    return {**NO_FILES, "XDG_CACHE_HOME": str(tmp_path)}


@pytest.fixture
def cache_home(tmp_path: Path) -> Path:
    return tmp_path / "ec2-import-image"


def test_the_cache_is_where_the_runs_variables_say(tmp_path: Path) -> None:
    assert cache.cache_dir({"XDG_CACHE_HOME": "/x"}) == "/x/ec2-import-image"
    assert cache.cache_dir({"HOME": str(tmp_path)}) == f"{tmp_path}/.cache/ec2-import-image"


def test_an_entry_is_keyed_by_its_sources(tmp_path: Path, environ: dict[str, str]) -> None:
    source = tmp_path / "source.txt"
    source.write_text("one")
    key = cache.key_for("thing", [str(source)], "extra")
    assert key is not None and key.startswith("thing-")
    cache.store(key, {"a": [1, 2]}, environ)
    assert cache.load(key, IS_ENTRY, environ) == {"a": [1, 2]}
    source.write_text("two, longer")
    assert cache.key_for("thing", [str(source)], "extra") != key
    assert cache.key_for("thing", [str(tmp_path / "missing")]) is None
    assert cache.load(None, IS_ENTRY, environ) is None


def test_a_damaged_entry_is_no_entry(cache_home: Path, environ: dict[str, str]) -> None:
    cache.store("x.marshal", [1], environ)
    (cache_home / "x.marshal").write_bytes(b"\x00garbage")
    assert cache.load("x.marshal", IS_ENTRY, environ) is None


def test_an_entry_of_another_shape_is_no_entry(cache_home: Path, environ: dict[str, str]) -> None:
    cache.store("x.marshal", {"a": "not a list"}, environ)
    assert cache.load("x.marshal", IS_ENTRY, environ) is None
    cache.store("x.marshal", ["a", "b"], environ)
    assert cache.load("x.marshal", IS_ENTRY, environ) is None
    assert cache.load(
        "x.marshal", cache.is_list_of(lambda item: isinstance(item, str)), environ
    ) == [
        "a",
        "b",
    ]


def test_the_directory_is_created_for_the_user_alone(
    cache_home: Path, environ: dict[str, str]
) -> None:
    previous = os.umask(0o022)
    try:
        cache.store("x.marshal", [1], environ)
    finally:
        os.umask(previous)
    assert stat.S_IMODE(cache_home.stat().st_mode) == 0o700


def test_an_open_directory_of_the_user_is_narrowed_when_an_entry_is_written(
    cache_home: Path,
    environ: dict[str, str],
) -> None:
    cache_home.mkdir(mode=0o755)
    cache_home.chmod(0o755)  # as earlier versions left it, under the umask
    cache.store("x.marshal", {"a": [1]}, environ)
    assert stat.S_IMODE(cache_home.stat().st_mode) == 0o700
    assert cache.load("x.marshal", IS_ENTRY, environ) == {"a": [1]}


def test_entries_in_a_directory_others_can_write_to_are_not_read(
    cache_home: Path, environ: dict[str, str]
) -> None:
    cache.store("x.marshal", {"a": [1]}, environ)
    cache_home.chmod(0o777)
    try:
        assert cache.load("x.marshal", IS_ENTRY, environ) is None
    finally:
        cache_home.chmod(0o700)


def test_wrong_shaped_help_page_is_built_again(cache_home: Path, environ: dict[str, str]) -> None:
    invocation = parse_line(["ec2", "import-image", "help"])
    first = help_command.cached_help_lines(invocation, environ)
    (entry,) = cache_home.glob("help-*.marshal")
    wrong_shapes: list[Any] = [[["text only"]], [[("text", "blink")]], {"lines": []}, "page"]
    for wrong in wrong_shapes:
        entry.write_bytes(marshal.dumps(wrong))
        assert help_command.cached_help_lines(invocation, environ) == first
        assert help_command.cached_help_lines(invocation, environ) == first
    stored = marshal.loads(entry.read_bytes())
    assert [[tuple(span) for span in line] for line in stored] == [
        [tuple(span) for span in line] for line in first
    ]


def test_help_pages_come_from_the_cache_the_second_time(
    cache_home: Path, monkeypatch: pytest.MonkeyPatch, environ: dict[str, str]
) -> None:
    invocation = parse_line(["ec2", "import-image", "help"])
    first = help_command.cached_help_lines(invocation, environ)
    assert len(list(cache_home.glob("help-*.marshal"))) == 1

    def not_again(*_: object) -> None:
        raise AssertionError("the page was built again")

    monkeypatch.setattr(help_command, "help_lines", not_again)
    second = help_command.cached_help_lines(invocation, environ)
    assert second == first
    assert plain(second) == plain(first)


def test_a_changed_source_rebuilds_the_page(
    cache_home: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, environ: dict[str, str]
) -> None:
    source = tmp_path / "pages.py"
    source.write_text("x")
    monkeypatch.setattr(help_command, "_page_sources", lambda: [str(source)])
    invocation = parse_line(["ec2", "help"])
    help_command.cached_help_lines(invocation, environ)
    source.write_text("changed")
    os.utime(source, ns=(1, 1))
    help_command.cached_help_lines(invocation, environ)
    assert len(list(cache_home.glob("help-*.marshal"))) == 2


def test_the_page_shown_is_the_same_cached_or_not(environ: dict[str, str]) -> None:
    outputs = []
    for _ in range(2):
        out = io.StringIO()
        env = Environment(stdout=out, stdout_isatty=False, environ=environ)
        help_command.show_help(parse_line(["ec2", "import-image", "help"]), env)
        outputs.append(out.getvalue())
    assert outputs[0] == outputs[1]
    assert "DESCRIPTION" in outputs[0]
