"""docs/control-plane.md's curl examples, replayed against a real `fakeovirt serve --clock
manual` process, as a shell user runs them (test_control_plane.py replays them in process)."""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path

from .test_cli import Served, start_serve
from .test_control_plane import DOC, Answer, commands, curl, expand, fenced_blocks, jq, like


def test_the_documented_curl_examples_work_against_fakeovirt_serve(tmp_path: Path) -> None:
    served: Served = start_serve(tmp_path, "--clock", "manual", "--quiet")
    try:
        env = {"FAKEOVIRT": served.http().origin, "CA": served.details["ca_file"]}
        last: Answer | None = None
        replayed = checked = 0
        for lang, block in fenced_blocks(DOC.read_text(encoding="utf-8")):
            if lang == "json" and last is not None:
                expected = json.loads(block)
                assert like(last.json(), expected), f"doc shows {expected}\ngot {last.json()}"
                assert (last.status >= 400) == ("error" in expected), last.status
                checked += 1
            if lang != "sh":
                continue
            for command in commands(block):
                capture = re.fullmatch(r"(\w+)=\$\((curl .*) \| jq -r (\S+)\)", command, re.S)
                _, _, last = curl(shlex.split(expand(capture[2] if capture else command, env)), env)
                replayed += 1
                if capture:
                    assert last.status < 400, last.body
                    env[capture[1]] = jq(last.json(), shlex.split(capture[3])[0])
        assert replayed >= 20 and checked >= 10
    finally:
        code, _, err = served.stop()
    assert (code, err) == (0, "")
