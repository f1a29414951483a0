"""The tool's cache: entries keyed by their sources, and the help pages kept in it."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest

from ec2_import_image.dropin import cache
from ec2_import_image.dropin.cli.commandline import parse_command_line
from ec2_import_image.dropin.commands import help as help_command
from ec2_import_image.dropin.helpdocs.styled import plain
from ec2_import_image.environment import Environment


@pytest.fixture(autouse=True)
def cache_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    return tmp_path / "ec2-import-image"


def test_an_entry_is_keyed_by_its_sources(tmp_path: Path) -> None:
    source = tmp_path / "source.txt"
    source.write_text("one")
    key = cache.key_for("thing", [str(source)], "extra")
    assert key is not None and key.startswith("thing-")
    cache.store(key, {"a": [1, 2]})
    assert cache.load(key) == {"a": [1, 2]}
    source.write_text("two, longer")
    assert cache.key_for("thing", [str(source)], "extra") != key
    assert cache.key_for("thing", [str(tmp_path / "missing")]) is None
    assert cache.load(None) is None


def test_a_damaged_entry_is_no_entry(cache_home: Path) -> None:
    cache.store("x.marshal", [1])
    (cache_home / "x.marshal").write_bytes(b"\x00garbage")
    assert cache.load("x.marshal") is None


def test_help_pages_come_from_the_cache_the_second_time(
    cache_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    invocation = parse_command_line(["ec2", "import-image", "help"])
    first = help_command.cached_help_lines(invocation)
    assert len(list(cache_home.glob("help-*.marshal"))) == 1

    def not_again(*_: object) -> None:
        raise AssertionError("the page was built again")

    monkeypatch.setattr(help_command, "help_lines", not_again)
    second = help_command.cached_help_lines(invocation)
    assert second == first
    assert plain(second) == plain(first)


def test_a_changed_source_rebuilds_the_page(
    cache_home: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    source = tmp_path / "pages.py"
    source.write_text("x")
    monkeypatch.setattr(help_command, "_page_sources", lambda: [str(source)])
    invocation = parse_command_line(["ec2", "help"])
    help_command.cached_help_lines(invocation)
    source.write_text("changed")
    os.utime(source, ns=(1, 1))
    help_command.cached_help_lines(invocation)
    assert len(list(cache_home.glob("help-*.marshal"))) == 2


def test_the_page_shown_is_the_same_cached_or_not() -> None:
    outputs = []
    for _ in range(2):
        out = io.StringIO()
        env = Environment(stdout=out, stdout_isatty=False)
        help_command.show_help(parse_command_line(["ec2", "import-image", "help"]), env)
        outputs.append(out.getvalue())
    assert outputs[0] == outputs[1]
    assert "DESCRIPTION" in outputs[0]
