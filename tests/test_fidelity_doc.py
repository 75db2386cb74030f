"""docs/fidelity.md stays the whole list of departures, and backups.md's table the profiles'.

A *departure section* is a README or docs/*.md section whose heading says it lists where
fakeovirt departs or differs from the engine (or what it decided where the engine is not
confirmed). Each must link to docs/fidelity.md, and each of its items (a bullet or a table
row) must be a row of the fidelity table that points back to that section: a new departure
written in the docs without its row fails here, and so does a row pointing nowhere.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import fields
from pathlib import Path

import pytest

from fakeovirt.core.profile import DOCUMENTED, ENGINE, PROFILES, SWITCHES, Profile

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
FIDELITY = DOCS / "fidelity.md"
DEPARTURE = re.compile(r"depart|differs from|diverg|not confirmed", re.I)
HEADING = re.compile(r"^(#{2,4}) (.+)$", re.M)
LINK = re.compile(r"\]\(([\w.-]+\.md)#([\w-]+)\)")


def slug(heading: str) -> str:
    """GitHub's anchor for a heading."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


def sections(path: Path) -> dict[str, str]:
    """Each heading's anchor and the text up to the next heading of its level or above."""
    text = path.read_text(encoding="utf-8")
    found = list(HEADING.finditer(text))
    out = {}
    for i, match in enumerate(found):
        level = len(match.group(1))
        end = next((m.start() for m in found[i + 1 :] if len(m.group(1)) <= level), len(text))
        out[slug(match.group(2))] = text[match.end() : end]
    return out


def items(body: str) -> int:
    """Top-level bullets and table body rows."""
    bullets = len(re.findall(r"^- ", body, re.M))
    rows = [line for line in body.splitlines() if line.startswith("|")]
    return bullets + max(len(rows) - 2, 0)


def table_rows() -> list[str]:
    text = FIDELITY.read_text(encoding="utf-8")
    table = text.split("<!-- fidelity-table -->")[1].split("<!-- /fidelity-table -->")[0]
    return [line for line in table.strip().splitlines()[2:]]


def departure_sections() -> list[tuple[str, str, str]]:
    """(file name as linked from docs/, anchor, body) of every departure section."""
    found = []
    for path in [ROOT / "README.md", *sorted(DOCS.glob("*.md"))]:
        if path == FIDELITY:
            continue
        name = path.name if path.parent == DOCS else "../README.md"
        text = path.read_text(encoding="utf-8")
        for match in HEADING.finditer(text):
            if DEPARTURE.search(match.group(2)):
                anchor = slug(match.group(2))
                found.append((name, anchor, sections(path)[anchor]))
    return found


def test_the_docs_have_departure_sections() -> None:
    names = {name for name, _, _ in departure_sections()}
    assert {"../README.md", "wire.md", "data-plane.md", "backups.md"} <= names


@pytest.mark.parametrize("name, anchor, body", departure_sections(), ids=lambda v: str(v)[:40])
def test_a_departure_section_links_to_the_fidelity_table(name: str, anchor: str, body: str) -> None:
    assert "fidelity.md" in body, f"{name}#{anchor} does not link to docs/fidelity.md"


def test_each_departure_listed_in_the_docs_is_a_row_of_the_table() -> None:
    cited = Counter(
        (name, anchor) for row in table_rows() for name, anchor in set(LINK.findall(row))
    )
    for name, anchor, body in departure_sections():
        assert cited[name, anchor] == items(body), (
            f"{name}#{anchor} lists {items(body)} departures, "
            f"the fidelity table has {cited[name, anchor]} rows pointing to it"
        )


def test_every_link_of_the_fidelity_page_reaches_a_heading() -> None:
    for name, anchor in LINK.findall(FIDELITY.read_text(encoding="utf-8")):
        target = DOCS / name
        assert target.exists(), name
        assert anchor in sections(target), f"{name}#{anchor}"


def test_the_rows_are_numbered_in_order_and_say_what_removes_them() -> None:
    rows = [[cell.strip() for cell in row.strip("|").split("|")] for row in table_rows()]
    assert [row[0] for row in rows] == [f"F{i}" for i in range(1, len(rows) + 1)]
    for row in rows:
        removed_by = row[5]
        assert removed_by == "none" or removed_by.startswith("`engine`: `"), row[0]


# -- the profiles' switches ------------------------------------------------------------------
SWITCH_NAMES = [f.name for f in fields(Profile) if f.name not in ("name", "summary")]


def test_every_switch_names_its_engine_source() -> None:
    assert sorted(SWITCHES) == sorted(SWITCH_NAMES)


def test_every_switch_that_differs_is_a_row_of_backups_md_and_of_the_fidelity_table() -> None:
    backups = (DOCS / "backups.md").read_text(encoding="utf-8")
    table = backups.split("<!-- profile-table -->")[1].split("<!-- /profile-table -->")[0]
    fidelity = "\n".join(table_rows())
    differing = [n for n in SWITCH_NAMES if getattr(DOCUMENTED, n) != getattr(ENGINE, n)]
    assert differing == SWITCH_NAMES  # a switch both profiles set alike is no switch
    for name in differing:
        assert f"`engine`: `{name}`" in table, f"backups.md's profile table lacks {name}"
        assert f"`engine`: `{name}`" in fidelity, f"the fidelity table lacks {name}"


def test_the_profiles_are_documented_and_engine() -> None:
    assert list(PROFILES) == ["documented", "engine"]
    with pytest.raises(ValueError, match="use one of documented, engine"):
        Profile.named("strict")
