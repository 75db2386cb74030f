"""The server reads a request head in one go when its buffer holds all of it, and line by line
otherwise: both ways give the same head, the same refusal, and leave the same bytes unread.

`read_head` takes the one-go way for an `io.BufferedReader` (what a connection reads from)
and the line-by-line way for any other stream, so the same bytes read from a bare `BytesIO`
and from a buffered one compare the two.
"""

from __future__ import annotations

import io

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from fakeovirt.web.serving.http1 import (
    ClientGone,
    Head,
    HttpError,
    _ordinary_headers,
    body_length,
    read_head,
)
from fakeovirt.web.serving.limits import Limits
from tests.hypothesis_profiles import examples

LIMITS = Limits(header_field=120, header_fields=6)

# Header lines built from the pieces that matter to the framing rules: tokens and non-tokens,
# colons, spaces and tabs around values, CR, LF and NUL inside, latin-1 bytes, long values;
# ordinary lines (a token, a colon, a plain value) come most often, so that many heads are
# ordinary throughout, some with more lines or longer lines than `LIMITS` allows.
_NAMES = st.sampled_from([b"Host", b"accept", b"X-A", b"Content-Length", b"A B", b"", b" Fold"])
_VALUES = st.lists(
    st.sampled_from([b"v", b" ", b"\t", b"1", b"\xe9", b":", b"\r", b"\n", b"\0", b"x" * 50]),
    max_size=6,
).map(b"".join)
_ENDS = st.sampled_from([b"\r\n", b"\r\n", b"\r\n", b"\n"])
_ODD = st.tuples(_NAMES, st.sampled_from([b":", b": ", b""]), _VALUES, _ENDS).map(b"".join)
_PLAIN = st.lists(st.sampled_from([b"v", b" ", b"\t", b"\xe9", b":", b"x" * 40]), max_size=5)
_ORDINARY = st.tuples(
    st.sampled_from([b"Host", b"accept", b"X-A"]), _PLAIN.map(b"".join), st.just(b"\r\n")
).map(lambda parts: parts[0] + b":" + parts[1] + parts[2])
_LINES = st.one_of(_ORDINARY, _ORDINARY, _ODD)
_HEADS = st.tuples(
    st.lists(_LINES, max_size=9).map(b"".join),
    st.sampled_from([b"\r\n", b"\n", b"", b"\r"]),
    st.sampled_from([b"", b"GET /next HTTP/1.1\r\nHost: h\r\n\r\n", b"body\r\n\r\n"]),
)


def _read(stream: io.RawIOBase | io.BufferedIOBase) -> tuple[object, bytes]:
    try:
        head = read_head(stream, LIMITS)  # type: ignore[arg-type]
        outcome: object = (head.method, head.target, head.version, head.headers)
    except HttpError as error:
        outcome = ("refused", error.status, str(error))
    except ClientGone:
        outcome = "gone"
    return outcome, stream.read()


@settings(max_examples=examples(300), deadline=None)
@given(_HEADS)
@example((b"X-A: v\r\n" * 7, b"\r\n", b""))  # more lines than LIMITS allows
@example((b"X-A: " + b"x" * 120 + b"\r\n", b"\r\n", b""))  # a line longer than it allows
@example((b"", b"\r\n", b"next"))  # no header at all
def test_a_head_read_at_once_is_the_head_read_line_by_line(
    parts: tuple[bytes, bytes, bytes],
) -> None:
    lines, end, rest = parts
    data = b"GET /ovirt-engine/api HTTP/1.1\r\n" + lines + end + rest
    line_by_line = _read(io.BytesIO(data))
    at_once = _read(io.BufferedReader(io.BytesIO(data), 64 * 1024))
    assert at_once == line_by_line


def test_ordinary_heads_are_read_at_once() -> None:
    """The one-go way is taken for an ordinary head (so the comparison above compares)."""
    data = b"GET / HTTP/1.1\r\nHost: h\r\nAccept:  a, b \t\r\n\r\nnext"
    stream = io.BufferedReader(io.BytesIO(data), 64 * 1024)
    stream.readline()
    assert _ordinary_headers(stream, LIMITS) == [("host", "h"), ("accept", "a, b")]
    assert stream.read() == b"next"


@pytest.mark.parametrize(
    ("values", "length"),
    [
        ([], 0),
        (["5"], 5),
        (["05"], 5),
        (["5,5"], 5),
        (["5", "5"], 5),
        (["5\x0c"], 5),  # str.strip() takes it, as before the plain-length shortcut
        (["1" * 18], int("1" * 18)),
        (["5, 6"], 400),
        (["5", "6"], 400),
        (["\xb2"], 400),  # a superscript two: a digit to Python, not to HTTP
        (["1" * 19], 400),
        ([""], 400),
        (["+5"], 400),
    ],
)
def test_a_content_length_is_plain_digits_and_several_must_agree(
    values: list[str], length: int
) -> None:
    head = Head("POST", "/", "HTTP/1.1", [("content-length", value) for value in values])
    if length == 400:
        with pytest.raises(HttpError) as refused:
            body_length(head)
        assert refused.value.status == 400
    else:
        assert body_length(head) == (length, False)
