"""`web/router.py` remembers werkzeug's answers by the shape of a path; every answer must be
werkzeug's own for that path: the endpoint and arguments, `NotFound`, or `MethodNotAllowed`
with the same allowed methods.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from werkzeug.exceptions import HTTPException, MethodNotAllowed
from werkzeug.routing import Map, Rule

from fakeovirt.web.router import Router
from fakeovirt.web.routes import API_MAP

RULES = [rule.rule for rule in API_MAP.iter_rules()]
CHOICES = {w.strip() for r in RULES for c in re.findall(r"any\(([^)]*)\)", r) for w in c.split(",")}
WORDS = sorted(
    {s for rule in RULES for s in rule.split("/") if s and "<" not in s}
    | CHOICES
    | {w.upper() for w in CHOICES}
)
SEGMENTS = (
    st.sampled_from(WORDS)
    | st.sampled_from(["", "1", "~1~", "a b", "é", "%2F"])
    | st.text(
        alphabet=st.characters(blacklist_characters="/", blacklist_categories=("Cs",)), max_size=4
    )
)
PATHS = st.lists(SEGMENTS, max_size=7).map(lambda parts: "/" + "/".join(parts))
METHODS = st.sampled_from(["GET", "POST", "DELETE", "PUT", "HEAD"])


def werkzeug_answer(url_map: Map, path: str, method: str) -> Any:
    try:
        endpoint, args = url_map.bind("fakeovirt", url_scheme="https").match(path, method=method)
    except MethodNotAllowed as error:
        return ("405", sorted(error.valid_methods or []))
    except HTTPException as error:
        return (type(error).__name__,)
    return (str(endpoint), dict(args))


def router_answer(router: Router, path: str, method: str) -> Any:
    try:
        return router.match(path, method)
    except MethodNotAllowed as error:
        return ("405", sorted(error.valid_methods or []))
    except HTTPException as error:
        return (type(error).__name__,)


ROUTER = Router(API_MAP)


@settings(max_examples=500, deadline=None)
@given(path=PATHS, method=METHODS)
def test_the_router_answers_as_werkzeug(path: str, method: str) -> None:
    assert router_answer(ROUTER, path, method) == werkzeug_answer(API_MAP, path, method)


@pytest.mark.parametrize(
    ("path", "method"),
    [
        ("/vms/vm-1/backups/b-1", "GET"),
        ("/vms/backups/backups/backups", "GET"),  # an id that is one of the table's words
        ("/vms/vm-2/backups/b-2/finalize", "POST"),
        ("/vms/vm-2/backups/b-2/finalize", "GET"),
        ("/imagetransfers/t-1/cancel", "POST"),
        ("/imagetransfers/t-1/CANCEL", "POST"),
        ("/vms/vm-1/start", "POST"),
        ("/vms/", "GET"),
        ("//vms", "GET"),
        ("/vms//backups", "GET"),
        ("/nothing/here", "GET"),
    ],
)
def test_a_remembered_shape_serves_other_paths_of_that_shape(path: str, method: str) -> None:
    router = Router(API_MAP)
    twin = path.replace("1", "9").replace("2", "8")
    for asked in (path, twin, path):
        assert router_answer(router, asked, method) == werkzeug_answer(API_MAP, asked, method)


def test_a_table_with_other_converters_is_left_to_werkzeug() -> None:
    url_map = Map([Rule("/items/<int:n>", endpoint="items.get", methods=["GET"])])
    router = Router(url_map)
    assert router.match("/items/7", "GET") == ("items.get", {"n": 7})
    assert router_answer(router, "/items/x", "GET") == ("NotFound",)


@pytest.mark.parametrize("table", ["api", "control"])
def test_the_tables_build_urls_as_werkzeugs_own_rules_do(table: str) -> None:
    """fakeovirt only matches URLs, so its rules compile their URL builders on first use;
    building a URL with them still gives what werkzeug's own rules give."""
    from fakeovirt.web.mounted.control import ROUTES
    from fakeovirt.web.router import MatchingRule

    url_map = {"api": API_MAP, "control": ROUTES}[table]
    rules = list(url_map.iter_rules())
    assert all(type(rule) is MatchingRule for rule in rules)
    plain = Map([Rule(r.rule, methods=r.methods, endpoint=r.endpoint) for r in rules])
    ours, theirs = url_map.bind("fakeovirt"), plain.bind("fakeovirt")
    for rule in rules:
        values: dict[str, Any] = {name: f"v-{name}" for name in rule.arguments}
        if "action" in values:
            values["action"] = "start" if "shutdown" in rule.rule else "cancel"
        for method in sorted(rule.methods or ()):
            built = ours.build(rule.endpoint, values, method=method)
            assert built == theirs.build(rule.endpoint, values, method=method)
            assert ours.match(built, method=method) == (rule.endpoint, values)
