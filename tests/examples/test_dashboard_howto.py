"""The dashboard's state, as JSON: what the page draws, for your own scripts."""

from fakeovirt import BackupRequest, FakeOvirt


def test_the_dashboard_state_shows_a_backup_and_its_checkpoint():
    fake = FakeOvirt()  # immediate policy: a backup is ready as soon as it is added
    vm = fake.vm("vm-up")
    backup = fake.start_backup("vm-up", BackupRequest(disk_ids=(vm.attachments[0].disk_id,)))

    state = fake.client().get("/fakeovirt/dashboard/state.json").get_json()

    shown = next(v for v in state["vms"] if v["name"] == "vm-up")
    assert shown["backups"][0]["id"] == backup.id
    assert shown["backups"][0]["phase"] == "ready"
    assert [c["id"] for c in shown["checkpoints"]] == [backup.to_checkpoint_id]
