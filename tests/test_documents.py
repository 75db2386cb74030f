"""A polled backup is rendered once per change: the remembered answer is the same bytes as a
fresh rendering, it changes the moment the backup does (by a command, a tick, a per-read
phase move or a test assigning a field), and strict mode validates it once."""

from __future__ import annotations

import base64
import dataclasses
from datetime import timedelta
from typing import Any

import pytest
from werkzeug.test import Client

import fakeovirt.web.documents as documents_module
import fakeovirt.web.render as render_module
from fakeovirt import FakeOvirt, TransitionPolicy
from fakeovirt.core.model import Backup
from fakeovirt.core.phases import BackupPath, BackupPhase
from fakeovirt.web.follow import Follow
from fakeovirt.web.render import backup_fingerprint, render_backup
from fakeovirt.web.xmlout import to_bytes

AUTH = {"Authorization": "Basic " + base64.b64encode(b"admin@internal:fakeovirt").decode()}
API = "/ovirt-engine/api"


def start_backup(fake: FakeOvirt, client: Client) -> str:
    vm = fake.vm("vm-up")
    disks = "".join(f'<disk id="{a.disk_id}"/>' for a in vm.attachments)
    created = client.post(
        f"{API}/vms/{vm.id}/backups",
        data=f"<backup><disks>{disks}</disks></backup>",
        headers={**AUTH, "Content-Type": "application/xml"},
    )
    assert created.status_code == 201, created.get_data(as_text=True)
    return f"{API}/vms/{vm.id}/backups/" + created.headers["Location"].rsplit("/", 1)[-1]


def get(client: Client, path: str, **headers: str) -> bytes:
    answer = client.get(path, headers={**AUTH, **headers})
    assert answer.status_code == 200, answer.get_data(as_text=True)
    return answer.get_data()


def test_a_repeated_get_is_served_from_the_memo_until_the_backup_changes() -> None:
    fake = FakeOvirt(policy=TransitionPolicy.immediate())
    client = fake.client()
    path = start_backup(fake, client)
    memo = fake.app.documents
    first = get(client, path)
    misses = memo.misses
    assert get(client, path) == first
    assert get(client, path) == first
    assert (memo.hits, memo.misses) == (2, misses)

    client.post(f"{path}/finalize", data="<action/>", headers=AUTH)
    after = get(client, path)
    assert b"<phase>ready</phase>" in first
    assert b"<phase>ready</phase>" not in after and b"<phase>" in after
    assert memo.misses == misses + 1


def test_a_test_assigning_a_field_is_seen_at_once() -> None:
    fake = FakeOvirt(policy=TransitionPolicy.immediate())
    client = fake.client()
    path = start_backup(fake, client)
    before = get(client, path)
    backup = fake.engine.state.backups[path.rsplit("/", 1)[-1]]
    backup.description = "changed by the test"
    after = get(client, path)
    assert b"<description>changed by the test</description>" in after
    assert after != before


@pytest.mark.parametrize("policy", ["reads:2", "seconds:3"])
def test_every_answer_is_the_bytes_a_fresh_rendering_gives(policy: str) -> None:
    """The same requests against a fake with the memo and one without: the same bytes, in
    XML and JSON, followed or not, while reads (or the clock) move the phases."""
    with_memo = FakeOvirt(policy=TransitionPolicy.parse(policy))
    without = FakeOvirt(policy=TransitionPolicy.parse(policy))
    without.app.documents = None
    answers: list[list[bytes]] = [[], []]
    for side, fake in enumerate((with_memo, without)):
        client = fake.client()
        path = start_backup(fake, client)
        for step in range(14):
            answers[side].append(get(client, path))
            answers[side].append(get(client, path, Accept="application/json"))
            answers[side].append(get(client, path + "?follow=vm"))
            answers[side].append(get(client, path + "?accept=application/json"))
            if step == 6:
                client.post(f"{path}/finalize", data="<action/>", headers=AUTH)
            fake.advance(1)
    assert answers[0] == answers[1]
    assert len(set(answers[0])) > 4  # the phases moved: these are not all one answer
    assert with_memo.app.documents is not None and with_memo.app.documents.hits > 0
    assert with_memo.journal.entries == without.journal.entries


def test_the_lean_lane_refuses_and_fails_as_the_full_path_does(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A bad credential, an unknown backup, a HEAD, and a bug after the read: the same
    answers and journal entries whether or not the memo (and so the lean lane) is on."""
    sides = []
    for memo in (True, False):
        fake = FakeOvirt(policy=TransitionPolicy.immediate())
        if not memo:
            fake.app.documents = None
        client = fake.client()
        path = start_backup(fake, client)
        vm_path = path.rsplit("/", 2)[0]
        seen = []
        bad = {"Authorization": "Basic " + base64.b64encode(b"admin@internal:no").decode()}
        for url, headers in (
            (path, bad),
            (vm_path + "/backups/no-such-backup", AUTH),
            (API + "/vms/no-such-vm/backups/x", AUTH),
            (API + "/nothing-here", AUTH),
        ):
            answer = client.get(url, headers=headers)
            seen.append((answer.status_code, answer.get_data()))
        head = client.head(path, headers=AUTH)
        seen.append((head.status_code, head.headers["Content-Length"]))
        with monkeypatch.context() as patch:
            patch.setattr(render_module, "render_backup", _broken)
            fake.engine.state.backups[path.rsplit("/", 1)[-1]].description = "new"
            failed = client.get(path, headers=AUTH)
        seen.append((failed.status_code, failed.get_data()))
        assert [type(e.error) for e in fake.app.errors] == [ZeroDivisionError]
        sides.append((seen, fake.journal.entries))
    assert sides[0] == sides[1]
    assert [status for status, _ in sides[0][0]] == [401, 404, 404, 404, 200, 500]


def _broken(*args: Any) -> Any:
    return 1 / 0


def test_strict_mode_validates_a_remembered_answer_once(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = FakeOvirt(policy=TransitionPolicy.immediate(), strict=True)
    client = fake.client()
    path = start_backup(fake, client)
    checked: list[bytes | None] = []
    real = documents_module.validate

    def counting(element: Any, *, data: bytes | None = None) -> None:
        checked.append(data)
        real(element, data=data)

    monkeypatch.setattr(documents_module, "validate", counting)
    bodies = {get(client, path) for _ in range(5)}
    assert len(bodies) == 1 and checked == [*bodies]


def test_an_answer_remembered_unvalidated_is_validated_when_strict_mode_comes_on(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fake = FakeOvirt(policy=TransitionPolicy.immediate())
    client = fake.client()
    path = start_backup(fake, client)
    lax = get(client, path)
    checked: list[object] = []
    monkeypatch.setattr(documents_module, "validate", lambda *a, **k: checked.append(a))
    fake.app.strict = True
    assert get(client, path) == lax
    assert get(client, path) == lax
    assert len(checked) == 1


def test_the_memo_is_bounded_and_a_reset_empties_it() -> None:
    fake = FakeOvirt(policy=TransitionPolicy.immediate())
    memo = fake.app.documents
    assert memo is not None
    memo.size = 3
    for index in range(10):
        memo.get(("backup", str(index)), index, lambda: b"x", strict=False)
        assert len(memo) <= 3
    fake.reset()
    assert (len(memo), memo.hits, memo.misses) == (0, 0, 0)


# Each field of a backup, changed to another value of its type.
def _changed(backup: Backup) -> dict[str, Any]:
    later = timedelta(seconds=1)
    return {
        "id": backup.id + "0",
        "vm_id": backup.vm_id + "0",
        "path": BackupPath.COLD if backup.path is not BackupPath.COLD else BackupPath.LIVE,
        "phase": BackupPhase.FAILED,
        "disk_ids": [*backup.disk_ids, "another-disk"],
        "created": backup.created + later,
        "modified": backup.modified + later,
        "progress": dataclasses.replace(backup.progress, reads=backup.progress.reads + 1),
        "user": backup.user + "0",
        "from_checkpoint_id": "from-another",
        "to_checkpoint_id": "to-another",
        "checkpoint_id": "another",
        "description": "another",
        "require_consistency": not backup.require_consistency,
        "freeze_failed": not backup.freeze_failed,
        "host_id": "another-host",
        "snapshot_id": "another-snapshot",
        "policy": TransitionPolicy.after_reads(7),
        "stop_requested": not backup.stop_requested,
        "backup_modes": {**backup.backup_modes, "another-disk": "incremental"},
        "views": {},
        "marks": {"another-disk": 1},
        "history": [*backup.history, (BackupPhase.FAILED, backup.created)],
        "job_id": "another-job",
        "profile": backup.profile,
    }


def test_every_field_a_backup_shows_is_in_its_fingerprint() -> None:
    """Change each field in turn: when the rendering (nothing followed) changes, the
    fingerprint does too, so a remembered answer never hides a change."""
    fake = FakeOvirt(policy=TransitionPolicy.immediate())
    path = start_backup(fake, fake.client())
    state = fake.engine.state
    backup = state.backups[path.rsplit("/", 1)[-1]]
    changes = _changed(backup)
    assert set(changes) == {f.name for f in dataclasses.fields(Backup)}, "a new field"
    nothing: Follow = {}
    shown = to_bytes(render_backup(state, backup, nothing))
    fingerprint = backup_fingerprint(backup)
    rendered_changes = 0
    for name, value in changes.items():
        changed = dataclasses.replace(backup, **{name: value})
        if to_bytes(render_backup(state, changed, nothing)) != shown:
            rendered_changes += 1
            assert backup_fingerprint(changed) != fingerprint, name
    assert rendered_changes >= 9
