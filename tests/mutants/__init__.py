"""Buggy backup clients, planted on purpose: the contract machine must catch every one.

Each mutant is a correct client with one bug a real backup tool has had or could have. The
table `MUTANTS` names the class of bug each one belongs to; tests/test_contract_mutants.py
runs them all under the machine's default settings (`DETECT`: a fixed seed, no database, no
shrinking).

`violation(name, fake)` runs a mutant under `DETECT` once per process and hands every test
that asks the same violation: the mutation suite asserts that it was raised, and the tests that
read a violation's message (tests/test_contract_data.py, tests/test_contract_snapshots.py) read
it from the same run instead of finding it again (a fixed seed on the same scenario draws the
same programs, so a second run would raise the same violation).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from hypothesis import Phase, settings

from fakeovirt import DEMO
from fakeovirt.stateful import DEFAULT_SETTINGS, ContractViolation
from fakeovirt.stateful_sdk import ImageioBackupMachine
from tests.qemutools import require_qemu

from .api import API_MUTANTS
from .data import DATA_MUTANTS
from .snapshots import DOWN, SNAPSHOT_MUTANTS

if TYPE_CHECKING:
    from fakeovirt import FakeOvirt, Scenario

__all__ = ["DETECT", "MUTANTS", "SCENARIOS", "violation"]

MUTANTS = {**API_MUTANTS, **DATA_MUTANTS, **SNAPSHOT_MUTANTS}
# The inventory a mutant runs on when not the mutation suite's own: a wrong volume shows as
# the guest's later writes in its download only where the engine serves the active volume; a
# wrong base runs on the demo's own disks, where the first difference of its restore is a
# guest write (tests/test_contract_data.py reads that message).
SCENARIOS: dict[str, Scenario] = {"ReadsTheActiveVolume": DOWN, "RestoresOntoTheParent": DEMO}

# The default settings on a fixed seed, stopping at the first violation: detection is what is
# measured (tests/test_user_state_machine.py shows a shrunk report).
DETECT = settings(
    DEFAULT_SETTINGS,
    database=None,
    derandomize=True,
    print_blob=False,
    report_multiple_bugs=False,
    phases=[Phase.explicit, Phase.generate, Phase.target],
)

_RAISED: dict[tuple[object, ...], ContractViolation | None] = {}


def violation(name: str, fake: FakeOvirt) -> ContractViolation | None:
    """The violation the contract raised against mutant `name` under `DETECT` on `fake`, or
    None if the mutant passed; run once per process and per fake setting that could change
    the run (scenario, policy, profile, strict checks)."""
    machine, _ = MUTANTS[name]
    if issubclass(machine, ImageioBackupMachine):
        require_qemu()
    engine = fake.engine
    key = (name, engine.scenario, repr(engine.policy), engine.profile.name, fake.app.strict)
    if key not in _RAISED:
        try:
            machine.run(fake, settings=DETECT)
        except ContractViolation as raised:
            _RAISED[key] = raised.with_traceback(None)  # its text and notes, not its frames
        else:
            _RAISED[key] = None
    return _RAISED[key]
