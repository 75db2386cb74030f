"""XML elements drawn from an XSD, built on xmlschema's parsed components.

Rules of this file:
- a global element's complex type is walked as xmlschema parsed it: content groups
  (sequence, choice, all) with their min/max occurs, element particles, attributes;
- simple types map to strategies by their facets: enumeration -> `sampled_from`, pattern ->
  `from_regex`, length and bound facets -> sizes and bounds; builtins (string, boolean, the
  integer family, dateTime, date) -> fitting strategies; each value is also checked by the
  type's own validator, so an unmodelled facet can never produce an invalid document;
- recursion is bounded by `max_depth`: past it, only required children are drawn;
- a construct outside this subset raises `InvalidArgument` when the strategy is first drawn.
"""

from __future__ import annotations

import threading
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

import xmlschema
from elementpath.regex import translate_pattern
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

from .web.schema import XSD
from .web.schema import schema as default_schema

__all__ = ["XsdElements", "load_schema", "xml_safe_text"]

Parts = st.SearchStrategy[Any]  # an element, or a list or tuple of parts (see `_flatten`)
_REQUIRED_DEPTH_LIMIT = 32  # required children past max_depth: a schema that never ends

_INT_RANGES: dict[str, tuple[int | None, int | None]] = {
    "integer": (None, None),
    "long": (-(2**63), 2**63 - 1),
    "int": (-(2**31), 2**31 - 1),
    "short": (-(2**15), 2**15 - 1),
    "byte": (-128, 127),
    "nonNegativeInteger": (0, None),
    "positiveInteger": (1, None),
    "nonPositiveInteger": (None, 0),
    "negativeInteger": (None, -1),
    "unsignedLong": (0, 2**64 - 1),
    "unsignedInt": (0, 2**32 - 1),
    "unsignedShort": (0, 2**16 - 1),
    "unsignedByte": (0, 255),
}


def xml_safe_text(*, min_size: int = 0, max_size: int = 20) -> st.SearchStrategy[str]:
    """Text that XML 1.0 can carry and that parses back unchanged (no CR, no control chars)."""
    alphabet = st.characters(
        max_codepoint=0xFFFD, exclude_categories=("Cs", "Cc"), include_characters="\t\n"
    )
    return st.text(alphabet, min_size=min_size, max_size=max_size)


@lru_cache(maxsize=8)
def load_schema(path: Path | None = None) -> xmlschema.XMLSchema10:
    """The parsed schema at `path` (default: fakeovirt's own `schemas/api.xsd`)."""
    return default_schema() if path is None else xmlschema.XMLSchema10(str(path))


class XsdElements:
    """Builds, and memoises, the strategy of each (element, depth) of one schema."""

    def __init__(
        self,
        schema: xmlschema.XMLSchema10,
        *,
        max_depth: int,
        max_occurs: int,
        ids: Mapping[str, st.SearchStrategy[str]],
        texts: Mapping[str, st.SearchStrategy[str]],
    ) -> None:
        self.schema = schema
        self.max_depth = max_depth
        self.max_occurs = max_occurs
        self.ids = ids
        self.texts = texts
        self._memo: dict[tuple[str, int, int], st.SearchStrategy[ET.Element]] = {}

    def root(self, name: str) -> st.SearchStrategy[ET.Element]:
        element = self.schema.elements.get(name)
        if element is None:
            known = ", ".join(sorted(self.schema.elements))
            raise InvalidArgument(f"no global element {name!r} in the schema; known: {known}")
        return self.element(element, 0)

    # -- elements ------------------------------------------------------------------
    def element(self, element: Any, depth: int) -> st.SearchStrategy[ET.Element]:
        key = (element.name, id(element.type), depth)
        if depth > self.max_depth + _REQUIRED_DEPTH_LIMIT:
            raise InvalidArgument(f"<{element.local_name}> requires endlessly nested children")
        if key not in self._memo:
            self._memo[key] = self._build_element(element, depth)
        return self._memo[key]

    def _build_element(self, element: Any, depth: int) -> st.SearchStrategy[ET.Element]:
        tag: str = element.local_name
        xsd_type = element.type
        if xsd_type.is_simple():
            text = self._text(tag, xsd_type)
            return text.map(lambda value: _leaf(tag, value))
        attributes = self._attributes(tag, xsd_type)
        if xsd_type.has_simple_content():
            text = self._text(tag, xsd_type.content)
            if attributes is None:
                return text.map(lambda t: _leaf(tag, t))
            return st.builds(lambda a, t: _leaf(tag, t, a), attributes, text)
        if xsd_type.content is None or xsd_type.is_empty():
            if attributes is None:
                return st.just(None).map(lambda _: _leaf(tag, None))
            return attributes.map(lambda a: _leaf(tag, None, a))
        if xsd_type.mixed:
            raise InvalidArgument(f"<{tag}> has mixed content, which is not supported")
        children = self.group(xsd_type.content, depth + 1)
        if attributes is None:
            return children.map(lambda c: _branch(tag, {}, c))
        return st.builds(lambda a, c: _branch(tag, a, c), attributes, children)

    def _text(self, tag: str, xsd_type: Any) -> st.SearchStrategy[str]:
        given = self.texts.get(tag)
        return simple_values(xsd_type) if given is None else given

    def _attributes(self, tag: str, xsd_type: Any) -> st.SearchStrategy[dict[str, str]] | None:
        """The attributes' strategy, or None for a type that has none (nothing to draw)."""
        required: dict[str, st.SearchStrategy[str]] = {}
        optional: dict[str, st.SearchStrategy[str]] = {}
        for name, attribute in xsd_type.attributes.items():
            if name is None:
                raise InvalidArgument(f"<{tag}> allows any attribute, which is not supported")
            values = self._attribute_values(tag, name, attribute.type)
            (required if attribute.use == "required" else optional)[name] = values
        if not required and not optional:
            return None
        return st.fixed_dictionaries(required, optional=optional)

    def _attribute_values(self, tag: str, name: str, xsd_type: Any) -> st.SearchStrategy[str]:
        if name == "id":
            given = self.ids.get(tag)
            return st.uuids().map(str) if given is None else given
        if name == "href":
            return st.uuids().map(lambda u: f"/ovirt-engine/api/{tag}s/{u}")
        return simple_values(xsd_type)

    # -- content groups --------------------------------------------------------------
    # A group draws `Parts`: an element, or a list or tuple of parts, flattened once by the
    # element that holds them (a `map` per group and particle would cost a draw each).
    def group(self, group: Any, depth: int) -> Parts:
        if group.model == "choice":
            options = [_something(self.particle(p, depth)) for p in group]
            if not options:
                return _NOTHING
            once: Parts = st.one_of(options)
        else:  # sequence, and all (whose declared order is one valid order)
            parts = [part for p in group if (part := self.particle(p, depth)) is not None]
            once = parts[0] if len(parts) == 1 else st.tuples(*parts)
        return _something(self._repeat(group, once, depth))

    def particle(self, particle: Any, depth: int) -> Parts | None:
        """What one particle adds, or None when it adds nothing (optional past max_depth)."""
        if depth > self.max_depth and particle.min_occurs == 0:
            return None
        if hasattr(particle, "model"):
            return self.group(particle, depth)
        if particle.__class__.__name__ == "XsdAnyElement":
            raise InvalidArgument("xs:any content is not supported")
        return self._repeat(particle, self.element(particle, depth), depth)

    def _repeat(self, particle: Any, once: Parts, depth: int) -> Parts | None:
        low: int = particle.min_occurs
        high = particle.max_occurs
        high = max(low, self.max_occurs if high is None else min(high, self.max_occurs))
        if high == 0:
            return None
        if low == high == 1:
            return once
        return st.lists(once, min_size=low, max_size=high)


_NOTHING: Parts = st.just(())


def _something(parts: Parts | None) -> Parts:
    return _NOTHING if parts is None else parts


def _flatten(parts: Any, out: list[ET.Element]) -> list[ET.Element]:
    """The elements of `parts` (an element, or a list or tuple of parts), in order."""
    if isinstance(parts, ET.Element):
        out.append(parts)
    else:
        for part in parts:
            _flatten(part, out)
    return out


def _leaf(tag: str, text: str | None, attributes: Mapping[str, str] | None = None) -> ET.Element:
    element = ET.Element(tag, dict(attributes or {}))
    element.text = text
    return element


def _branch(tag: str, attributes: Mapping[str, str], children: Any) -> ET.Element:
    element = ET.Element(tag, dict(attributes))
    element.extend(_flatten(children, []))
    return element


# -- simple types ------------------------------------------------------------------
class _Valid:
    """`xsd_type.is_valid` as a filter predicate. An object without `__name__`: hypothesis
    then filters by rejection at once, instead of reading and parsing xmlschema's source
    in search of numeric bounds (milliseconds per filter, for every type of a schema).

    The check is `is_valid`'s own decoding, `raw_decode(value, "lax", context)`, with one
    validation context per type and thread, cleared between values: `is_valid` builds an
    XML resource, a namespace map and a context for every value, forty times the cost of
    the check itself. With an xmlschema older than 4 (no `raw_decode`) it is `is_valid`."""

    __slots__ = ("_local", "_type")

    def __init__(self, xsd_type: Any) -> None:
        self._type = xsd_type
        self._local = threading.local()

    def __call__(self, value: str) -> bool:
        context = getattr(self._local, "context", None)
        if context is None:
            context = self._local.context = _context(self._type)
        if context is _NO_CONTEXT:
            return bool(self._type.is_valid(value))
        context.clear()
        self._type.raw_decode(value, "lax", context)
        return not context.errors


_NO_CONTEXT = object()


def _context(xsd_type: Any) -> Any:
    """A validation context as `is_valid` makes one (for an empty value), or `_NO_CONTEXT`
    when this xmlschema has no context to reuse."""
    try:
        from xmlschema.namespaces import NamespaceMapper
        from xmlschema.validators import ValidationContext
    except ImportError:  # xmlschema 3
        return _NO_CONTEXT
    if not hasattr(ValidationContext, "clear") or not hasattr(xsd_type, "raw_decode"):
        return _NO_CONTEXT  # xmlschema 3
    source = xsd_type.maps.settings.get_resource_from_data("")
    return ValidationContext(source=source, converter=NamespaceMapper(None, source=source))


@lru_cache(maxsize=4096)
def simple_values(xsd_type: Any) -> st.SearchStrategy[str]:
    """Lexical values of an atomic simple type, valid against all its facets (one strategy
    per type: every element of that type draws from it, and hypothesis checks it once)."""
    if xsd_type.is_list() or xsd_type.is_union():
        raise InvalidArgument(f"simple type {xsd_type.name} (list or union) is not supported")
    check = _Valid(xsd_type)
    if xsd_type.enumeration:
        return st.sampled_from([str(v) for v in xsd_type.enumeration])
    facets = _facets(xsd_type)
    builtin = _builtin_name(xsd_type)
    patterns = facets.get("pattern")
    if patterns:
        regex = translate_pattern(patterns[0], anchors=False)
        return st.from_regex(regex, fullmatch=True).filter(check)
    if builtin in ("string", "normalizedString", "token", "anyURI"):
        low = int(facets.get("minLength", facets.get("length", 0)))
        high = int(facets.get("maxLength", facets.get("length", max(low, 20))))
        return xml_safe_text(min_size=low, max_size=high).filter(check)
    if builtin == "boolean":
        return st.sampled_from(["true", "false", "1", "0"])
    if builtin in _INT_RANGES:
        low_i, high_i = _INT_RANGES[builtin]
        low_i = _tighter(low_i, facets.get("minInclusive"), facets.get("minExclusive"), +1)
        high_i = _tighter(high_i, facets.get("maxInclusive"), facets.get("maxExclusive"), -1)
        return st.integers(low_i, high_i).map(str).filter(check)
    if builtin == "decimal":
        return st.decimals(-(10**12), 10**12, places=2).map(str).filter(check)
    if builtin == "dateTime":
        return st.datetimes(min_value=datetime(1970, 1, 2), max_value=datetime(2999, 12, 31)).map(
            _xs_datetime
        )
    if builtin == "date":
        return st.dates().map(lambda d: d.isoformat())
    raise InvalidArgument(f"simple type {xsd_type.name} ({builtin}) is not supported")


def _xs_datetime(when: datetime) -> str:
    """The engine's date form: `YYYY-MM-DDTHH:MM:SS.mmm+00:00`."""
    return when.replace(tzinfo=UTC).isoformat(timespec="milliseconds")


def _builtin_name(xsd_type: Any) -> str:
    while xsd_type is not None and not str(xsd_type.name or "").startswith(XSD):
        xsd_type = xsd_type.base_type
    if xsd_type is None:
        raise InvalidArgument("a simple type derives from no XSD builtin")
    return str(xsd_type.name)[len(XSD) :]


def _facets(xsd_type: Any) -> dict[str, Any]:
    """Facets along the derivation chain; the most derived one wins."""
    out: dict[str, Any] = {}
    while xsd_type is not None and not str(xsd_type.name or "").startswith(XSD):
        for tag, facet in (getattr(xsd_type, "facets", None) or {}).items():
            if tag is None:
                continue
            name = tag[len(XSD) :]
            if name == "pattern":
                out.setdefault(name, list(facet.regexps))
            elif name not in out and hasattr(facet, "value"):
                out[name] = facet.value
        xsd_type = xsd_type.base_type
    return out


def _tighter(bound: int | None, inclusive: Any, exclusive: Any, step: int) -> int | None:
    """Combine a type's range with its inclusive/exclusive facets (step -1 for maxima)."""
    candidates = [b for b in (bound,) if b is not None]
    if inclusive is not None:
        candidates.append(int(inclusive))
    if exclusive is not None:
        candidates.append(int(exclusive) + step)
    if not candidates:
        return None
    return max(candidates) if step > 0 else min(candidates)
