"""A light reader of the AWS configuration files, for paths that must not import botocore.

Paths that send nothing still need a few CLI settings from the profile (the
error format, above all).  They read them here with the rules v2's botocore
applies, so that both readers agree:

- the files: ``AWS_CONFIG_FILE`` (default ``~/.aws/config``) and
  ``AWS_SHARED_CREDENTIALS_FILE`` (default ``~/.aws/credentials``), with
  ``$VARIABLES`` and ``~`` expanded;
- the profile: the one named by ``--profile``, else ``AWS_PROFILE``, else
  ``AWS_DEFAULT_PROFILE`` (v2 reads ``AWS_PROFILE`` first), else ``default``;
- the config file's sections: ``[default]`` and ``[profile NAME]`` (the name
  split as a shell would: ``[profile "my name"]``, ``[profile   x]``), a later
  section of the same profile replacing an earlier one; other sections are not
  profiles;
- the credentials file's sections are profile names (``[NAME]``) and their
  values are laid over the config file's, as botocore merges them;
- a profile named explicitly (by ``--profile`` or either variable) must exist
  in one of the files, else v2 reports ``ProfileNotFound``; without a name, a
  missing ``default`` is just an empty profile.

Anything that sends a request reads configuration through botocore instead.

A ``ConfigFiles`` reads the files of one run, each once, from the run's
variables: two runs in one process (tests, an embedding program) each have
their own, so neither sees the other's files nor a file as it was before.
"""

from __future__ import annotations

import configparser
import os
import re
import shlex
from collections.abc import Mapping
from typing import NamedTuple

from ec2_import_image.environment import expand_user

DEFAULT_PROFILE = "default"


def expand_path(path: str, environ: Mapping[str, str]) -> str:
    """``$VARIABLES`` then ``~``, expanded from ``environ`` (as botocore does from os.environ)."""

    def variable(match: re.Match[str]) -> str:
        name = match.group(1) or match.group(2)
        return environ.get(name, match.group(0))

    path = re.sub(r"\$(?:(\w+)|\{([^}]*)\})", variable, path)
    home = environ.get("HOME")
    if path.startswith("~") and home and (len(path) == 1 or path[1] == os.sep):
        return home + path[1:]
    return expand_user(path, environ)


def config_path(environ: Mapping[str, str]) -> str:
    return expand_path(environ.get("AWS_CONFIG_FILE") or "~/.aws/config", environ)


def credentials_path(environ: Mapping[str, str]) -> str:
    path = environ.get("AWS_SHARED_CREDENTIALS_FILE") or "~/.aws/credentials"
    return expand_path(path, environ)


def explicit_profile(environ: Mapping[str, str], given: str | None = None) -> str | None:
    """The profile named by ``--profile``, ``AWS_PROFILE`` or ``AWS_DEFAULT_PROFILE``, if any."""
    for value in (given, environ.get("AWS_PROFILE"), environ.get("AWS_DEFAULT_PROFILE")):
        if value:
            return value
    return None


def profile_name(environ: Mapping[str, str], given: str | None = None) -> str:
    """The active profile's name: the explicit one, else ``default``."""
    return explicit_profile(environ, given) or DEFAULT_PROFILE


def _parse_ini(path: str) -> dict[str, dict[str, str]]:
    parser = configparser.RawConfigParser()
    try:
        with open(path, encoding="utf-8") as handle:
            parser.read_file(handle)
    except (OSError, UnicodeDecodeError, configparser.Error):
        return {}
    return {section: dict(parser.items(section)) for section in parser.sections()}


def _unparsable(path: str) -> bool:
    """Whether botocore would refuse the file (``ConfigParseError``); a missing file is fine."""
    if not os.path.isfile(path):
        return False
    parser = configparser.RawConfigParser()
    try:
        with open(path, encoding="utf-8") as handle:
            parser.read_file(handle)
    except OSError:
        return False  # botocore skips a file it cannot open
    except (UnicodeDecodeError, configparser.Error):
        return True
    for section in parser.sections():
        for _, value in parser.items(section):
            if value.startswith("\n") and any(
                "=" not in line for line in value.splitlines() if line.strip()
            ):
                return True  # a nested block whose lines are not key = value
    return False


def parse_problem(environ: Mapping[str, str]) -> str | None:
    """v2's message when the config or credentials file cannot be parsed, else None.

    v2 loads both files before it does anything else (for its plugins), so this
    error ends every command, even ``--version`` and ``help``: ``Unable to parse
    config file: PATH``, exit 255.
    """
    for path in (config_path(environ), credentials_path(environ)):
        if _unparsable(path):
            return f"Unable to parse config file: {path}"
    return None


def _config_profiles(sections: Mapping[str, dict[str, str]]) -> dict[str, dict[str, str]]:
    """The profiles of a config file: ``[default]`` and ``[profile NAME]`` sections."""
    profiles: dict[str, dict[str, str]] = {}
    for section, values in sections.items():
        if section == DEFAULT_PROFILE:
            profiles[DEFAULT_PROFILE] = values
        elif section.startswith("profile"):
            try:
                words = shlex.split(section)
            except ValueError:
                continue
            if len(words) == 2:
                profiles[words[1]] = values
    return profiles


class SettingsProblem(NamedTuple):
    """A CLI setting of the profile that v2 refuses; v2 calls some configuration errors."""

    message: str
    configuration: bool


TIMESTAMP_FORMATS = ("wire", "iso8601")
BINARY_FORMATS = ("base64", "raw-in-base64-out")
ERROR_FORMAT_VARIABLE = "AWS_CLI_ERROR_FORMAT"


class ConfigFiles:
    """The two files as one run reads them, from the run's variables; each file read once."""

    __slots__ = ("_read", "environ")

    def __init__(self, environ: Mapping[str, str]) -> None:
        self.environ = environ
        self._read: dict[str, dict[str, dict[str, str]]] = {}

    def _ini(self, path: str) -> dict[str, dict[str, str]]:
        """The sections of an INI file as botocore reads it; empty when missing or unreadable."""
        if path not in self._read:
            self._read[path] = _parse_ini(path)
        return self._read[path]

    def load_profiles(self) -> dict[str, dict[str, str]]:
        """Every profile of the two files, the credentials file's values over the config file's."""
        profiles = _config_profiles(self._ini(config_path(self.environ)))
        for name, values in self._ini(credentials_path(self.environ)).items():
            profiles.setdefault(name, {}).update(values)
        return profiles

    def profile_missing(self, given_profile: str | None = None) -> bool:
        """Whether the profile was named explicitly but exists in neither file (ProfileNotFound)."""
        name = explicit_profile(self.environ, given_profile)
        return name is not None and name not in self.load_profiles()

    def section(self, name: str) -> dict[str, str]:
        """A section of the config file that is not a profile (``[plugins]``...)."""
        return dict(self._ini(config_path(self.environ)).get(name, {}))

    def read_profile(self, given_profile: str | None = None) -> dict[str, str]:
        """The settings of the active profile; empty when the files or the profile are missing."""
        return self.load_profiles().get(profile_name(self.environ, given_profile), {})

    def setting(
        self, key: str, env_var: str | None = None, profile: str | None = None
    ) -> str | None:
        """A CLI setting from the environment variable, else the profile."""
        if env_var is not None and env_var in self.environ:
            return self.environ[env_var]
        return self.read_profile(profile).get(key)

    def cli_settings_problem(
        self, profile: str | None = None, binary_format: str | None = None
    ) -> SettingsProblem | None:
        """v2's checks of the profile's CLI settings when its session starts, for every command.

        The first bad setting: ``cli_timestamp_format`` (a configuration error in
        v2, 253), then ``cli_binary_format`` when ``--cli-binary-format`` does not
        override it (v2 fails on a KeyError, 255, and prints the bad value
        quoted).  A missing profile is not a problem here (v2 falls back to the
        defaults).
        """
        settings = self.read_profile(profile)
        timestamp = settings.get("cli_timestamp_format")
        if timestamp is not None and timestamp not in TIMESTAMP_FORMATS:
            return SettingsProblem(
                f"Unknown cli_timestamp_format value: {timestamp}, "
                'valid values are "wire" or "iso8601"',
                configuration=True,
            )
        configured = settings.get("cli_binary_format")
        if binary_format is None and configured is not None and configured not in BINARY_FORMATS:
            return SettingsProblem(repr(configured), configuration=False)
        return None

    def error_format_setting(self, profile: str | None = None) -> str | None:
        """``cli_error_format`` as v2's error handlers resolve it when no option gives it.

        ``AWS_CLI_ERROR_FORMAT``, else the profile's ``cli_error_format``.  When the
        profile was named but does not exist, v2's lookup fails inside its error
        handler, which then prints the plain message: that is the ``legacy`` format.
        """
        if ERROR_FORMAT_VARIABLE in self.environ:
            return self.environ[ERROR_FORMAT_VARIABLE]
        if self.profile_missing(profile):
            return "legacy"
        return self.read_profile(profile).get("cli_error_format")
