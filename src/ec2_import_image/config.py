"""A light reader of the AWS config file, for paths that must not import botocore.

Paths that send nothing still need a few CLI settings from the profile (the
error format, above all).  They read ``AWS_CONFIG_FILE`` (default
``~/.aws/config``) with the same section rules botocore applies: ``[default]``
and ``[profile NAME]``, the profile named by ``--profile``, else
``AWS_DEFAULT_PROFILE``, else ``AWS_PROFILE``, else ``default``.  Anything
that sends a request reads configuration through botocore instead.
"""

from __future__ import annotations

import configparser
import os
from collections.abc import Mapping


def config_path(environ: Mapping[str, str]) -> str:
    path = environ.get("AWS_CONFIG_FILE") or "~/.aws/config"
    home = environ.get("HOME")
    if path.startswith("~") and home:
        return home + path[1:]
    return os.path.expanduser(path)


def profile_name(environ: Mapping[str, str], given: str | None = None) -> str:
    return given or environ.get("AWS_DEFAULT_PROFILE") or environ.get("AWS_PROFILE") or "default"


def read_profile(environ: Mapping[str, str], given_profile: str | None = None) -> dict[str, str]:
    """The settings of the active profile; empty when the file or profile is missing."""
    parser = configparser.RawConfigParser()
    try:
        with open(config_path(environ), encoding="utf-8") as handle:
            parser.read_file(handle)
    except (OSError, UnicodeDecodeError, configparser.Error):
        return {}
    name = profile_name(environ, given_profile)
    for section in (f"profile {name}", name) if name == "default" else (f"profile {name}",):
        if parser.has_section(section):
            return dict(parser.items(section))
    return {}


def setting(
    environ: Mapping[str, str], key: str, env_var: str | None = None, profile: str | None = None
) -> str | None:
    """A CLI setting from the environment variable, else the profile."""
    if env_var is not None and env_var in environ:
        return environ[env_var]
    return read_profile(environ, profile).get(key)
