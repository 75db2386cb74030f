"""The contract has teeth: every planted client bug (tests/mutants) is caught under the
machine's default settings. The correct clients they start from pass in tests/examples and
tests/test_contract_data.py.

The demo's disks carry 8 seeded blocks here, not 48 (a download costs a request per data
extent; every mutant is caught as on the demo's own disks); a wrong volume runs on a VM that
is down, where it shows as later writes, and a wrong base on the demo's own disks
(`tests.mutants.SCENARIOS`). Each mutant runs with
`DEFAULT_SETTINGS` and a fixed seed, stopping at the first violation (`tests.mutants.DETECT`;
no shrinking: detection is what is measured here; tests/test_user_state_machine.py shows a
shrunk report), once per process: the tests that read a mutant's message read the same run.
`python bench/bench_contract.py` measures the same with random seeds.
"""

from __future__ import annotations

import pytest

from fakeovirt import FakeOvirt
from tests.mutants import MUTANTS, SCENARIOS, violation
from tests.smalldisks import FEW_BLOCKS_DEMO

pytestmark = [pytest.mark.mutation, pytest.mark.fakeovirt(scenario=FEW_BLOCKS_DEMO)]

CLASSES = {
    "Chain order",
    "Off by one",
    "Wrong removal",
    "Swallowed fault",
    "Stale field",
    "Missing field",
    "Misread phase",
    "Ignored flag",
    "Wrong checkpoint",
    "Missed dirty extent",
    "Wrong base",
    "Wrong backing file",
    "Zeroed blocks read as nothing",
    "Truncated download",
    "Misread status",
    "Leftover snapshot",
    "Ignored disk subset",
    "Wrong volume",
    "Wrong upload format",
    "Upload left open",
}


@pytest.mark.parametrize("name", sorted(MUTANTS))
def test_the_contract_catches_the_planted_bug(fake: FakeOvirt, name: str) -> None:
    if name in SCENARIOS:
        fake.reset(SCENARIOS[name])
    assert violation(name, fake) is not None, f"{name} passed the contract"


def test_the_mutants_cover_every_class_of_bug_the_contract_promises_to_catch() -> None:
    assert len(MUTANTS) >= 12
    assert {kind for _, kind in MUTANTS.values()} == CLASSES
