"""The schedule of an import task, in seconds of a real import.

A task's age in these seconds is its real age times the emulator's speed
(``--speed 60`` runs the 30 minutes below in 30 seconds).  Each phase has the
StatusMessage and the Progress the real service shows in it; where users'
transcripts saw a range, Progress moves through it during the phase.
"""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class Phase:
    message: str
    start: float
    progress_from: int
    progress_to: int


PENDING = "pending"
VALIDATING = "validating"
VALIDATED = "validated"
CONVERTING = "converting"
UPDATING = "updating"
BOOTING = "booting"
PREPARING_AMI = "preparing ami"

PHASES = (
    Phase(PENDING, 0.0, 2, 2),
    Phase(VALIDATING, 60.0, 3, 9),
    Phase(VALIDATED, 240.0, 19, 19),
    Phase(CONVERTING, 300.0, 28, 28),
    Phase(UPDATING, 900.0, 34, 41),
    Phase(BOOTING, 1200.0, 58, 59),
    Phase(PREPARING_AMI, 1500.0, 76, 85),
)
#: the age at which the AMI is available and the task completed
COMPLETED_AT = 1800.0
#: a disk that fails validation fails the task when validation ends
FAILED_AT = 240.0
#: a cancelled task is ``deleting`` for this long, then ``deleted``
DELETING_FOR = 60.0
#: the service forgets a task (and its ClientToken) this long after it started: 7 days
TASK_MEMORY = 7 * 24 * 3600.0

_ORDER = {phase.message: index for index, phase in enumerate(PHASES)}


def start_of(message: str) -> float:
    return PHASES[_ORDER[message]].start


def phase_at(age: float) -> Phase:
    """The phase of a running task of this age (before COMPLETED_AT)."""
    current = PHASES[0]
    for phase in PHASES:
        if age >= phase.start:
            current = phase
    return current


def progress_at(age: float) -> int:
    phase = phase_at(age)
    index = _ORDER[phase.message]
    end = PHASES[index + 1].start if index + 1 < len(PHASES) else COMPLETED_AT
    span = phase.progress_to - phase.progress_from
    if span <= 0:
        return phase.progress_from
    fraction = min(max((age - phase.start) / (end - phase.start), 0.0), 1.0)
    return phase.progress_from + round(span * fraction)


#: a disk whose operating system the service refuses fails the task when ``converting``
#: ends: the service reads the guest to update it (``oscheck``; modelled, docs/emulator.md)
OS_CHECKED_AT = start_of(UPDATING)
#: the age a task shows while its operating-system read has no verdict yet: the last moment
#: of ``converting``
OS_WAITING_AT = math.nextafter(OS_CHECKED_AT, 0.0)


def reached(age: float, message: str) -> bool:
    """Whether a running task of this age has entered the phase ``message``."""
    return age >= start_of(message)


# -- ImportSnapshot -----------------------------------------------------------
#
# The VM Import user guide's example of a snapshot task shows it ``active`` with
# StatusMessage ``pending`` and Progress 3 when ImportSnapshot answers, then
# ``downloading/converting`` (Progress 42 in the example, DiskImageSize now the
# image's bytes), then ``completed`` with the SnapshotId and neither Progress nor
# StatusMessage (AWS CLI examples of import-snapshot and describe-import-snapshot-
# tasks, "Import a disk as an EBS snapshot using VM Import/Export").  How long
# each phase lasts is modelled: image pipelines report 5 to 60 minutes
# (osbuild), a 16 MB image 15-18 minutes (nanovms/ops#799).

SNAPSHOT_PHASES = (
    Phase(PENDING, 0.0, 3, 3),
    Phase("downloading/converting", 60.0, 10, 95),
)
#: the age at which the snapshot exists and the task is completed
SNAPSHOT_COMPLETED_AT = 900.0
#: a disk the service refuses fails the task while it is still ``pending`` (modelled)
SNAPSHOT_FAILED_AT = 60.0


def snapshot_phase_at(age: float) -> Phase:
    """The phase of a running snapshot task of this age (before SNAPSHOT_COMPLETED_AT)."""
    return SNAPSHOT_PHASES[1] if age >= SNAPSHOT_PHASES[1].start else SNAPSHOT_PHASES[0]


def snapshot_progress_at(age: float) -> int:
    phase = snapshot_phase_at(age)
    if phase is SNAPSHOT_PHASES[0]:
        return phase.progress_from
    fraction = min(max((age - phase.start) / (SNAPSHOT_COMPLETED_AT - phase.start), 0.0), 1.0)
    return phase.progress_from + round((phase.progress_to - phase.progress_from) * fraction)
