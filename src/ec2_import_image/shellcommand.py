"""Commands a person pastes: one way to write them, so that each works as printed.

A fix line that is a command is copied from a terminal, a CI log or a
results file into another shell.  To work there it must

- name the account it acts on: a command that talks to AWS carries the
  run's ``--region`` (as resolved), ``--endpoint-url`` and ``--profile``
  (``Reach``), as the drop-in's resume hints do
  (``dropin/waiting/hints.py``); without them it would act on the default
  profile's Region, or on AWS instead of the emulator;
- be quoted for a POSIX shell: every word through ``shlex.quote``, which
  puts anything beyond ``[A-Za-z0-9@%+=:,./_-]`` in single quotes.  Single
  quotes are also what keeps ``!`` (``web.ova!disk.vmdk``, how a disk inside
  an OVA is named) from bash's history expansion, on by default in an
  interactive shell, which double quotes do not: only a backslash and single
  quotes escape the history expansion character (Bash Reference Manual, 9.3
  History Expansion,
  https://www.gnu.org/software/bash/manual/html_node/History-Interaction.html);
- name a file that exists: a disk inside an OVA is no file of its own (an
  OVA is a tar archive, ``diskimage.ova``), so a command on it is preceded by
  its extraction (``tar -xf web.ova disk.vmdk``).

``command`` writes one command line; ``DiskFile`` says how a command names a
disk that may be a member of an OVA.
"""

from __future__ import annotations

import shlex
from collections.abc import Mapping
from typing import NamedTuple

#: how a disk inside an OVA is named in reports: ``web.ova!disk.vmdk``
MEMBER_SEPARATOR = "!"


class Reach(NamedTuple):
    """The global options that send a command to the run's account and endpoint."""

    region: str | None = None
    endpoint_url: str | None = None
    profile: str | None = None

    @classmethod
    def of(
        cls,
        *,
        region: str | None,
        endpoint_url: str | None,
        profile: str | None,
        environ: Mapping[str, str],
    ) -> Reach:
        """The options as a run resolved them (the profile from ``AWS_PROFILE`` when not
        given: a shell without that variable would read another profile)."""
        return cls(region or None, endpoint_url or None, profile or environ.get("AWS_PROFILE"))

    def options(self) -> tuple[str, ...]:
        words: list[str] = []
        if self.region:
            words += ["--region", self.region]
        if self.endpoint_url:
            words += ["--endpoint-url", self.endpoint_url]
        if self.profile:
            words += ["--profile", self.profile]
        return tuple(words)


def command(*words: str, reach: Reach | None = None) -> str:
    """One command line, each word quoted for the shell; ``reach``: the options that send
    it to the run's account, after the words (``aws`` and ``vmimport`` take them there)."""
    return shlex.join([*words, *(reach.options() if reach is not None else ())])


class DiskFile(NamedTuple):
    """A disk as a command names it: its path, and the OVA it must be extracted from first
    (None for a file of its own)."""

    path: str
    archive: str | None = None

    @classmethod
    def inside(cls, archive: str, source: str) -> DiskFile:
        """A disk of the OVA ``archive`` reported as ``archive!member``."""
        member = source.removeprefix(archive + MEMBER_SEPARATOR)
        return cls(member, archive)

    def then(self, *words: str) -> str:
        """``words`` (naming the disk by ``path``) as a command line that works when pasted:
        after the extraction of the disk from its OVA when it is in one."""
        line = command(*words)
        if self.archive is None:
            return line
        return f"{command('tar', '-xf', self.archive, self.path)} && {line}"
