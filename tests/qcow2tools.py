"""Helpers for the qcow2 tests: qemu-img and qemu-io, and a byte-level model of one layer.

The model is the oracle the writer is checked against: every guest byte is either not in the
layer (the backing chain shows through), written data, or zeroed by the layer.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest

from fakeovirt.core.qcow2 import Extent, Qcow2Image, ReadAt

__all__ = [
    "DATA",
    "NOT_MINE",
    "ZERO",
    "LayerModel",
    "apply_extents",
    "file_reader",
    "qemu_img",
    "qemu_img_info",
    "qemu_io",
    "require_qemu_img",
    "write_image",
]

QCOW2_TOOLS = ("qemu-img", "qemu-io")
NOT_MINE, DATA, ZERO = 0, 1, 2


def require_qemu_img() -> None:
    """Skip the calling test unless qemu-img and qemu-io are on PATH; fail instead on CI."""
    missing = [tool for tool in QCOW2_TOOLS if shutil.which(tool) is None]
    if not missing:
        return
    reason = f"{' and '.join(missing)} not found on PATH"
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason}; qemu-utils must be installed on CI", pytrace=False)
    pytest.skip(f"{reason} (install qemu-utils to run this test)")


def qemu_img(*args: str | Path, cwd: Path | None = None, ok: bool = True) -> str:
    """Run qemu-img; with ``ok`` a non-zero exit fails the test with qemu-img's own words."""
    result = subprocess.run(
        ["qemu-img", *map(str, args)], cwd=cwd, capture_output=True, text=True, check=False
    )
    if ok:
        assert result.returncode == 0, f"qemu-img {args}: {result.stdout}{result.stderr}"
    return result.stdout + result.stderr


def qemu_img_info(path: Path, *options: str) -> Any:
    """`qemu-img info` as JSON: a dict, or with ``--backing-chain`` one per layer, top first."""
    return json.loads(qemu_img("info", "--output=json", "-U", *options, path))


def qemu_io(path: Path, *commands: str, fmt: str = "qcow2") -> None:
    args = ["qemu-io", "-f", fmt]
    for command in commands:
        args += ["-c", command]
    result = subprocess.run([*args, str(path)], capture_output=True, text=True, check=False)
    assert result.returncode == 0 and "error" not in result.stdout.lower(), result


def write_image(path: Path, image: Qcow2Image, chunk: int = 1 << 20) -> None:
    """Write the synthesized file through ranged reads, as a ranged GET would serve it."""
    with path.open("wb") as out:
        for pos in range(0, image.length, chunk):
            out.write(image.read(pos, min(chunk, image.length - pos)))


def file_reader(data: bytes) -> tuple[int, ReadAt]:
    """``size`` and ``read`` over bytes, refusing reads outside them as a sparse store would."""

    def read(offset: int, length: int) -> bytes:
        assert offset >= 0 and offset + length <= len(data), (offset, length)
        return data[offset : offset + length]

    return len(data), read


def apply_extents(backing: bytes, extents: Iterable[Extent]) -> bytes:
    """The guest view of a parsed layer over ``backing``: gaps show the backing bytes."""
    view = bytearray(backing)
    for extent in extents:
        end = extent.start + extent.length
        view[extent.start : end] = extent.data if extent.data is not None else bytes(extent.length)
    return bytes(view)


class LayerModel:
    """One layer over a backing view, byte by byte: what it holds and what the guest sees."""

    def __init__(self, backing_view: bytes) -> None:
        self.size = len(backing_view)
        self.view = bytearray(backing_view)
        self.state = bytearray(self.size)  # NOT_MINE, DATA or ZERO per byte

    def write(self, offset: int, data: bytes) -> None:
        self.view[offset : offset + len(data)] = data
        self.state[offset : offset + len(data)] = bytes([DATA]) * len(data)

    def zero(self, offset: int, length: int) -> None:
        self.view[offset : offset + length] = bytes(length)
        self.state[offset : offset + length] = bytes([ZERO]) * length

    def extents(self, kind: int) -> list[tuple[int, int]]:
        """``(offset, length)`` runs of bytes in ``kind``: each run starts at the next byte
        in ``kind`` and ends at the next byte in another kind (`bytes.find`, a fast scan, where
        a regex stepped through megabytes byte by byte)."""
        state, mine = self.state, bytes([kind])
        others = [bytes([other]) for other in (NOT_MINE, DATA, ZERO) if other != kind]
        runs, start = [], state.find(mine)
        while start >= 0:
            ends = [end for other in others if (end := state.find(other, start)) >= 0]
            end = min(ends, default=self.size)
            runs.append((start, end - start))
            start = state.find(mine, end)
        return runs

    def read(self, offset: int, length: int) -> bytes:
        return bytes(self.view[offset : offset + length])

    def cluster_kinds(self, cluster_size: int, has_backing: bool) -> list[int]:
        """Each guest cluster's kind in the file, by the writer's rules, computed independently."""
        kinds = []
        for start in range(0, self.size, cluster_size):
            chunk = self.state[start : start + cluster_size]
            if DATA in chunk:
                kinds.append(DATA)
            elif ZERO in chunk:
                whole = chunk.count(ZERO) == len(chunk)
                kinds.append(ZERO if whole or not has_backing else DATA)
            else:
                kinds.append(NOT_MINE)
        return kinds
