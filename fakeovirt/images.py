"""Compare a restored image (a raw file or a qcow2 chain) with a disk's content.

    expected = fake.backup_content(backup.id, "vm-up-disk1")   # the disk at the backup
    assert_image_matches(restored_path, expected)              # or image_difference(...)

Rules of this file:
- a qcow2 image is read through its whole backing chain by ``qemu-img convert`` (qemu-utils)
  into a sparse raw file; a raw image is read as it is, without qemu;
- only data is compared: the file's data regions (``SEEK_DATA``) and the expected content's
  non-zero extents; everything else reads as zeros on both sides;
- a difference is reported as its first differing extent: from the first differing byte to the
  end of the run of differing 4 KiB sectors that follows, with a preview of both sides.
"""

from __future__ import annotations

import errno
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Protocol

__all__ = [
    "Content",
    "ImageDifference",
    "ImageMismatch",
    "UnreadableImage",
    "assert_image_matches",
    "image_difference",
    "write_raw",
]

SECTOR = 4096
_CHUNK = 1024 * 1024
_QCOW2_MAGIC = b"QFI\xfb"
_PREVIEW = 24


class _Extent(Protocol):
    @property
    def start(self) -> int: ...
    @property
    def length(self) -> int: ...
    @property
    def zero(self) -> bool: ...


class Content(Protocol):
    """What the expected side must offer: a disk's content or a frozen view of it
    (`fake.backup_content(...)`, `fake.disk(alias).content`)."""

    @property
    def size(self) -> int: ...
    def read(self, offset: int, length: int) -> bytes: ...
    def zero_extents(self) -> Sequence[_Extent]: ...


class UnreadableImage(Exception):
    """The image cannot be read as a disk: not found, or a broken qcow2 chain."""


@dataclass(frozen=True)
class ImageDifference:
    """The first extent where the image and the expected content differ."""

    start: int
    length: int
    expected: bytes  # the first bytes the disk holds there
    actual: bytes  # the first bytes the image holds there
    note: str = ""

    def __str__(self) -> str:
        end = self.start + self.length
        text = (
            f"bytes {self.start}-{end - 1} ({_size(self.length)} at {_size(self.start)}) "
            f"differ: the disk holds {_preview(self.expected)}, the image {_preview(self.actual)}"
        )
        return f"{text}; {self.note}" if self.note else text


class ImageMismatch(AssertionError):
    """`assert_image_matches` failed; `difference` says where."""

    def __init__(self, path: Path, difference: ImageDifference) -> None:
        super().__init__(f"{path} does not equal the expected disk content: {difference}")
        self.path = path
        self.difference = difference


def assert_image_matches(path: str | os.PathLike[str], expected: Content) -> None:
    """Fail with the first differing extent unless the image reads exactly as `expected`."""
    __tracebackhide__ = True
    difference = image_difference(path, expected)
    if difference is not None:
        raise ImageMismatch(Path(path), difference)


def image_difference(path: str | os.PathLike[str], expected: Content) -> ImageDifference | None:
    """None when the image at `path` reads exactly as `expected`, else its first difference.

    A qcow2 image is read through its backing chain (needs `qemu-img`); raises
    `UnreadableImage` when the file or a backing file is missing or not an image.
    """
    image = Path(path)
    if not image.is_file():
        raise UnreadableImage(f"no image file {image}")
    if _is_qcow2(image):
        with tempfile.TemporaryDirectory(prefix="fakeovirt-image-") as tmp:
            raw = Path(tmp) / "image.raw"
            _convert(image, raw)
            return _compare_raw(raw, expected)
    return _compare_raw(image, expected)


def write_raw(content: Content, path: str | os.PathLike[str]) -> None:
    """Write `content` as a sparse raw image (holes where it reads as zeros)."""
    with open(path, "wb") as out:
        out.truncate(content.size)
        for extent in content.zero_extents():
            if extent.zero:
                continue
            for pos in range(extent.start, extent.start + extent.length, _CHUNK):
                n = min(_CHUNK, extent.start + extent.length - pos)
                out.seek(pos)
                out.write(content.read(pos, n))


def _is_qcow2(path: Path) -> bool:
    with path.open("rb") as f:
        return f.read(4) == _QCOW2_MAGIC


def _convert(image: Path, raw: Path) -> None:
    tool = shutil.which("qemu-img")
    if tool is None:
        raise UnreadableImage(f"{image} is qcow2: reading it needs qemu-img (install qemu-utils)")
    done = subprocess.run(
        [tool, "convert", "-f", "qcow2", "-O", "raw", str(image), str(raw)],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        message = " ".join((done.stderr or done.stdout).split())
        raise UnreadableImage(f"qemu-img cannot read {image}: {message}")


def _compare_raw(raw: Path, expected: Content) -> ImageDifference | None:
    size = raw.stat().st_size
    with raw.open("rb") as f:
        for start, end in _ranges(f.fileno(), expected, min(size, expected.size)):
            difference = _first_difference(f, expected, start, end)
            if difference is not None:
                return difference
    if size != expected.size:
        start = min(size, expected.size)
        return ImageDifference(
            start,
            abs(size - expected.size),
            b"",
            b"",
            note=f"the image is {size} bytes long, the disk {expected.size}",
        )
    return None


def _ranges(fd: int, expected: Content, size: int) -> list[tuple[int, int]]:
    """Sorted, merged ranges below `size` where either side may hold non-zero bytes."""
    spans = [
        (e.start, min(e.start + e.length, size))
        for e in expected.zero_extents()
        if not e.zero and e.start < size
    ]
    spans.extend(_data_regions(fd, size))
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def _data_regions(fd: int, size: int) -> Iterator[tuple[int, int]]:
    """The file's data regions (everything, where the file system cannot tell holes)."""
    pos = 0
    while pos < size:
        try:
            start = os.lseek(fd, pos, os.SEEK_DATA)
        except OSError as error:
            if error.errno == errno.ENXIO:  # no data after pos
                return
            yield pos, size  # SEEK_DATA unsupported: treat the rest as data
            return
        end = min(os.lseek(fd, start, os.SEEK_HOLE), size)
        if start >= size:
            return
        yield start, end
        pos = end


def _first_difference(
    f: BinaryIO, expected: Content, start: int, end: int
) -> ImageDifference | None:
    for pos in range(start, end, _CHUNK):
        n = min(_CHUNK, end - pos)
        f.seek(pos)
        actual = _padded(f.read(n), n)
        wanted = expected.read(pos, n)
        if actual == wanted:
            continue
        first = pos + next(i for i in range(n) if actual[i] != wanted[i])
        last = _end_of_difference(f, expected, first, expected.size)
        shown = min(_PREVIEW, last - first)
        f.seek(first)
        return ImageDifference(
            first, last - first, expected.read(first, shown), _padded(f.read(shown), shown)
        )
    return None


def _end_of_difference(f: BinaryIO, expected: Content, first: int, size: int) -> int:
    """The end of the run of differing sectors that starts with the one holding `first`."""
    pos = (first // SECTOR + 1) * SECTOR
    while pos < size:
        n = min(SECTOR, size - pos)
        f.seek(pos)
        if _padded(f.read(n), n) == expected.read(pos, n):
            break
        pos += n
    return min(pos, size)


def _padded(data: bytes, n: int) -> bytes:
    return data + bytes(n - len(data)) if len(data) < n else data


def _preview(data: bytes) -> str:
    if not data:
        return "nothing"
    if not any(data):
        return "zeros"
    return repr(data) + ("…" if len(data) == _PREVIEW else "")


def _size(n: int) -> str:
    for unit, scale in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if n >= scale:
            return f"{n // scale} {unit}" if n % scale == 0 else f"{n / scale:.2f} {unit}"
    return f"{n} bytes"
