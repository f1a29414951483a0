"""The ``[plugins]`` section of the config file: v2's legacy plugins.

v2 imports each plugin named in ``[plugins]`` (when ``cli_legacy_plugin_path``
is set) before anything else and lets it hook its internals; a plugin that
cannot be imported ends every command (``No module named 'x'``, exit 255).
This tool cannot run plugins written against v2's internals, so it only
reproduces that failure: it looks for each plugin module without importing
it, and ignores the plugins it finds (a documented difference).
"""

from __future__ import annotations

from importlib.machinery import PathFinder

from ec2_import_image.awsconfig.files import ConfigFiles
from ec2_import_image.environment import expand_user

PLUGIN_PATH_KEY = "cli_legacy_plugin_path"


def missing_plugin(config: ConfigFiles) -> str | None:
    """v2's message for the first configured plugin that cannot be imported, else None."""
    plugins = config.section("plugins")
    plugin_path = plugins.pop(PLUGIN_PATH_KEY, None)
    if plugin_path is None:
        return None
    import sys

    search = [expand_user(plugin_path, config.environ), *sys.path]
    for module in plugins.values():
        missing = _missing_module(module.strip(), search)
        if missing is not None:
            return f"No module named '{missing}'"
    return None


def _missing_module(name: str, search: list[str]) -> str | None:
    """The dotted name Python would report missing for ``import name``, found without importing."""
    locations: list[str] | None = search
    parts = name.split(".")
    for depth in range(len(parts)):
        spec = PathFinder.find_spec(parts[depth], locations) if locations is not None else None
        if spec is None:
            return ".".join(parts[: depth + 1])
        locations = list(spec.submodule_search_locations or []) or None
    return None
