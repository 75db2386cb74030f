"""XSD checks against `schemas/api.xsd`: requests always, responses in strict mode.

The compiled schema is loaded once per process (it takes a fraction of a second) and
shared by every app: `xmlschema` validators are safe to share between threads.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from functools import lru_cache
from importlib import resources
from pathlib import Path

import xmlschema

__all__ = ["SchemaViolation", "schema", "schema_path", "validate"]


class SchemaViolation(Exception):
    """A document does not match `schemas/api.xsd`; the text says where and why."""


def schema_path() -> Path:
    """The packaged schema, or the checkout's `schemas/` when running from source."""
    packaged = resources.files("fakeovirt").joinpath("schemas/api.xsd")
    if packaged.is_file():
        return Path(str(packaged))
    return Path(__file__).resolve().parents[2] / "schemas" / "api.xsd"


@lru_cache(maxsize=1)
def schema() -> xmlschema.XMLSchema10:
    return xmlschema.XMLSchema10(str(schema_path()))


def validate(document: ET.Element | bytes) -> None:
    """Raise `SchemaViolation` with a readable reason unless `document` is valid."""
    if isinstance(document, bytes):
        document = ET.fromstring(document)
    error = next(schema().iter_errors(document), None)
    if error is not None:
        where = error.path or f"/{document.tag}"
        reason = error.reason or str(error.message)
        raise SchemaViolation(f"{where}: {reason}")
