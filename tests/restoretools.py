"""Helpers for the tests of disks, attachments, VMs, NICs and custom events: refusals read
through the real SDK, and a picture of the engine that a refusal must leave unchanged."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import ovirtsdk4 as sdk
import pytest

from fakeovirt import FakeOvirt

__all__ = ["Refusal", "engine_picture", "refused", "unchanged"]


class Refusal:
    """An SDK error read as the engine's fault: the status and the detail inside brackets."""

    def __init__(self, error: sdk.Error) -> None:
        self.status = error.code
        fault = error.fault
        self.reason = fault.reason if fault is not None else None
        detail = fault.detail if fault is not None else ""
        self.detail = detail[1:-1] if detail.startswith("[") and detail.endswith("]") else detail

    def __repr__(self) -> str:
        return f"Refusal({self.status}, {self.detail!r})"


def refused(call: Callable[[], object]) -> Refusal:
    """Run `call`, which the fake must refuse; answer what it said."""
    with pytest.raises(sdk.Error) as caught:
        call()
    return Refusal(caught.value)


def engine_picture(fake: FakeOvirt) -> tuple[Any, ...]:
    """Everything a refused command must leave as it was."""
    with fake.lock:
        state = fake.engine.state
        disks = {
            d.id: (
                d.alias,
                d.status,
                d.provisioned_size,
                d.format,
                d.sparse,
                d.backup,
                d.image_id,
                len(d.volumes),
                d.work is None,
                d.content.generation,
            )
            for d in state.disks.values()
        }
        vms = {
            v.id: (
                v.name,
                v.status,
                v.host_id,
                v.generation,
                v.memory,
                tuple(
                    (a.disk_id, a.snapshot_id, a.active, a.bootable, a.interface)
                    for a in v.every_attachment()
                ),
                tuple((n.id, n.name, n.mac, n.vnic_profile_id) for n in v.nics),
            )
            for v in state.vms.values()
        }
        domains = {s.id: (s.available, s.used, s.committed) for s in state.storage_domains.values()}
        checkpoints = {c.id: (c.parent_id, tuple(c.disk_ids)) for c in state.checkpoints.values()}
        return (
            disks,
            vms,
            domains,
            checkpoints,
            sorted(state.snapshots),
            sorted(state.backups),
            sorted(state.transfers),
            sorted(state.jobs),
            len(state.events),
            dict(state.custom_events),
            state.next_mac,
        )


@contextmanager
def unchanged(fake: FakeOvirt) -> Iterator[None]:
    """Assert that what runs inside changes nothing in the engine."""
    before = engine_picture(fake)
    yield
    assert engine_picture(fake) == before
