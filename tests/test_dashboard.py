"""The dashboard: a read-only state endpoint, and a page that headless Chromium renders."""

from __future__ import annotations

import html.parser
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from fakeovirt import BackupRequest, FakeOvirt, TransferRequest, TransitionPolicy
from tests.browser import (
    browser_session,  # noqa: F401  (a fixture)
    shared_browser,
)

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "test-artifacts"
STATE = "/fakeovirt/dashboard/state.json"


def running_backups(fake: FakeOvirt) -> tuple[str, str, list[str]]:
    """vm-up: a full backup that succeeded, then an incremental one that is ready, with a
    transfer of its first disk under way. Returns (vm id, running backup id, chain)."""
    vm = fake.vm("vm-up")
    disks = tuple(a.disk_id for a in vm.attachments)
    with fake.lock:
        engine = fake.engine
        full = engine.start_backup(vm.id, BackupRequest(disk_ids=disks))
        while full.phase.rest != "ready":
            engine.backup(vm.id, full.id, observe=True)
        engine.finalize_backup(vm.id, full.id)
        while not full.phase.finished:
            engine.backup(vm.id, full.id, observe=True)
        running = engine.start_backup(
            vm.id, BackupRequest(disk_ids=disks, from_checkpoint_id=full.to_checkpoint_id)
        )
        while running.phase.rest != "ready":
            engine.backup(vm.id, running.id, observe=True)
        transfer = engine.start_transfer(
            TransferRequest(disk_id=disks[0], backup_id=running.id, direction="download")
        )
        while transfer.phase.value != "transferring":
            engine.transfer(transfer.id, observe=True)
        chain = [c.id for c in engine.checkpoints(vm.id)]
    return vm.id, running.id, chain


@pytest.fixture
def watched() -> Iterator[FakeOvirt]:
    """A fake whose phases move only when a client reads them."""
    fake = FakeOvirt(policy=TransitionPolicy.after_reads(1))
    yield fake
    assert not fake.errors, fake.errors[0].traceback


# -- the state endpoint ---------------------------------------------------------------------
def test_state_lists_vms_disks_backups_checkpoints_and_transfers(watched: FakeOvirt) -> None:
    vm_id, backup_id, chain = running_backups(watched)
    state = watched.client().get(STATE).get_json()
    vm = next(v for v in state["vms"] if v["id"] == vm_id)
    assert vm["name"] == "vm-up" and [d["alias"] for d in vm["disks"]] == [
        "vm-up-disk1",
        "vm-up-disk2",
    ]
    assert [c["id"] for c in vm["checkpoints"]] == chain and len(chain) == 2
    assert [c["parent_id"] for c in vm["checkpoints"]] == [None, chain[0]]
    backup = next(b for b in vm["backups"] if b["id"] == backup_id)
    assert backup["phase"] == "ready" and backup["from_checkpoint_id"] == chain[0]
    assert [h["phase"] for h in backup["history"]] == ["initializing", "starting", "ready"]
    (transfer,) = state["transfers"]
    assert transfer["backup_id"] == backup_id and transfer["size"] == 1 << 30
    assert transfer["transferred"] == 0


def test_watching_moves_no_phase_and_counts_no_read(watched: FakeOvirt) -> None:
    running_backups(watched)
    with watched.lock:
        backup = watched.engine.start_backup(
            watched.vm("vm-down").id,
            BackupRequest(disk_ids=(watched.disk("vm-down-disk1").id,)),
        )
        before = (backup.phase, backup.progress.reads, len(backup.history))
    client = watched.client()
    for _ in range(5):
        assert client.get(STATE).status_code == 200
    assert (backup.phase, backup.progress.reads, len(backup.history)) == before


def test_the_journal_shown_leaves_out_the_dashboards_own_requests(watched: FakeOvirt) -> None:
    client = watched.client()
    client.get("/ovirt-engine/api/vms", headers={"Authorization": "Basic eDp5"})
    client.get(STATE)
    journal = client.get(STATE).get_json()["journal"]
    assert [(e["method"], e["path"]) for e in journal] == [("GET", "/ovirt-engine/api/vms")]
    assert journal[0]["status"] == 401


@pytest.mark.parametrize(
    ("path", "kind"),
    [
        ("/fakeovirt/dashboard", "text/html"),
        ("/fakeovirt/dashboard/", "text/html"),
        ("/fakeovirt/dashboard/dashboard.js", "javascript"),
        ("/fakeovirt/dashboard/dashboard.css", "text/css"),
        (STATE, "application/json"),
    ],
)
def test_the_page_and_its_files_are_served_without_credentials(
    watched: FakeOvirt, path: str, kind: str
) -> None:
    response = watched.client().get(path)
    assert response.status_code == 200
    assert kind in response.content_type


def test_the_page_loads_nothing_from_the_network() -> None:
    static = ROOT / "fakeovirt" / "web" / "mounted" / "dashboard_static"
    for page in static.iterdir():
        text = page.read_text()
        assert "http://" not in text and "https://" not in text, page.name


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/fakeovirt/dashboard/../app.py", 404),
        ("GET", "/fakeovirt/dashboard/secrets.txt", 404),
        ("POST", STATE, 405),
        ("DELETE", "/fakeovirt/dashboard", 405),
    ],
)
def test_anything_else_is_refused(watched: FakeOvirt, method: str, path: str, status: int) -> None:
    response = watched.client().open(path, method=method)
    assert response.status_code == status
    assert response.get_json()["error"]


# -- the page in headless Chromium ------------------------------------------------------------
def chromium() -> str:
    """The chromium binary; skip without it, except on CI where it must be installed."""
    binary = shutil.which("chromium") or shutil.which("chromium-browser")
    if binary:
        return binary
    reason = "chromium not found on PATH"
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason}; the Debian package chromium must be installed on CI")
    pytest.skip(f"{reason} (apt-get install chromium to run the dashboard's browser test)")


def dump_dom(binary: str, url: str, *, screenshot: Path | None = None) -> str:
    """The page's DOM once it has loaded and run 3 s of virtual time, from a tab of this
    process's one headless Chromium (tests/browser.py); with `screenshot`, a PNG of a
    1280x1400 window too."""
    window = (1280, 1400) if screenshot is not None else (800, 600)
    return shared_browser(binary).dump_dom(url, screenshot=screenshot, window=window)


def test_without_chromium_the_browser_test_skips(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(shutil, "which", lambda name: None)
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="apt-get install chromium"):
        chromium()


def test_without_chromium_on_ci_the_browser_test_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(shutil, "which", lambda name: None)
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="must be installed on CI"):
        chromium()


class Dom(html.parser.HTMLParser):
    """The attributes of every element of a dumped DOM, in order."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.elements: list[tuple[str, dict[str, str | None]]] = []
        self.feed(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, dict(attrs)))

    def find(self, **attrs: str) -> list[dict[str, str | None]]:
        keys = {k.rstrip("_").replace("_", "-"): v for k, v in attrs.items()}
        return [a for _, a in self.elements if all(a.get(k) == v for k, v in keys.items())]


@pytest.mark.usefixtures("browser_session")
def test_chromium_shows_the_vm_the_running_backup_and_its_checkpoint_chain() -> None:
    binary = chromium()
    fake = FakeOvirt(policy=TransitionPolicy.after_reads(1))
    with fake.start(tls=False):
        _, backup_id, chain = running_backups(fake)
        url = fake.origin + "/fakeovirt/dashboard"
        ARTIFACTS.mkdir(exist_ok=True)
        shot = ARTIFACTS / "dashboard.png"
        shot.unlink(missing_ok=True)
        dom = Dom(dump_dom(binary, url, screenshot=shot))
        with fake.lock:
            phase = fake.engine.state.backups[backup_id].phase.rest
    print(f"dashboard screenshot: {shot}")
    assert dom.find(data_vm="vm-up", class_="card vm")
    assert dom.find(data_backup_id=backup_id, data_phase="ready")
    (svg,) = dom.find(data_vm="vm-up", class_="chain")
    assert svg["data-checkpoints"] == " ".join(chain)
    drawn = [a["data-checkpoint-id"] for _, a in dom.elements if "data-checkpoint-id" in a]
    assert drawn == chain
    assert dom.find(data_phase="transferring")
    assert shot.stat().st_size > 10_000
    assert phase == "ready", "the page's polling must not move the backup"
    assert not fake.errors


def test_dashboard_polls_stay_out_of_the_users_journal(fake: FakeOvirt) -> None:
    client = fake.client()
    for _ in range(3):
        assert client.get(STATE).status_code == 200
    assert fake.journal.entries == []


# -- snapshots and layers -------------------------------------------------------------------
def snapshotted(fake: FakeOvirt) -> tuple[str, str]:
    """vm-down with a snapshot "nightly" and a second one being merged away."""
    fake.policy = TransitionPolicy.immediate()
    nightly = fake.snapshot("vm-down", "nightly")
    doomed = fake.snapshot("vm-down", "doomed")
    fake.policy = TransitionPolicy.after_seconds(60)
    fake.remove_snapshot("vm-down", doomed.id)
    return nightly.id, doomed.id


def test_state_lists_each_vms_snapshots_and_each_disks_layers(watched: FakeOvirt) -> None:
    snapshotted(watched)
    state = watched.client().get(STATE).get_json()
    vm = next(v for v in state["vms"] if v["name"] == "vm-down")
    assert [(s["description"], s["status"], s["removing"]) for s in vm["snapshots"]] == [
        ("Active VM", "ok", False),
        ("nightly", "ok", False),
        ("doomed", "locked", True),
    ]
    (disk,) = vm["disks"]
    layers = [(v["snapshot"], v["active"], v["status"]) for v in disk["volumes"]]
    assert layers == [
        ("nightly", False, "locked"),
        ("doomed", False, "locked"),
        ("Active VM", True, "locked"),
    ]


@pytest.mark.usefixtures("browser_session")
def test_chromium_shows_the_snapshots_and_the_disks_layers() -> None:
    binary = chromium()
    fake = FakeOvirt()
    with fake.start(tls=False):
        nightly, doomed = snapshotted(fake)
        volumes = [v.image_id for v in fake.volumes("vm-down-disk1")]
        dom = Dom(dump_dom(binary, fake.origin + "/fakeovirt/dashboard"))
    assert dom.find(data_snapshot_id=nightly, data_status="ok")
    assert dom.find(data_snapshot_id=doomed, data_status="merging")
    assert dom.find(data_disk="vm-down-disk1", class_="layers")
    start = next(
        i for i, (_, a) in enumerate(dom.elements) if a.get("data-disk") == "vm-down-disk1"
    )
    drawn = [a["data-image-id"] for _, a in dom.elements[start:] if "data-image-id" in a]
    assert drawn[: len(volumes)] == volumes  # base first, the active volume last
    assert not fake.errors
