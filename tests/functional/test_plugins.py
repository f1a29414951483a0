"""v2's legacy plugins: one that cannot be imported ends every command as in v2."""

from __future__ import annotations

from tests.support.runner import Harness

SKELETON = ["ec2", "import-image", "--generate-cli-skeleton"]


def configure(harness: Harness, *plugins: str) -> None:
    (harness.home / "plugins" / "pkg").mkdir(parents=True)
    (harness.home / "plugins" / "present.py").write_text("raise SystemExit('never imported')\n")
    (harness.home / "plugins" / "pkg" / "__init__.py").write_text("")
    (harness.home / "plugins" / "pkg" / "sub.py").write_text("")
    entries = "".join(f"p{i} = {name}\n" for i, name in enumerate(plugins))
    harness.write(
        ".aws/config", f"[plugins]\ncli_legacy_plugin_path = {harness.home}/plugins\n{entries}"
    )


def test_a_missing_plugin_ends_every_command(harness: Harness) -> None:
    configure(harness, "present", "no_such_module")
    for argv in (SKELETON, ["--version"], ["help"]):
        result = harness.run(argv)
        assert (result.rc, result.stdout) == (255, "")
        assert result.stderr == "\naws: [ERROR]: No module named 'no_such_module'\n"


def test_a_missing_submodule_is_named_in_full(harness: Harness) -> None:
    configure(harness, "pkg.nope")
    result = harness.run(SKELETON)
    assert (result.rc, result.stderr) == (255, "\naws: [ERROR]: No module named 'pkg.nope'\n")


def test_plugins_that_exist_are_not_run(harness: Harness) -> None:
    configure(harness, "present", "pkg.sub")
    result = harness.run(SKELETON)
    assert result.rc == 0
    assert result.stdout.startswith("{")


def test_without_a_plugin_path_nothing_is_looked_for(harness: Harness) -> None:
    harness.write(".aws/config", "[plugins]\np = no_such_module\n")
    assert harness.run(SKELETON).rc == 0
