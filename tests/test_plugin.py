"""The pytest plugin, seen from a downstream project: only the public fixtures and marker.

Each test writes a small test file with `pytester` and runs pytest on it. The plugin comes
in through its `pytest11` entry point, as it does for users.
"""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

import fakeovirt.fake  # imported here, so in-process runs do not import it again each time
import fakeovirt.pytest_plugin

REPO = Path(fakeovirt.pytest_plugin.__file__).resolve().parents[1]
QUIET = ("-p", "no:cacheprovider", "-p", "no:hypothesispytest", "-p", "no:benchmark")

pytestmark = pytest.mark.filterwarnings("ignore::pytest.PytestAssertRewriteWarning")


@pytest.fixture(autouse=True)
def this_checkout(monkeypatch: pytest.MonkeyPatch) -> None:
    """Subprocess runs import fakeovirt from this checkout, whatever else is installed."""
    monkeypatch.setenv("PYTHONPATH", str(REPO))


DOWNSTREAM = """
import ovirtsdk4.types as types

def vm_names(connection):
    return {vm.name for vm in connection.system_service().vms_service().list()}

def test_lists_the_demo_vms(fakeovirt_connection):
    assert "vm-up" in vm_names(fakeovirt_connection)

def test_backs_up_a_vm(fakeovirt, fakeovirt_connection):
    vm = fakeovirt.vm("vm-up")
    vms = fakeovirt_connection.system_service().vms_service()
    backups = vms.vm_service(vm.id).backups_service()
    disks = [types.Disk(id=a.disk_id) for a in vm.attachments]
    backup = backups.add(types.Backup(disks=disks))
    assert backup.phase == types.BackupPhase.INITIALIZING  # as an engine answers an add
    while backup.phase != types.BackupPhase.READY:  # reads:1, the default: each read moves it
        backup = backups.backup_service(backup.id).get()
    fakeovirt.journal.assert_request_made("POST /vms/*/backups", status=201)
"""


def test_a_downstream_test_file_passes(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_downstream=DOWNSTREAM)
    pytester.runpytest(*QUIET).assert_outcomes(passed=2)


def test_state_of_one_test_is_invisible_in_the_next(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_isolation="""
        import datetime
        from fakeovirt import faults
        from fakeovirt.core.clock import EPOCH

        def test_leaves_a_mess(fakeovirt, fakeovirt_connection):
            vm = fakeovirt.vm("vm-up")
            fakeovirt.engine.policy = fakeovirt.engine.policy.holding("starting")
            fakeovirt.advance(3600)
            fakeovirt.set_freeze_fails("vm-up")
            fakeovirt.guest_write("vm-up-disk1", 0, b"x" * 65536)
            fakeovirt.inject(faults.http_error(503, path="/hosts"))
            fakeovirt.app.strict = False
            fakeovirt_connection.system_service().vms_service().list()
            assert fakeovirt.journal.entries

        def test_sees_a_fresh_engine(fakeovirt, fakeovirt_connection):
            assert fakeovirt.clock.now() == EPOCH
            assert fakeovirt.policy.hold == frozenset()
            assert fakeovirt.vm("vm-up").guest.freeze_fails is False
            assert fakeovirt.disk("vm-up-disk1").content.read(0, 1) != b"x"
            assert fakeovirt.faults.rules == [] and fakeovirt.app.strict is True
            assert fakeovirt.journal.entries == [] and fakeovirt.events() == []
            assert fakeovirt_connection.system_service().hosts_service().list()
        """
    )
    pytester.runpytest(*QUIET, "-p", "no:randomly").assert_outcomes(passed=2)


def test_the_marker_configures_scenario_policy_clock_and_faults(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_marker="""
        import datetime
        import pytest
        import ovirtsdk4 as sdk
        import ovirtsdk4.types as types
        from fakeovirt import faults

        DISK = {"alias": "db1-data", "size": 65536, "seeded_blocks": 1}
        LAB = {"name": "lab", "vms": [{"name": "db1", "disks": [DISK]}]}
        START = datetime.datetime(2030, 5, 1, tzinfo=datetime.timezone.utc)

        @pytest.mark.fakeovirt(
            scenario=LAB,
            policy="reads:2",
            clock=START,
            faults=[
                faults.http_error(503, path="/hosts", times=1),
                {"fault": "latency", "seconds": 0.001},
            ],
        )
        def test_configured(fakeovirt, fakeovirt_connection):
            system = fakeovirt_connection.system_service()
            assert [vm.name for vm in system.vms_service().list()] == ["db1"]
            assert fakeovirt.clock.now() == START
            vm = fakeovirt.vm("db1")
            backups = system.vms_service().vm_service(vm.id).backups_service()
            backup = backups.add(types.Backup(disks=[types.Disk(id=vm.attachments[0].disk_id)]))
            assert backup.phase == types.BackupPhase.INITIALIZING, "reads:2 holds each phase"
            with pytest.raises(sdk.Error) as failed:
                system.hosts_service().list()
            assert failed.value.code == 503
            assert [f.fault.kind for f in fakeovirt.faults.rules] == ["http_error", "latency"]

        def test_unmarked_gets_the_defaults(fakeovirt):
            assert fakeovirt.engine.scenario.name == "demo"
            assert fakeovirt.policy.reads == 1 and fakeovirt.faults.rules == []
        """
    )
    pytester.runpytest(*QUIET, "-p", "no:randomly").assert_outcomes(passed=2)


def test_a_class_marker_and_a_function_marker_combine(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_layers="""
        import pytest

        @pytest.mark.fakeovirt(scenario="empty", policy="reads:1")
        class TestLayers:
            @pytest.mark.fakeovirt(policy="seconds:5")
            def test_closest_wins(self, fakeovirt):
                assert fakeovirt.engine.scenario.name == "empty"
                assert fakeovirt.policy.seconds == 5.0
        """
    )
    pytester.runpytest(*QUIET).assert_outcomes(passed=1)


def test_a_server_side_exception_fails_the_test_at_teardown(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_broken="""
        import pytest
        import ovirtsdk4 as sdk

        def break_the_engine(fakeovirt, connection):
            fakeovirt.engine.state.vms = None  # any handler touching VMs now raises
            with pytest.raises(sdk.Error):
                connection.system_service().vms_service().list()

        def test_hits_a_bug(fakeovirt, fakeovirt_connection):
            break_the_engine(fakeovirt, fakeovirt_connection)

        @pytest.mark.fakeovirt(check_errors=False)
        def test_knows_about_the_bug(fakeovirt, fakeovirt_connection):
            break_the_engine(fakeovirt, fakeovirt_connection)
        """
    )
    result = pytester.runpytest(*QUIET, "-p", "no:randomly")
    result.assert_outcomes(passed=2, errors=1)
    result.stdout.fnmatch_lines(
        [
            "*ERROR at teardown of test_hits_a_bug*",
            "*fakeovirt raised while answering 1 request(s):*",
            "*GET /ovirt-engine/api/vms: AttributeError(*",
            "*@pytest.mark.fakeovirt(check_errors=False)*",
        ]
    )


UNSERVED = """
import pytest
import ovirtsdk4 as sdk

def test_asks_for_watchdogs(fakeovirt, fakeovirt_connection):
    vm = fakeovirt_connection.system_service().vms_service().vm_service(fakeovirt.vm("vm-up").id)
    watchdogs = vm.watchdogs_service()
    with pytest.raises(sdk.NotFoundError):
        watchdogs.list()
"""


def test_a_request_no_endpoint_serves_fails_the_test_at_teardown(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_unserved=UNSERVED)
    result = pytester.runpytest(*QUIET)
    result.assert_outcomes(passed=1, errors=1)  # the test body passed; its teardown did not
    result.stdout.fnmatch_lines(
        [
            "*ERROR at teardown of test_asks_for_watchdogs*",
            "*fakeovirt serves no endpoint for 1 request(s) of this test:*",
            "*#* GET /ovirt-engine/api/vms/*/watchdogs -> 404 [[]no endpoint[]]*",
        ]
    )


def test_the_unanswered_check_can_be_turned_off_in_the_ini_file(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_unserved=UNSERVED)
    pytester.makeini("[pytest]\nfakeovirt_check_unanswered = off\n")
    pytester.runpytest(*QUIET).assert_outcomes(passed=1)


def test_a_conftest_can_set_defaults_for_its_directory(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(
        """
        import pytest

        @pytest.fixture
        def fakeovirt_defaults():
            return {"scenario": "empty", "check_unanswered": False}
        """
    )
    pytester.makepyfile(
        test_defaults="""
        import pytest

        def test_directory_default(fakeovirt):
            assert fakeovirt.engine.scenario.name == "empty"
            basic = {"Authorization": "Basic YWRtaW5AaW50ZXJuYWw6ZmFrZW92aXJ0"}
            assert fakeovirt.client().get("/ovirt-engine/api/x", headers=basic).status_code == 404

        @pytest.mark.fakeovirt(scenario="demo")
        def test_marker_beats_directory_default(fakeovirt):
            assert fakeovirt.engine.scenario.name == "demo"
        """
    )
    pytester.runpytest(*QUIET).assert_outcomes(passed=2)


def test_options_share_one_prefix_and_the_command_line_wins(pytester: pytest.Pytester) -> None:
    pytester.makeini(
        "[pytest]\nfakeovirt_scenario = empty\nfakeovirt_strict = off\nfakeovirt_policy = reads:3\n"
    )
    pytester.makepyfile(
        test_options="""
        def test_options(fakeovirt, fakeovirt_connection, request):
            expected = request.config.getoption("fakeovirt_scenario") or "empty"
            assert fakeovirt.engine.scenario.name == expected
            assert fakeovirt.app.strict is False and fakeovirt.policy.reads == 3
            tls = request.config.getoption("fakeovirt_tls") != "off"
            assert fakeovirt.origin.startswith("https://" if tls else "http://")
            assert (fakeovirt.ca_file is not None) == tls
            assert fakeovirt_connection.system_service().get().product_info.name
        """
    )
    pytester.runpytest(*QUIET).assert_outcomes(passed=1)
    pytester.runpytest(*QUIET, "--fakeovirt-scenario=demo", "--fakeovirt-tls=off").assert_outcomes(
        passed=1
    )
    help_text = pytester.runpytest("--help").stdout.str()
    options = ("scenario", "policy", "strict", "check-errors", "check-unanswered", "tls", "profile")
    for option in options:
        assert f"--fakeovirt-{option}" in help_text
        assert f"fakeovirt_{option.replace('-', '_')} (" in help_text


def test_the_profile_comes_from_the_ini_file_the_command_line_or_the_marker(
    pytester: pytest.Pytester,
) -> None:
    pytester.makeini("[pytest]\nfakeovirt_profile = engine\n")
    pytester.makepyfile(
        test_profiles="""
        import pytest

        def test_session_profile(fakeovirt, request):
            expected = request.config.getoption("fakeovirt_profile") or "engine"
            assert fakeovirt.profile.name == expected

        @pytest.mark.fakeovirt(profile="documented")
        def test_the_marker_wins(fakeovirt):
            assert fakeovirt.profile.name == "documented"

        def test_the_next_test_is_reset_to_the_session_profile(fakeovirt, request):
            expected = request.config.getoption("fakeovirt_profile") or "engine"
            assert fakeovirt.profile.name == expected

        @pytest.mark.fakeovirt(profile="strict")
        def test_an_unknown_profile(fakeovirt):
            pass
        """
    )
    result = pytester.runpytest(*QUIET, "-p", "no:randomly")
    result.assert_outcomes(passed=3, errors=1)
    result.stdout.fnmatch_lines(["*unknown profile 'strict': use one of documented, engine*"])
    override = pytester.runpytest(*QUIET, "-p", "no:randomly", "--fakeovirt-profile", "documented")
    override.assert_outcomes(passed=3, errors=1)


def test_a_bad_marker_fails_the_setup_with_a_reason(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_bad="""
        import pytest

        @pytest.mark.fakeovirt(colour="blue")
        def test_unknown_key(fakeovirt):
            pass

        @pytest.mark.fakeovirt(policy="sometimes")
        def test_bad_policy(fakeovirt):
            pass
        """
    )
    result = pytester.runpytest(*QUIET, "--strict-markers")
    result.assert_outcomes(errors=2)
    result.stdout.fnmatch_lines_random(
        [
            "*@pytest.mark.fakeovirt got unknown colour; use*",
            "*invalid policy 'sometimes': use immediate, reads:N or seconds:T*",
        ]
    )


def test_the_factory_makes_independent_engines(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_factory="""
        import ovirtsdk4 as sdk

        def test_two_engines(fakeovirt, fakeovirt_factory):
            other = fakeovirt_factory(scenario="empty", policy="reads:3")
            assert other.origin != fakeovirt.origin
            assert other.engine.scenario.name == "empty" and other.policy.reads == 3
            connection = sdk.Connection(**other.connection_kwargs())
            assert connection.system_service().vms_service().list() == []
            connection.close()
            quiet = fakeovirt_factory(serve=False)
            assert quiet.engine.scenario.name == "demo"
        """
    )
    pytester.runpytest(*QUIET).assert_outcomes(passed=1)


def test_the_connection_fixture_without_the_sdk_fails_with_the_install_hint(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A skip would hide a CI without the SDK; the ini option that skips instead is tested in
    test_failures_read_well.py."""
    monkeypatch.setitem(sys.modules, "ovirtsdk4", None)  # as if it were not installed
    pytester.makepyfile(
        test_nosdk="""
        def test_needs_the_sdk(fakeovirt_connection):
            pass
        """
    )
    result = pytester.runpytest(*QUIET)
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*fakeovirt_connection needs the oVirt SDK: pip install*"])


def test_the_run_passes_under_xdist(pytester: pytest.Pytester) -> None:
    """The controller runs in-process, the two workers are processes of their own: each loads
    the plugin from its entry point, serves its own fake and resets it for every test."""
    pytester.makepyfile(test_downstream=DOWNSTREAM)
    pytester.makepyfile(test_isolated=UNSERVED.replace("def test_asks", "def _unused"))
    pytester.makepyfile(
        test_more="""
        import pytest

        @pytest.mark.parametrize("n", range(6))
        def test_each_worker_resets(fakeovirt, fakeovirt_connection, n):
            assert fakeovirt.journal.entries == []
            assert fakeovirt.vm("vm-up").guest.freeze_fails is False
            fakeovirt.set_freeze_fails("vm-up")
            assert fakeovirt_connection.system_service().vms_service().list()
        """
    )
    result = pytester.runpytest("-n", "2", *QUIET)
    result.assert_outcomes(passed=8)
    result.stdout.fnmatch_lines(["*2 workers*"])


def test_pytest_rewrites_the_asserts_a_test_meets_and_not_the_engines(
    pytester: pytest.Pytester,
) -> None:
    """pytest marks a plugin's whole package for assertion rewriting; the plugin keeps it to
    the modules a user's test fails in (its own, the contract's rules, the strategies), so
    the engine and the web app load as plain Python. pytest marks nothing of some editable
    installs (an old setuptools's, or pytest 7.4): then nothing is rewritten and there is
    nothing to narrow (the narrowing itself is proven on pytest's own structures below)."""
    pytester.makepyfile(
        test_rewritten="""
        import fakeovirt, fakeovirt.core, fakeovirt.stateful, fakeovirt.web

        def rewritten(request, name, package):
            hook = request.config.pluginmanager.rewrite_hook
            return hook.find_spec(name, package.__path__) is not None

        def test_rewritten(request):
            marked = request.config.pluginmanager.rewrite_hook._must_rewrite
            assert "fakeovirt" not in marked  # never the whole package
            narrowed = "fakeovirt.stateful" in marked
            if narrowed:
                assert rewritten(request, "fakeovirt.stateful.rules_backups", fakeovirt.stateful)
                assert rewritten(request, "fakeovirt.strategies", fakeovirt)
                assert rewritten(request, "fakeovirt.pytest_plugin", fakeovirt)
            assert not rewritten(request, "fakeovirt.core.engine", fakeovirt.core)
            assert not rewritten(request, "fakeovirt.web.app", fakeovirt.web)
            assert not rewritten(request, "fakeovirt.fake", fakeovirt)
            print("REWRITE:", "narrowed" if narrowed else "untouched")
        """
    )
    pytester.runpytest("-s", *QUIET).assert_outcomes(passed=1)


def test_the_plugin_narrows_what_pytest_marked_for_rewriting() -> None:
    """What pytest marked for the package becomes the few modules a test fails in; other
    marks stay, and pytest's memo of earlier answers about the package is dropped."""

    hook = SimpleNamespace(
        _must_rewrite={"fakeovirt", "other_plugin"},
        _marked_for_rewrite_cache={"fakeovirt.core": True, "fakeovirt": True, "other": False},
    )
    manager: Any = SimpleNamespace(rewrite_hook=hook)
    fakeovirt.pytest_plugin._rewrite_only_what_tests_meet(manager)
    assert hook._must_rewrite == {"other_plugin", *fakeovirt.pytest_plugin._REWRITTEN}
    assert hook._marked_for_rewrite_cache == {"other": False}
    assert "fakeovirt.stateful" in hook._must_rewrite  # the contract's rules stay rewritten


def test_the_plugin_module_imports_only_pytest_and_the_standard_library() -> None:
    tree = ast.parse(Path(fakeovirt.pytest_plugin.__file__).read_text(encoding="utf-8"))
    top = set()
    for node in tree.body:  # module level only: fixtures import fakeovirt lazily
        if isinstance(node, ast.Import):
            top |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            top.add(node.module.split(".")[0])
    assert top - {"__future__", "pytest"} <= set(sys.stdlib_module_names), top
    loaded = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys, fakeovirt.pytest_plugin; "
            "print(sorted({m.split('.')[0] for m in sys.modules}))",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    for heavy in ("werkzeug", "xmlschema", "trustme", "cheroot", "ovirtsdk4"):
        assert f"'{heavy}'" not in loaded


DOCS = REPO / "docs"
DOWNSTREAM_EXAMPLE = re.compile(r"<!-- downstream test: [^>]*-->\n```python\n(.*?)```", re.S)


@pytest.mark.parametrize("doc", ["pytest-plugin.md", "faults.md"])
def test_the_documented_examples_pass_as_downstream_tests(
    pytester: pytest.Pytester, doc: str
) -> None:
    examples = DOWNSTREAM_EXAMPLE.findall((DOCS / doc).read_text(encoding="utf-8"))
    assert examples, f"docs/{doc} shows no downstream example"
    for number, source in enumerate(examples):
        pytester.makepyfile(**{f"test_example_{number}": source})
    result = pytester.runpytest(*QUIET)
    result.assert_outcomes(passed=sum(source.count("\ndef test_") for source in examples))
