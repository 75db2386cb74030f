"""Rendering templates: the Blank template every VM links to (`core/templates.py`)."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from fakeovirt.core.templates import Template
from fakeovirt.web.xmlout import API, entity, nested, reference

__all__ = ["render_template", "template_ref"]


def _href(template_id: str) -> str:
    return f"{API}/templates/{template_id}"


def template_ref(template: Template, follow: object | None) -> ET.Element:
    """The `<template>` member of a VM: a reference, or the template when followed."""
    if follow is not None:
        return render_template(template)
    return reference("template", template.id, _href(template.id))


def render_template(template: Template, follow: object = None) -> ET.Element:
    del follow  # a template follows nothing here
    return entity(
        "template",
        template.id,
        _href(template.id),
        attributes={
            "creation_time": template.created,
            "description": template.description,
            "memory": template.memory,
            "name": template.name,
            "status": template.status,
            "type": template.type,
            "version": nested(
                "version",
                {
                    "version_number": template.version_number,
                    "base_template": reference("base_template", template.id, _href(template.id)),
                },
            ),
        },
    )
