"""The SDK's own examples, unmodified, against a served fake: `page_vms.py`,
`follow_vm_links.py` and `list_host_statistics.py` from the ovirt-engine-sdk-python sdist.

They hard-code `https://engine40.example.com/ovirt-engine/api`, `admin@internal` /
`redhat123`, `ca.pem` in the working directory, a VM `myvm` and a host `myhost`. Each runs
in a temporary directory, reaching the fake through `https_proxy` (see
`tests/connect_proxy.py`): `page_vms.py` as a process of its own, the others inside the test
process (tests/inprocess.py). The sdist is fetched once with pip into the cache
`tests/sdkexamples.py` keeps (the examples are not fakeovirt's to commit); without a package
index the tests are skipped.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from fakeovirt import FakeOvirt
from tests.sdkexamples import ENGINE40_USERS, as_engine40, examples_dir, run_hardcoded

STATISTICS = [
    "memory.total",
    "memory.used",
    "memory.free",
    "memory.shared",
    "swap.total",
    "swap.free",
    "swap.used",
    "ksm.cpu.current",
    "cpu.current.user",
    "cpu.current.system",
    "cpu.current.idle",
    "cpu.load.avg.5m",
    "boot.time",
]


@pytest.fixture(scope="module")
def examples() -> Path:
    """The `examples/` folder of the installed SDK's sdist."""
    return examples_dir()


@pytest.fixture(scope="module")
def engine40(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[FakeOvirt, Path, str]]:
    """A fake with the examples' names, served as the examples expect to reach it:
    `(fake, working directory holding ca.pem, proxy url)`."""
    scenario = {
        "vms": [
            {"name": "myvm", "status": "up", "disks": [{"alias": "myvm-disk1"}]},
            {"name": "other", "status": "down", "disks": [{"alias": "other-disk1"}]},
        ]
    }
    fake = FakeOvirt(scenario, users=ENGINE40_USERS, strict=True)
    with fake.lock:
        (host,) = fake.engine.state.hosts.values()
        host.name = "myhost"  # the scenario format names no hosts; the example asks for myhost
    with as_engine40(fake, tmp_path_factory.mktemp("engine40")) as served:
        yield served


def test_page_vms_prints_every_vm_one_page_at_a_time(
    examples: Path, engine40: tuple[FakeOvirt, Path, str]
) -> None:
    """`search="page N"`, `max=1`, until an empty page: the engine's paging, name order."""
    assert run_hardcoded(examples, engine40, "page_vms.py").splitlines() == ["myvm", "other"]
    queries = [e.query for e in engine40[0].journal.requests("GET /vms")]
    assert queries[-3:] == ["max=1&search=page+1", "max=1&search=page+2", "max=1&search=page+3"]


def test_follow_vm_links_reaches_cluster_template_and_permissions(
    examples: Path, engine40: tuple[FakeOvirt, Path, str]
) -> None:
    assert run_hardcoded(
        examples, engine40, "follow_vm_links.py", in_process=True
    ).splitlines() == [
        "cluster: Default",
        "template: Blank",
        "role: 00000000-0000-0000-0000-000000000001",
    ]


def test_list_host_statistics_prints_the_engines_statistics(
    examples: Path, engine40: tuple[FakeOvirt, Path, str]
) -> None:
    lines = run_hardcoded(
        examples, engine40, "list_host_statistics.py", in_process=True
    ).splitlines()
    assert [line.split(": ")[0] for line in lines] == STATISTICS
    assert "memory.total: 34359738368.0" in lines  # the SDK reads a decimal as a float
