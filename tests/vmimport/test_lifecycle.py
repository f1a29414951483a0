"""An entry's one lifecycle (``state.records.Phase``): its order, what the state database
stores, what is final, and the phase a run goes on from."""

from __future__ import annotations

import sqlite3

import pytest

from ec2_import_image.vmimport.state.db import StateDB
from ec2_import_image.vmimport.state.records import EntrySpec, Phase

WEB = EntrySpec("web-1", ("/data/web-1.vmdk",))
#: the strings state databases hold and ``--status --json`` prints: never to change
#: without a migration
STORED = (
    "pending",
    "checking",
    "hashing",
    "uploading",
    "importing",
    "waiting",
    "finishing",
    "done",
    "failed",
)


def test_the_lifecycle_runs_in_order_with_a_runs_own_phases_where_they_happen() -> None:
    assert [phase.value for phase in Phase] == [
        "pending",
        "preparing",
        "checking",
        "hashing",
        "uploading",
        "queued",
        "importing",
        "waiting",
        "finishing",
        "done",
        "distributing",
        "failed",
    ]


def test_the_database_stores_the_same_strings_as_before() -> None:
    assert tuple(phase.value for phase in Phase if phase.stored) == STORED
    unstored = {phase for phase in Phase if not phase.stored}
    assert unstored == {Phase.PREPARING, Phase.QUEUED, Phase.DISTRIBUTING}


def test_only_done_and_failed_are_final_and_both_are_stored() -> None:
    assert [phase for phase in Phase if phase.final] == [Phase.DONE, Phase.FAILED]
    assert all(phase.stored for phase in Phase if phase.final)


def test_each_phase_passes_those_before_it_and_failed_passes_nothing() -> None:
    ordered = [phase for phase in Phase if phase is not Phase.FAILED]
    for index, phase in enumerate(ordered):
        assert [other for other in ordered if phase.passes(other)] == ordered[:index]
    assert not any(Phase.FAILED.passes(other) for other in Phase)
    assert not any(phase.passes(Phase.FAILED) for phase in Phase)


def test_a_phase_the_database_does_not_store_is_refused_and_changes_nothing(
    db: StateDB,
) -> None:
    db.put_entry(WEB)
    claim = db.claim("web-1")
    db.set_phase(claim, Phase.UPLOADING)
    events = len(db.events("web-1"))
    for phase in (Phase.PREPARING, Phase.QUEUED, Phase.DISTRIBUTING):
        with pytest.raises(ValueError, match=f"does not store the phase {phase.value}"):
            db.set_phase(claim, phase)
    assert db.entry("web-1").phase is Phase.UPLOADING
    assert len(db.events("web-1")) == events
    stored = sqlite3.connect(db.path).execute("SELECT DISTINCT phase FROM events").fetchall()
    assert {value for (value,) in stored} <= set(STORED)


def test_a_run_goes_on_from_what_the_state_says(db: StateDB) -> None:
    db.put_entry(WEB)
    claim = db.claim("web-1")
    assert db.entry("web-1").resumes_at is Phase.PREPARING
    db.set_phase(claim, Phase.IMPORTING)
    db.record_token(claim, "token-1")
    assert db.entry("web-1").resumes_at is Phase.PREPARING  # the token finds a task started
    db.record_task(claim, "import-ami-1")
    assert db.entry("web-1").resumes_at is Phase.WAITING
    db.record_result(claim, "ami-1", ["snap-1"])
    assert db.entry("web-1").resumes_at is Phase.FINISHING
    db.set_phase(claim, Phase.DONE)
    assert db.entry("web-1").resumes_at is Phase.DONE
    db.restart(claim)
    db.set_phase(claim, Phase.FAILED)
    assert db.entry("web-1").resumes_at is Phase.FAILED
