"""The public API: what `fakeovirt` exports, documented on docs/api.md, and used by the docs.

A public name without a docstring, a name missing from docs/api.md, a stale page, or a doc
example that imports our `tests/` or reaches into internals fails here.
"""

from __future__ import annotations

import ast
import inspect
import re
import runpy
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import fakeovirt
from fakeovirt import FakeOvirt, UnknownEntity

ROOT = Path(__file__).resolve().parent.parent
API_DOC = runpy.run_path(str(ROOT / "tools" / "api_doc.py"))
PAGE = (ROOT / "docs" / "api.md").read_text(encoding="utf-8")
PUBLIC_IMPORTS = {"fakeovirt", *(f"fakeovirt.{m}" for m in fakeovirt.PUBLIC_MODULES)}


def public_names() -> list[tuple[str, str, Any]]:
    return list(API_DOC["public_names"]())


NAMES = [pytest.param(w, n, o, id=f"{w}.{n}") for w, n, o in public_names()]


def test_all_names_exactly_what_the_package_exports() -> None:
    homes = fakeovirt._HOMES  # type: ignore[attr-defined]
    assert sorted(fakeovirt.__all__) == sorted([*homes, "PUBLIC_MODULES", "__version__"])
    for name in fakeovirt.__all__:
        assert getattr(fakeovirt, name) is not None
    for module in fakeovirt.PUBLIC_MODULES:
        assert getattr(fakeovirt, module).__name__ == f"fakeovirt.{module}"


def test_an_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        fakeovirt.nope  # type: ignore[attr-defined]  # noqa: B018


def test_importing_fakeovirt_stays_cheap() -> None:
    """The pytest plugin loads `fakeovirt` in every pytest run: no web library, no engine."""
    probe = (
        "import sys, fakeovirt, fakeovirt.pytest_plugin\n"
        "heavy = ('werkzeug', 'xmlschema', 'hypothesis', 'trustme', 'fakeovirt.core')\n"
        "print(sorted(n for n in sys.modules if n.startswith(heavy)))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, cwd=ROOT
    )
    assert result.stdout.strip() == "[]"


def test_the_lookup_error_is_a_lookup_error_and_the_engine_errors_share_a_base() -> None:
    assert issubclass(UnknownEntity, LookupError)
    for name in ("BadRequest", "Unauthorized", "Forbidden", "NotFound", "Conflict"):
        error = getattr(fakeovirt, name)
        assert issubclass(error, fakeovirt.EngineError)
        assert error.status in (400, 401, 403, 404, 409)


def test_a_lookup_names_what_exists_and_keeps_it() -> None:
    fake = FakeOvirt()
    with pytest.raises(UnknownEntity) as caught:
        fake.vm("vm-nope")
    assert str(caught.value) == (
        "no VM named 'vm-nope'; the engine has 5 VMs: "
        "vm-up, vm-down, vm-mixed, vm-nofreeze, vm-paused"
    )
    assert (caught.value.kind, caught.value.wanted) == ("VM named", "vm-nope")
    assert "vm-up" in caught.value.known


def test_a_long_inventory_is_cut_in_the_message() -> None:
    fake = FakeOvirt("scale:vms=30")
    with pytest.raises(UnknownEntity, match=r"the engine has 30 VMs: .* and 20 more$"):
        fake.vm("nope")
    with pytest.raises(UnknownEntity, match=r"the engine has no VMs$"):
        FakeOvirt("empty").vm("nope")


def test_lookups_take_a_name_or_an_id() -> None:
    fake = FakeOvirt()
    vm = fake.vm("vm-up")
    assert fake.vm(vm.id) is vm
    disk = fake.disk("vm-up-disk1")
    assert fake.disk(disk.id) is disk


# -- documented ---------------------------------------------------------------------------
@pytest.mark.parametrize(("where", "name", "obj"), NAMES)
def test_every_public_name_has_a_docstring(where: str, name: str, obj: Any) -> None:
    if inspect.isclass(obj) or inspect.isfunction(obj):
        assert API_DOC["doc"](obj), f"{where}.{name} has no docstring"
    else:
        assert API_DOC["CONSTANTS"].get(name), f"say what {where}.{name} is in CONSTANTS"


@pytest.mark.parametrize("name", API_DOC["FULLY_DOCUMENTED"])
def test_every_member_of_the_facade_and_its_records_has_a_docstring(name: str) -> None:
    assert API_DOC["undocumented_members"](getattr(fakeovirt, name)) == []


def test_every_fixture_and_marker_key_is_documented() -> None:
    fixtures = API_DOC["fixtures"]()
    assert {f[0] for f in fixtures} >= {
        "fakeovirt",
        "fakeovirt_connection",
        "fakeovirt_server",
        "fakeovirt_factory",
        "fakeovirt_defaults",
    }
    assert [name for name, _, _, text in fixtures if not text] == []
    assert [key for key, text in API_DOC["marker_keys"]() if not text] == []


@pytest.mark.parametrize(("where", "name", "obj"), NAMES)
def test_every_public_name_is_on_the_api_page(where: str, name: str, obj: Any) -> None:
    assert f"`{name}`" in PAGE, f"{where}.{name} is missing from docs/api.md"


def test_the_api_page_is_generated_from_the_docstrings() -> None:
    assert API_DOC["render"]() == PAGE, "docs/api.md is stale: run python tools/api_doc.py"


def test_the_readme_links_the_api_page() -> None:
    assert "(docs/api.md)" in (ROOT / "README.md").read_text(encoding="utf-8")


# -- the docs use the public API only ------------------------------------------------------
def doc_examples() -> list[tuple[str, str]]:
    """(where, source) of every Python example a user may copy from the README or the docs
    (the docs show the tested files of tests/examples/ verbatim)."""
    found = []
    for path in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        if path.name == "api.md":
            continue  # signatures, not examples
        text = path.read_text(encoding="utf-8")
        for number, block in enumerate(re.findall(r"```python\n(.*?)```", text, re.S)):
            found.append((f"{path.name} block {number + 1}", block))
    return found


def imported_modules(source: str) -> list[str]:
    modules = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            modules += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            modules.append(node.module)
    return modules


@pytest.mark.parametrize(("where", "source"), [pytest.param(*e, id=e[0]) for e in doc_examples()])
def test_no_doc_example_imports_our_tests_or_internals(where: str, source: str) -> None:
    bad = [
        module
        for module in imported_modules(source)
        if module.split(".")[0] == "tests"
        or (module.split(".")[0] == "fakeovirt" and module not in PUBLIC_IMPORTS)
    ]
    assert bad == [], f"{where} imports {bad}: use the public API (docs/api.md)"


INTERNALS = re.compile(r"\.(engine|lock|app)\b")


@pytest.mark.parametrize(("where", "source"), [pytest.param(*e, id=e[0]) for e in doc_examples()])
def test_no_doc_example_reaches_into_the_engine_or_its_lock(where: str, source: str) -> None:
    lines = [line for line in source.splitlines() if INTERNALS.search(line.split("#")[0])]
    assert lines == [], f"{where}: use the FakeOvirt facade instead of {lines}"
