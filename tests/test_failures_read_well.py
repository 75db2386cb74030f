"""Failures read well: one message at the user's own line, none of fakeovirt's frames, no
second chained traceback; each shown through pytester, as a user's test run prints it."""

from __future__ import annotations

import pytest
import trustme  # noqa: F401  (see below)

import fakeovirt.stall  # noqa: F401  (see below)

# pytester's in-process runs forget the modules first imported during them, so a test of
# this file run first in its process used to fail: cryptography's Rust bindings outlive
# the run and refuse a second import of its Python half ("curve must be an EllipticCurve
# instance", from the served fake's certificate), and a second `fakeovirt.stall` makes a
# second StalledClockWarning class, which `-W error::fakeovirt.StalledClockWarning` of the
# next run does not match. Imported here, before any run, they are never forgotten.

CHAINED = ("During handling of the above exception", "The above exception was the direct cause")


def run(pytester: pytest.Pytester, source: str, *args: str) -> pytest.RunResult:
    pytester.makepyfile(test_user=source)
    return pytester.runpytest("-p", "no:cacheprovider", *args)


def reads_as_one_message(output: str, *hidden_files: str) -> None:
    for text in CHAINED:
        assert text not in output
    for name in hidden_files:
        assert name not in output, f"a frame of {name} is shown"


@pytest.mark.parametrize(
    ("call", "message"),
    [
        ('fakeovirt.vm("nope")', "no VM named 'nope'; the engine has 5 VMs: vm-up, vm-down,"),
        (
            'fakeovirt.disk("nope")',
            "no disk with alias 'nope'; the engine has 7 disks: vm-up-disk1",
        ),
        ('fakeovirt.history("nope")', "no backup or image transfer with id 'nope'; the engine has"),
        ('fakeovirt.transfer("nope")', "no image transfer with id 'nope'; the engine has no image"),
        ('fakeovirt.release("nope")', "no backup or image transfer with id 'nope'"),
        ('fakeovirt.guest_write("nope", 0, b"x")', "no disk with alias 'nope'"),
        ('fakeovirt.set_freeze_fails("nope")', "no VM named 'nope'"),
        ('fakeovirt.start_backup("nope")', "no VM named 'nope'"),
    ],
)
def test_a_failed_lookup_is_one_lookup_error_naming_what_exists(
    pytester: pytest.Pytester, call: str, message: str
) -> None:
    result = run(
        pytester,
        f"""
        import pytest
        from fakeovirt import UnknownEntity

        def test_lookup(fakeovirt):
            {call}

        def test_it_is_a_lookup_error(fakeovirt):
            with pytest.raises(LookupError):
                {call}
            with pytest.raises(UnknownEntity):
                {call}
        """,
    )
    result.assert_outcomes(failed=1, passed=1)
    result.stdout.fnmatch_lines([f">*{call}", f"E*fakeovirt.UnknownEntity: {message}*"])
    reads_as_one_message(result.stdout.str(), "lookup.py", "fake.py")


def test_a_journal_assertion_shows_its_message_at_the_users_line(
    pytester: pytest.Pytester,
) -> None:
    result = run(
        pytester,
        """
        def test_finalize_was_called(fakeovirt, fakeovirt_connection):
            fakeovirt_connection.system_service().vms_service().list()
            fakeovirt.journal.assert_request_made("POST /vms/*/backups/*/finalize")

        def test_in_order(fakeovirt, fakeovirt_connection):
            fakeovirt_connection.system_service().vms_service().list()
            fakeovirt.journal.assert_in_order("GET /vms", "POST /vms/*/backups")
        """,
    )
    result.assert_outcomes(failed=2)
    result.stdout.fnmatch_lines(
        [
            '>*assert_request_made("POST /vms/*/backups/*/finalize")',
            "E*AssertionError: expected 1 request(s) matching POST *finalize, found 0",
            "E*similar requests:",
            '>*assert_in_order("GET /vms", "POST /vms/*/backups")',
            "E*AssertionError: requests not in the expected order: no POST *backups after #*",
        ]
    )
    reads_as_one_message(result.stdout.str(), "journal.py")


def test_a_refused_fault_shows_its_message_at_the_users_line(pytester: pytest.Pytester) -> None:
    result = run(
        pytester,
        """
        from fakeovirt import faults

        def test_declared():
            faults.backup_fails_at("ready")

        def test_probability():
            faults.http_error(503, probability=2)

        def test_injected(fakeovirt):
            fakeovirt.inject({"fault": "http_error", "status": 200})
        """,
    )
    result.assert_outcomes(failed=3)
    result.stdout.fnmatch_lines(
        [
            '>*faults.backup_fails_at("ready")',
            "E*ValueError: a backup can fail at initializing, starting, finalizing, not ready",
            ">*faults.http_error(503, probability=2)",
            "E*ValueError: probability must be between 0 and 1",
            '>*fakeovirt.inject({"fault": "http_error", "status": 200})',
            "E*ValueError: http_error status must be 400..599, got 200",
        ]
    )
    reads_as_one_message(result.stdout.str(), "faults.py", "injection.py", "<string>")


@pytest.mark.parametrize(
    ("marker", "message"),
    [
        ('policy="sometimes"', "*options: invalid policy 'sometimes': use immediate, reads:N*"),
        ('clock="sundial"', "*options: invalid clock 'sundial': use manual, system, a datetime*"),
        (
            'faults=[{"fault": "meteor"}]',
            "*options: unknown fault 'meteor': use one of freeze_fails*",
        ),
        ("speed=3", "@pytest.mark.fakeovirt got unknown speed; use check_errors, *"),
        ('scenario="no-such.toml"', "*no-such.toml*"),
    ],
)
def test_a_bad_marker_fails_setup_with_one_line(
    pytester: pytest.Pytester, marker: str, message: str
) -> None:
    result = run(
        pytester,
        f"""
        import pytest

        @pytest.mark.fakeovirt({marker})
        def test_marked(fakeovirt):
            pass
        """,
    )
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*ERROR at setup of test_marked*", message])
    reads_as_one_message(result.stdout.str(), "pytest_plugin.py", "fake.py", "Traceback")


WITHOUT_SDK = """
import sys

sys.modules["ovirtsdk4"] = None  # as if the SDK were not installed: importing it fails
"""


def test_the_connection_fixture_without_the_sdk_fails_with_the_install_hint(
    pytester: pytest.Pytester,
) -> None:
    pytester.makeconftest(WITHOUT_SDK)
    result = run(pytester, "def test_needs_sdk(fakeovirt_connection):\n    pass\n")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        [
            "*ERROR at setup of test_needs_sdk*",
            "fakeovirt_connection needs the oVirt SDK: pip install ovirt-engine-sdk-python *"
            "fakeovirt_skip_without_sdk = on",
        ]
    )
    reads_as_one_message(result.stdout.str(), "pytest_plugin.py", "ImportError")


def test_the_connection_fixture_without_the_sdk_skips_when_the_ini_says_so(
    pytester: pytest.Pytester,
) -> None:
    pytester.makeconftest(WITHOUT_SDK)
    pytester.makeini("[pytest]\nfakeovirt_skip_without_sdk = on\n")
    result = run(pytester, "def test_needs_sdk(fakeovirt_connection):\n    pass\n", "-rs")
    result.assert_outcomes(skipped=1)
    result.stdout.fnmatch_lines(["SKIPPED*fakeovirt_connection needs the oVirt SDK*"])


def test_a_bad_skip_without_sdk_value_is_a_usage_error(pytester: pytest.Pytester) -> None:
    result = run(pytester, "def test_x():\n    pass\n", "--fakeovirt-skip-without-sdk=maybe")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*fakeovirt_skip_without_sdk must be on or off, not 'maybe'"])


STALLED = """
import ovirtsdk4.types as types
import pytest


def start(fakeovirt, connection):
    vm = fakeovirt.vm("vm-up")
    backups = connection.system_service().vms_service().vm_service(vm.id).backups_service()
    disks = [types.Disk(id=a.disk_id) for a in vm.attachments]
    return backups, backups.add(types.Backup(disks=disks))


@pytest.mark.fakeovirt(policy="seconds:5")
def test_polls_a_clock_nobody_moves(fakeovirt, fakeovirt_connection):
    backups, backup = start(fakeovirt, fakeovirt_connection)
    for _ in range(12):  # `while backup.phase != READY` would poll forever
        backup = backups.backup_service(backup.id).get()
    assert backup.phase == types.BackupPhase.INITIALIZING


@pytest.mark.fakeovirt(policy="seconds:5")
def test_polls_and_moves_the_clock(fakeovirt, fakeovirt_connection):
    backups, backup = start(fakeovirt, fakeovirt_connection)
    while backup.phase != types.BackupPhase.READY:
        fakeovirt.advance(1)
        backup = backups.backup_service(backup.id).get()
"""


def test_a_seconds_policy_on_a_manual_clock_nobody_advances_warns_once(
    pytester: pytest.Pytester,
) -> None:
    result = run(pytester, STALLED)
    result.assert_outcomes(passed=2, warnings=1)
    result.stdout.fnmatch_lines(
        [
            "*test_user.py::test_polls_a_clock_nobody_moves*",
            "*StalledClockWarning: backup * was read 10 times in phase initializing while the "
            "manual clock stood still*advance it (fake.advance(seconds)*",
        ]
    )
    assert "test_polls_and_moves_the_clock" not in result.stdout.str().split("warnings summary")[1]


def test_the_stalled_clock_warning_can_be_made_an_error(pytester: pytest.Pytester) -> None:
    """(`--tb=native`: the failure's frames run through the SDK's 40,000-line services.py,
    which pytest's own traceback style parses, for a second, to show; the outcome is what
    this test is about.)"""
    result = run(pytester, STALLED, "-W", "error::fakeovirt.StalledClockWarning", "--tb=native")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["FAILED test_user.py::test_polls_a_clock_nobody_moves*"])
