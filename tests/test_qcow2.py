"""qcow2 volume files: the synthesized file is what qemu reads, the parser reads what qemu writes.

Upstream facts behind the module (fakeovirt/core/qcow2/__init__.py opens with its rules):
- A transfer without ``format`` uses the FILE backend (ovirt-engine
  ``TransferDiskImageCommand.java`` lines 539-556), which serves the prepared volume file byte
  for byte (ovirt-imageio ``_internal/backends/file.py``): a ``cow`` volume is its qcow2 file.
- VDSM names a volume's backing file by the parent volume's UUID, relative, with the parent's
  format (vdsm ``lib/vdsm/storage/volume.py`` ``getBackingVolumePath`` and ``clone``).
Checked with Debian's qemu-utils (qemu-img 7.2).
"""

from __future__ import annotations

import json
import random
import struct
import tempfile
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fakeovirt.core.qcow2 import (
    CLUSTER_SIZE,
    Backing,
    CorruptQcow2,
    Extent,
    NotQcow2,
    Qcow2Error,
    Qcow2Image,
    Qcow2Info,
    UnsupportedQcow2,
    parse,
    sniff,
    synthesize,
)

from .qcow2tools import (
    DATA,
    NOT_MINE,
    ZERO,
    LayerModel,
    apply_extents,
    file_reader,
    qemu_img,
    qemu_img_info,
    qemu_io,
    require_qemu_img,
    write_image,
)

KiB, MiB = 1024, 1024 * 1024

# -- hypothesis: random sparse layers and chains -------------------------------------------


@dataclass(frozen=True)
class Op:
    kind: str  # "data", "zero-data" (written zeros) or "zero"
    offset: int
    length: int


@dataclass(frozen=True)
class ChainSpec:
    cluster_size: int
    size: int
    base: str  # "raw" or "qcow2"
    layers: tuple[tuple[Op, ...], ...]  # layers[0] is the base
    seed: int


@st.composite
def ops(draw: st.DrawFn, size: int, cluster_size: int) -> tuple[Op, ...]:
    out = []
    for _ in range(draw(st.integers(0, 8))):
        align = draw(st.sampled_from([1, 512, cluster_size]))
        start = draw(st.integers(0, (size - 1) // align)) * align
        length = min(size - start, draw(st.integers(1, 3 * cluster_size // align + 1)) * align)
        out.append(Op(draw(st.sampled_from(["data", "zero-data", "zero"])), start, length))
    return tuple(out)


@st.composite
def chains(draw: st.DrawFn) -> ChainSpec:
    cluster_size = draw(st.sampled_from([512, 4 * KiB, 64 * KiB]))
    size = draw(st.integers(1, 40 * cluster_size // 512)) * 512
    base = draw(st.sampled_from(["raw", "qcow2"]))
    count = draw(st.integers(1 if base == "raw" else 0, 2)) + 1
    layers = tuple(draw(ops(size, cluster_size)) for _ in range(count))
    return ChainSpec(cluster_size, size, base, layers, draw(st.integers(0, 2**32)))


@dataclass
class Layer:
    name: str
    model: LayerModel
    image: Qcow2Image | None  # None for a raw base
    backing: Backing | None


def build_chain(spec: ChainSpec) -> list[Layer]:
    """Apply each layer's ops over the view below it; synthesize every qcow2 layer."""
    rng = random.Random(spec.seed)
    layers: list[Layer] = []
    view = bytes(spec.size)
    for depth, layer_ops in enumerate(spec.layers):
        model = LayerModel(view)
        for op in layer_ops:
            if op.kind == "zero":
                model.zero(op.offset, op.length)
            else:
                data = rng.randbytes(op.length) if op.kind == "data" else bytes(op.length)
                model.write(op.offset, data)
        name = str(uuid.UUID(int=rng.getrandbits(128)))
        backing = None
        if layers:
            below = layers[-1]
            backing = Backing(below.name, "raw" if below.image is None else "qcow2")
        image = None
        if depth or spec.base == "qcow2":
            image = synthesize(
                spec.size,
                data=model.extents(DATA),
                zero=model.extents(ZERO),
                read=model.read,
                backing=backing,
                cluster_size=spec.cluster_size,
            )
        layers.append(Layer(name, model, image, backing))
        view = bytes(model.view)
    return layers


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(spec=chains())
def test_qemu_img_reads_a_synthesized_chain_as_the_guest_sees_it(spec: ChainSpec) -> None:
    """check finds no error, info the size and backing file, convert the guest bytes.

    One `info --backing-chain` of the top reports every layer, as one `info` of each would;
    the guest bytes qemu reads through the chain are compared here, byte for byte, with what
    the guest wrote (a `qemu-img compare` with the same bytes as a raw file checked it again,
    one more process per example)."""
    require_qemu_img()
    layers = build_chain(spec)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        for layer in layers:
            path = root / layer.name
            if layer.image is None:
                path.write_bytes(bytes(layer.model.view))
                continue
            write_image(path, layer.image, chunk=spec.cluster_size * 3 + 512)
            assert "No errors were found" in qemu_img("check", "-f", "qcow2", path)
        chain = qemu_img_info(root / layers[-1].name, "--backing-chain")
        assert [Path(info["filename"]).name for info in chain] == [
            layer.name for layer in reversed(layers)
        ]
        for layer, info in zip(reversed(layers), chain, strict=True):
            if layer.image is None:
                assert info["format"] == "raw"
                continue
            assert info["virtual-size"] == spec.size
            assert info["cluster-size"] == spec.cluster_size
            assert info["format-specific"]["data"]["compat"] == "1.1"
            if layer.backing is None:
                assert "backing-filename" not in info
            else:
                assert info["backing-filename"] == layer.backing.file
                assert info["backing-filename-format"] == layer.backing.format
        top = root / layers[-1].name
        qemu_img("convert", "-f", "qcow2", "-O", "raw", top, root / "converted.raw")
        assert (root / "converted.raw").read_bytes() == bytes(layers[-1].model.view)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(spec=chains())
def test_the_parser_reads_back_what_the_writer_wrote(spec: ChainSpec) -> None:
    """Round trip: the same header, each cluster's kind by the rules, the same guest view."""
    chain = build_chain(spec)
    for below, layer in zip([None, *chain], chain, strict=False):
        if layer.image is None:
            continue
        file = layer.image.read(0, layer.image.length)
        parsed = parse(*file_reader(file))
        assert parsed.info.version == 3
        assert parsed.info.virtual_size == spec.size
        assert parsed.info.cluster_size == spec.cluster_size
        assert parsed.info.backing == layer.backing
        backing_view = bytes(spec.size) if below is None else bytes(below.model.view)
        assert apply_extents(backing_view, parsed.extents()) == bytes(layer.model.view)
        assert _kinds(parsed.extents(), spec) == layer.model.cluster_kinds(
            spec.cluster_size, has_backing=below is not None
        )


def _kinds(extents: Iterable[Extent], spec: ChainSpec) -> list[int]:
    """Each guest cluster's kind as the parser reports it."""
    cs = spec.cluster_size
    kinds = [NOT_MINE] * -(-spec.size // cs)
    for extent in extents:
        for c in range(extent.start // cs, -(-(extent.start + extent.length) // cs)):
            kinds[c] = ZERO if extent.data is None else DATA
    return kinds


@settings(max_examples=60, deadline=None)
@given(spec=chains(), data=st.data())
def test_any_range_reads_the_same_bytes_as_the_whole_file(
    spec: ChainSpec, data: st.DataObject
) -> None:
    """Ranged GETs at any offset and length agree with the file read in one go."""
    image = build_chain(spec)[-1].image
    assert image is not None
    whole = image.read(0, image.length)
    assert len(whole) == image.length and image.length % spec.cluster_size == 0
    for _ in range(8):
        offset = data.draw(st.integers(0, image.length))
        length = data.draw(st.integers(0, image.length - offset))
        assert image.read(offset, length) == whole[offset : offset + length]


# -- the writer: what a served volume file looks like --------------------------------------


class _SparseDisk:
    """A huge virtual disk holding a few written clusters, without a byte array of its size."""

    def __init__(self, size: int, clusters: dict[int, bytes]) -> None:
        self.size, self.clusters = size, clusters
        self.bytes_read = 0

    def read(self, offset: int, length: int) -> bytes:
        self.bytes_read += length
        out = bytearray(length)
        for index, data in self.clusters.items():
            lo, hi = (
                max(offset, index * CLUSTER_SIZE),
                min(offset + length, (index + 1) * CLUSTER_SIZE),
            )
            if lo < hi:
                out[lo - offset : hi - offset] = data[
                    lo - index * CLUSTER_SIZE : hi - index * CLUSTER_SIZE
                ]
        return bytes(out)


def test_a_terabyte_disk_with_ten_mib_written_costs_its_allocation(tmp_path: Path) -> None:
    """Header, L1, refcount table and block, one L2 per written 512 MiB, then the data."""
    require_qemu_img()
    rng = random.Random(7)
    clusters = {i * 16384 + 3: rng.randbytes(CLUSTER_SIZE) for i in range(160)}  # 1 GiB apart
    disk = _SparseDisk(1 << 40, clusters)
    extents = [(index * CLUSTER_SIZE, CLUSTER_SIZE) for index in clusters]
    image = synthesize(disk.size, data=extents, read=disk.read)
    assert image.length == (4 + 160 + 160) * CLUSTER_SIZE
    path = tmp_path / "big.qcow2"
    write_image(path, image, chunk=8 * MiB)
    assert disk.bytes_read == 160 * CLUSTER_SIZE  # only the written clusters were read
    assert "No errors were found" in qemu_img("check", "-f", "qcow2", path)
    assert qemu_img_info(path)["virtual-size"] == 1 << 40
    mapped = json.loads(qemu_img("map", "--output=json", "-f", "qcow2", path))
    assert [(m["start"], m["length"]) for m in mapped if m["data"]] == sorted(extents)


def test_a_zero_cluster_masks_the_backing_file(tmp_path: Path) -> None:
    """Zeroed by the overlay, the guest reads zeros where the raw parent holds data."""
    require_qemu_img()
    base = LayerModel(bytes(4 * CLUSTER_SIZE))
    base.write(0, b"\xaa" * 4 * CLUSTER_SIZE)
    (tmp_path / "parent").write_bytes(bytes(base.view))
    top = LayerModel(bytes(base.view))
    top.zero(CLUSTER_SIZE, 2 * CLUSTER_SIZE)
    image = synthesize(
        top.size, data=[], zero=top.extents(ZERO), read=top.read, backing=Backing("parent", "raw")
    )
    write_image(tmp_path / "top", image)
    mapped = json.loads(qemu_img("map", "--output=json", "-f", "qcow2", tmp_path / "top"))
    assert [(m["start"], m["depth"], m["zero"]) for m in mapped] == [
        (0, 1, False),
        (CLUSTER_SIZE, 0, True),
        (3 * CLUSTER_SIZE, 1, False),
    ]
    qemu_img("convert", "-O", "raw", tmp_path / "top", tmp_path / "guest.raw")
    assert (tmp_path / "guest.raw").read_bytes() == bytes(top.view)


def test_a_cluster_zeroed_in_part_is_data_over_a_backing_file_and_zero_without() -> None:
    """Over a parent the rest of the cluster must come from it, so the cluster holds data."""
    base = bytes(range(256)) * (2 * CLUSTER_SIZE // 256)
    for backing, kind in ((Backing("parent", "raw"), DATA), (None, ZERO)):
        top = LayerModel(base if backing else bytes(len(base)))
        top.zero(512, 4096)
        image = synthesize(
            top.size, data=[], zero=top.extents(ZERO), read=top.read, backing=backing
        )
        parsed = parse(*file_reader(image.read(0, image.length)))
        spec = ChainSpec(CLUSTER_SIZE, top.size, "raw", (), 0)
        assert _kinds(parsed.extents(), spec) == [kind, NOT_MINE]


def test_the_backing_file_is_the_parent_volume_uuid_relative_with_its_format(
    tmp_path: Path,
) -> None:
    """As VDSM creates a snapshot volume: ``-b <parent uuid> -F qcow2``, resolved in the image's
    directory (vdsm volume.py getBackingVolumePath, qemuimg.py create)."""
    require_qemu_img()
    parent_id, top_id = str(uuid.UUID(int=1)), str(uuid.UUID(int=2))
    parent = LayerModel(bytes(MiB))
    parent.write(0, b"base" * 1024)
    write_image(tmp_path / parent_id, synthesize(MiB, data=parent.extents(DATA), read=parent.read))
    top = LayerModel(bytes(parent.view))
    image = synthesize(MiB, data=[], read=top.read, backing=Backing(parent_id, "qcow2"))
    head = image.read(0, 4096)
    assert head[:8] == b"QFI\xfb\0\0\0\3"
    offset, length = struct.unpack_from(">QI", head, 8)
    assert head[offset : offset + length] == parent_id.encode()
    write_image(tmp_path / top_id, image)
    info = qemu_img_info(tmp_path / top_id)
    assert (info["backing-filename"], info["backing-filename-format"]) == (parent_id, "qcow2")
    assert info["full-backing-filename"] == str(tmp_path / parent_id)
    assert "No errors were found" in qemu_img("check", tmp_path / top_id)


def test_small_clusters_spread_over_many_refcount_blocks_and_l2_tables(tmp_path: Path) -> None:
    """512-byte clusters: 80 refcount blocks, a two-cluster refcount table, 300 L2 tables."""
    require_qemu_img()
    model = LayerModel(bytes(10 * MiB))
    rng = random.Random(3)
    model.write(0, rng.randbytes(10 * MiB - 4096))
    model.zero(6 * MiB, 512 * 100)
    image = synthesize(
        model.size,
        data=model.extents(DATA),
        zero=model.extents(ZERO),
        read=model.read,
        cluster_size=512,
    )
    write_image(tmp_path / "small.qcow2", image)
    assert "No errors were found" in qemu_img("check", tmp_path / "small.qcow2")
    raw = tmp_path / "expected.raw"
    raw.write_bytes(bytes(model.view))
    assert "Images are identical" in qemu_img("compare", tmp_path / "small.qcow2", raw)
    header = image.read(0, 104)
    assert struct.unpack_from(">I", header, 56) == (2,)  # refcount_table_clusters


def test_the_same_layer_always_gives_the_same_file() -> None:
    model = LayerModel(bytes(MiB))
    model.write(1000, b"x" * 70000)
    model.zero(300000, 200000)

    def build() -> bytes:
        image = synthesize(
            MiB,
            data=model.extents(DATA),
            zero=model.extents(ZERO),
            read=model.read,
            backing=Backing("p", "raw"),
        )
        return image.read(0, image.length)

    assert build() == build()


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"virtual_size": 1000}, "multiple of 512"),
        ({"virtual_size": 0}, "multiple of 512"),
        ({"cluster_size": 3000}, "power of two"),
        ({"cluster_size": 4 * MiB}, "power of two"),
        ({"data": [(MiB - 10, 20)]}, "outside the disk"),
        ({"zero": [(-1, 2)]}, "outside the disk"),
        ({"backing": Backing("x" * 1024, "raw")}, "does not fit"),
        ({"backing": Backing("", "raw")}, "does not fit"),
    ],
)
def test_the_writer_refuses_a_layer_it_cannot_describe(
    kwargs: dict[str, object], message: str
) -> None:
    args: dict[str, object] = {"virtual_size": MiB, "data": [], "read": lambda o, n: bytes(n)}
    with pytest.raises(ValueError, match=message):
        synthesize(**(args | kwargs))  # type: ignore[arg-type]


def test_a_range_outside_the_file_is_refused() -> None:
    image = synthesize(MiB, data=[(0, 512)], read=lambda o, n: bytes(n))
    with pytest.raises(ValueError, match="outside the file"):
        image.read(image.length - 10, 11)


def test_a_short_read_of_the_layer_is_refused() -> None:
    image = synthesize(MiB, data=[(0, 512)], read=lambda o, n: bytes(n - 1))
    with pytest.raises(ValueError, match="returned"):
        image.read(0, image.length)


# -- the parser: images qemu-img writes -----------------------------------------------------


def _qemu_guest(path: Path, tmp: Path) -> bytes:
    out = tmp / f"{path.name}.guest"
    qemu_img("convert", "-O", "raw", path, out)
    return out.read_bytes()


def _parse_file(path: Path) -> tuple[Qcow2Info, list[Extent]]:
    parsed = parse(*file_reader(path.read_bytes()))
    return parsed.info, list(parsed.extents(max_data=256 * KiB))


@pytest.mark.parametrize("cluster_size", [512, 4 * KiB, 64 * KiB, 2 * MiB])
@pytest.mark.parametrize("compat", ["0.10", "1.1"])
@pytest.mark.parametrize("preallocation", ["off", "metadata"])
def test_the_parser_reads_what_qemu_io_wrote(
    tmp_path: Path, cluster_size: int, compat: str, preallocation: str
) -> None:
    """Data at odd offsets, zeroed ranges, holes, a size that is no multiple of the cluster."""
    require_qemu_img()
    path = tmp_path / "disk.qcow2"
    size = 5 * MiB + 512
    opts = f"cluster_size={cluster_size},compat={compat},preallocation={preallocation}"
    qemu_img("create", "-q", "-f", "qcow2", "-o", opts, path, str(size))
    qemu_io(
        path,
        "write -P 0x5a 0 4k",
        "write -P 0xa5 1536k 700k",
        "write -z 1800k 1m",
        "write -P 0x11 4m 1m",
        f"write -P 0x22 {size - 512} 512",
    )
    info, extents = _parse_file(path)
    assert (info.version, info.cluster_size, info.virtual_size) == (
        2 if compat == "0.10" else 3,
        cluster_size,
        size,
    )
    assert info.backing is None
    assert apply_extents(bytes(size), extents) == _qemu_guest(path, tmp_path)
    assert all(e.data is None or len(e.data) == e.length <= 256 * KiB for e in extents)


def test_an_empty_disk_has_no_extents(tmp_path: Path) -> None:
    require_qemu_img()
    qemu_img("create", "-q", "-f", "qcow2", tmp_path / "empty", "0")
    info, extents = _parse_file(tmp_path / "empty")
    assert (info.virtual_size, extents) == (0, [])


@pytest.mark.parametrize("compat", ["0.10", "1.1"])
def test_an_overlay_qemu_wrote_reads_over_its_backing_file(tmp_path: Path, compat: str) -> None:
    """Zero clusters mask the parent, unallocated clusters show it, the backing file is told."""
    require_qemu_img()
    base = tmp_path / "11111111-1111-1111-1111-111111111111"
    base.write_bytes(random.Random(1).randbytes(4 * MiB))
    top = tmp_path / "top.qcow2"
    qemu_img(
        "create", "-q", "-f", "qcow2", "-o", f"compat={compat}", "-b", base.name, "-F", "raw", top
    )
    qemu_io(top, "write -z 64k 192k", "write -P 0x33 1m 100k", "write -z 3m 10k")
    info, extents = _parse_file(top)
    assert info.backing == Backing(base.name, "raw")
    assert apply_extents(base.read_bytes(), extents) == _qemu_guest(top, tmp_path)
    if compat == "1.1":
        assert Extent(64 * KiB, 192 * KiB, None) in extents


@pytest.mark.parametrize(
    "options", ["cluster_size=4096", "cluster_size=2M,compat=0.10", "compat=1.1"]
)
def test_the_parser_reads_what_qemu_img_convert_wrote(tmp_path: Path, options: str) -> None:
    """A raw disk converted to qcow2, and its differences over a parent (``convert -B``)."""
    require_qemu_img()
    rng = random.Random(5)
    parent, child = bytearray(rng.randbytes(3 * MiB)), bytearray()
    parent[MiB : 2 * MiB] = bytes(MiB)
    child[:] = parent
    child[100 * KiB : 600 * KiB] = bytes(500 * KiB)  # zeros over the parent's data
    child[2 * MiB : 2 * MiB + 4096] = b"c" * 4096
    (tmp_path / "parent.raw").write_bytes(parent)
    (tmp_path / "child.raw").write_bytes(child)
    full, diff = tmp_path / "full.qcow2", tmp_path / "diff.qcow2"
    qemu_img("convert", "-f", "raw", "-O", "qcow2", "-o", options, tmp_path / "child.raw", full)
    qemu_img(
        "convert",
        "-f",
        "raw",
        "-O",
        "qcow2",
        "-o",
        options,
        "-B",
        "parent.raw",
        "-F",
        "raw",
        tmp_path / "child.raw",
        diff,
        cwd=tmp_path,
    )
    _, extents = _parse_file(full)
    assert apply_extents(bytes(len(child)), extents) == child
    info, extents = _parse_file(diff)
    assert info.backing == Backing("parent.raw", "raw")
    assert apply_extents(bytes(parent), extents) == child


def test_parsing_reads_only_metadata_and_extents_only_the_data() -> None:
    """parse touches the header, L1 and L2 tables; extents the data clusters, once each."""
    disk = _SparseDisk(1 << 40, {i * 16384: bytes([i]) * CLUSTER_SIZE for i in range(1, 33)})
    extents = [(index * CLUSTER_SIZE, CLUSTER_SIZE) for index in disk.clusters]
    image = synthesize(disk.size, data=extents, read=disk.read)
    file = image.read(0, image.length)
    reads: list[tuple[int, int]] = []

    def read(offset: int, length: int) -> bytes:
        reads.append((offset, length))
        return file[offset : offset + length]

    parsed = parse(len(file), read)
    assert sum(n for _, n in reads) <= (1 + 1 + 32) * CLUSTER_SIZE
    reads.clear()
    got = list(parsed.extents())
    assert [(e.start, e.length) for e in got] == extents
    assert sum(n for _, n in reads) == 32 * CLUSTER_SIZE
    assert parsed.data_bytes == 32 * CLUSTER_SIZE and parsed.zero_bytes == 0


# -- the parser: what it refuses ------------------------------------------------------------


def test_sniff_tells_qcow2_from_raw(tmp_path: Path) -> None:
    require_qemu_img()
    image = synthesize(MiB, data=[], read=lambda o, n: bytes(n))
    assert sniff(image.read)
    qemu_img("create", "-q", "-f", "qcow2", "-o", "compat=0.10", tmp_path / "v2", "1M")
    assert sniff(file_reader((tmp_path / "v2").read_bytes())[1])
    assert not sniff(lambda o, n: bytes(n))
    assert not sniff(lambda o, n: b"QFI")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "not a qcow2 image"),
        (b"QFI\xfb\0\0\0\3", "not a qcow2 image"),
        (bytes(MiB), "not a qcow2 image"),
        (b"QFI\xfb\0\0\0\4" + bytes(MiB), "version 4"),
    ],
)
def test_a_file_that_is_not_qcow2_is_refused(content: bytes, message: str) -> None:
    with pytest.raises(NotQcow2 if "not a" in message else UnsupportedQcow2, match=message):
        parse(*file_reader(content))


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (["convert", "-c", "-O", "qcow2", "{raw}", "{img}"], "compressed clusters"),
        (
            [
                "create",
                "-q",
                "--object",
                "secret,id=s0,data=123456",
                "-f",
                "qcow2",
                "-o",
                "encrypt.format=aes,encrypt.key-secret=s0",
                "{img}",
                "1M",
            ],
            r"encrypted \(AES\)",
        ),
        (["create", "-q", "-f", "qcow2", "-o", "data_file={raw}", "{img}", "1M"], "external data"),
        (["create", "-q", "-f", "qcow2", "-o", "extended_l2=on", "{img}", "1M"], "extended L2"),
    ],
    ids=["compressed", "encrypted", "external-data-file", "extended-l2"],
)
def test_a_qcow2_feature_fakeovirt_does_not_read_is_refused(
    tmp_path: Path, make: list[str], message: str
) -> None:
    require_qemu_img()
    raw, img = tmp_path / "data.raw", tmp_path / "disk.qcow2"
    raw.write_bytes(b"compress me " * 100000)
    qemu_img(*[arg.format(raw=raw, img=img) for arg in make])
    with pytest.raises(UnsupportedQcow2, match=message):
        parse(*file_reader(img.read_bytes()))


def test_an_image_with_internal_snapshots_is_refused(tmp_path: Path) -> None:
    require_qemu_img()
    img = tmp_path / "disk.qcow2"
    qemu_img("create", "-q", "-f", "qcow2", img, "1M")
    qemu_img("snapshot", "-c", "before-backup", img)
    with pytest.raises(UnsupportedQcow2, match="1 internal snapshot"):
        parse(*file_reader(img.read_bytes()))


def _patched(at: int, value: bytes) -> bytes:
    """A small valid image (two data clusters) with ``value`` written at ``at``."""
    image = synthesize(MiB, data=[(0, 2 * CLUSTER_SIZE)], read=lambda o, n: b"d" * n)
    file = bytearray(image.read(0, image.length))
    file[at : at + len(value)] = value
    return bytes(file)


# the writer's layout for _patched: header, L1 (cluster 1), refcounts (2, 3), L2 (4), data (5, 6)
_L1, _L2 = CLUSTER_SIZE, 4 * CLUSTER_SIZE


@pytest.mark.parametrize(
    ("at", "value", "error", "message"),
    [
        (72, struct.pack(">Q", 2), CorruptQcow2, "marked corrupt"),
        (72, struct.pack(">Q", 1 << 9), UnsupportedQcow2, "unknown feature bit 9"),
        (20, struct.pack(">I", 22), UnsupportedQcow2, "outside 512 B..2 MiB"),
        (32, struct.pack(">I", 2), UnsupportedQcow2, r"encrypted \(LUKS\)"),
        (36, struct.pack(">I", 0), CorruptQcow2, "L1 table of 0 entries"),
        (40, struct.pack(">Q", 100 * CLUSTER_SIZE), CorruptQcow2, "L1 table offset"),
        (_L1, struct.pack(">Q", (1 << 63) | (4 * CLUSTER_SIZE + 512)), CorruptQcow2, "L2 table"),
        (_L2 + 8, struct.pack(">Q", (1 << 63) | 5 * CLUSTER_SIZE), CorruptQcow2, "used twice"),
        (_L2 + 8, struct.pack(">Q", (1 << 63) | _L2), CorruptQcow2, "used twice"),
        (_L2 + 8, struct.pack(">Q", (1 << 63) | 99 * CLUSTER_SIZE), CorruptQcow2, "data cluster"),
        (_L2 + 8, struct.pack(">Q", (1 << 63) | (1 << 62)), UnsupportedQcow2, "compressed"),
    ],
    ids=[
        "corrupt-bit",
        "unknown-feature",
        "cluster-bits",
        "luks",
        "l1-too-small",
        "l1-outside",
        "l2-unaligned",
        "data-twice",
        "data-on-l2",
        "data-outside",
        "compressed",
    ],
)
def test_a_patched_header_or_table_is_refused_with_a_clear_error(
    at: int, value: bytes, error: type[Qcow2Error], message: str
) -> None:
    with pytest.raises(error, match=message) as caught:
        parse(*file_reader(_patched(at, value)))
    assert isinstance(caught.value, ValueError)


def test_an_unpatched_image_parses() -> None:
    """The baseline of the patched cases: untouched, the same file is fine."""
    parsed = parse(*file_reader(_patched(0, b"QFI\xfb")))
    assert [(e.start, e.length) for e in parsed.extents()] == [(0, 2 * CLUSTER_SIZE)]
