"""The transition tables read as the engine's state machines; docs/phases.md is drawn from them."""

from __future__ import annotations

import importlib.util
from collections.abc import Iterable
from pathlib import Path
from types import ModuleType

import pytest

from fakeovirt.core.phases import (
    BACKUP_TRANSITIONS,
    TRANSFER_TRANSITIONS,
    BackupPath,
    BackupPhase,
    InvalidTransition,
    Step,
    TransferPhase,
    next_backup_phase,
    next_transfer_phase,
)

ROOT = Path(__file__).resolve().parent.parent
Ph = BackupPhase
ROUTES = {
    BackupPath.SNAPSHOT: [Ph.INITIALIZING, Ph.STARTING, Ph.READY, Ph.FINALIZING, Ph.SUCCEEDED],
    BackupPath.LIVE: [Ph.INITIALIZING, Ph.STARTING, Ph.READY, Ph.FINALIZING, Ph.SUCCEEDED],
    BackupPath.COLD: [Ph.INITIALIZING, Ph.READY, Ph.FINALIZING, Ph.SUCCEEDED],
}


def moves(path: BackupPath) -> dict[tuple[Ph, Step], Ph]:
    return {
        (before, step): after
        for (p, before, step), after in BACKUP_TRANSITIONS.items()
        if p is path
    }


def reachable(path: BackupPath, start: Ph, steps: Iterable[Step] = tuple(Step)) -> set[Ph]:
    allowed = set(steps)
    table = moves(path)
    seen, todo = {start}, [start]
    while todo:
        phase = todo.pop()
        for (before, step), after in table.items():
            if before is phase and step in allowed and after not in seen:
                seen.add(after)
                todo.append(after)
    return seen


def success_route(path: BackupPath) -> list[Ph]:
    """Advance while the engine can, finalize at ready, advance to the end."""
    table, route = moves(path), [Ph.INITIALIZING]
    while not route[-1].finished:
        step = Step.FINALIZE if route[-1] is Ph.READY else Step.ADVANCE
        route.append(table[route[-1], step])
    return route


# -- backups --------------------------------------------------------------------------------------
@pytest.mark.parametrize("path", BackupPath)
def test_each_path_succeeds_along_its_documented_route(path: BackupPath) -> None:
    assert success_route(path) == ROUTES[path]


@pytest.mark.parametrize("path", BackupPath)
def test_every_phase_a_path_names_is_reachable_from_initializing(path: BackupPath) -> None:
    named = {p for (before, _), after in moves(path).items() for p in (before, after)}
    assert named <= reachable(path, Ph.INITIALIZING)


@pytest.mark.parametrize("path", BackupPath)
def test_every_unfinished_phase_can_still_end(path: BackupPath) -> None:
    for phase in reachable(path, Ph.INITIALIZING):
        assert any(p.finished for p in reachable(path, phase)), phase


@pytest.mark.parametrize("path", BackupPath)
def test_finished_phases_have_no_way_out(path: BackupPath) -> None:
    assert not [key for key in moves(path) if key[0].finished]


@pytest.mark.parametrize("path", BackupPath)
def test_ready_is_left_only_by_a_finalize(path: BackupPath) -> None:
    assert [step for before, step in moves(path) if before is Ph.READY] == [Step.FINALIZE]


@pytest.mark.parametrize("path", BackupPath)
def test_a_failure_never_leads_to_success(path: BackupPath) -> None:
    for (before, step), after in moves(path).items():
        if step is Step.FAIL:
            assert Ph.SUCCEEDED not in reachable(path, after, (Step.ADVANCE, Step.FAIL)), before


@pytest.mark.parametrize("path", [BackupPath.LIVE, BackupPath.COLD])
def test_an_active_path_finalize_before_ready_ends_failed(path: BackupPath) -> None:
    for (before, step), after in moves(path).items():
        if step is Step.FINALIZE and before is not Ph.READY:
            assert reachable(path, after, (Step.ADVANCE,)) == {after, Ph.FAILED}


def test_the_snapshot_path_has_no_finalize_before_ready() -> None:
    finalizes = [before for before, step in moves(BackupPath.SNAPSHOT) if step is Step.FINALIZE]
    assert finalizes == [Ph.READY]


def test_only_the_active_paths_pass_through_finalizing_failure() -> None:
    users = {
        p
        for (p, before, _), after in BACKUP_TRANSITIONS.items()
        if Ph.FINALIZING_FAILURE in (before, after)
    }
    assert users == {BackupPath.LIVE, BackupPath.COLD}


def test_a_cold_backup_never_starts() -> None:
    assert Ph.STARTING not in reachable(BackupPath.COLD, Ph.INITIALIZING)


def test_the_rest_api_shows_finalizing_failure_as_finalizing() -> None:
    shown = {phase: phase.rest for phase in Ph}
    assert shown[Ph.FINALIZING_FAILURE] == "finalizing"
    assert all(
        rest == phase.value for phase, rest in shown.items() if phase is not Ph.FINALIZING_FAILURE
    )


def test_a_move_not_in_the_table_is_an_invalid_transition() -> None:
    with pytest.raises(InvalidTransition, match="snapshot backup: no finalize from initializing"):
        next_backup_phase(BackupPath.SNAPSHOT, Ph.INITIALIZING, Step.FINALIZE)


def test_a_finished_backup_cannot_move() -> None:
    with pytest.raises(InvalidTransition):
        next_backup_phase(BackupPath.LIVE, Ph.SUCCEEDED, Step.ADVANCE)


# -- transfers ------------------------------------------------------------------------------------
def test_finished_transfers_have_no_way_out() -> None:
    assert not [key for key in TRANSFER_TRANSITIONS if key[0].finished]


def test_a_transfer_succeeds_by_finalize_and_fails_by_cancel() -> None:
    T = TransferPhase
    finalized = next_transfer_phase(next_transfer_phase(T.TRANSFERRING, "finalize"), "advance")
    cancelled = next_transfer_phase(next_transfer_phase(T.TRANSFERRING, "cancel"), "advance")
    assert (finalized, cancelled) == (T.FINISHED_SUCCESS, T.FINISHED_FAILURE)


def test_a_transfer_move_not_in_the_table_is_an_invalid_transition() -> None:
    with pytest.raises(InvalidTransition, match="transfer: no pause from initializing"):
        next_transfer_phase(TransferPhase.INITIALIZING, "pause")


# -- the generated page ---------------------------------------------------------------------------
def load_generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "phase_diagram", ROOT / "tools" / "phase_diagram.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_docs_phases_md_is_the_generators_output() -> None:
    generator = load_generator()
    committed = (ROOT / "docs" / "phases.md").read_text(encoding="utf-8")
    assert committed == generator.render(), "run: python tools/phase_diagram.py --write"


@pytest.mark.parametrize("path", BackupPath)
def test_every_backup_move_is_an_arrow_of_the_diagram(path: BackupPath) -> None:
    diagram = load_generator().backup_diagram(path)
    arrows = [line.strip() for line in diagram.splitlines() if "-->" in line and "[*]" not in line]
    expected = [f"{b.value} --> {a.value}: {s.value}" for (b, s), a in moves(path).items()]
    assert arrows == expected


def test_every_transfer_move_is_an_arrow_of_the_diagram() -> None:
    diagram = load_generator().transfer_diagram()
    arrows = [line.strip() for line in diagram.splitlines() if "-->" in line and "[*]" not in line]
    expected = [f"{b.value} --> {a.value}: {s}" for (b, s), a in TRANSFER_TRANSITIONS.items()]
    assert arrows == expected


def test_a_stale_page_fails_the_check(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    generator = load_generator()
    stale = tmp_path / "phases.md"
    stale.write_text("# Phases\n", encoding="utf-8")
    monkeypatch.setattr(generator, "PAGE", stale)
    assert generator.main(["--check"]) == 1
    assert generator.main(["--write"]) == 0
    assert generator.main(["--check"]) == 0
