"""Strict mode: a response that breaks `schemas/api.xsd` is a 500 and a recorded error."""

from __future__ import annotations

import base64
import xml.etree.ElementTree as ET

import pytest

from fakeovirt import FakeOvirt
from fakeovirt.web import render
from fakeovirt.web.schema import SchemaViolation, validate

AUTH = {"Authorization": "Basic " + base64.b64encode(b"admin@internal:fakeovirt").decode()}


def test_validate_rejects_an_upper_case_phase() -> None:
    with pytest.raises(SchemaViolation, match="phase"):
        validate(b"<backup id='b'><phase>READY</phase></backup>")


def test_validate_accepts_a_well_formed_backup() -> None:
    validate(
        b"<backup id='b'><phase>ready</phase><vm id='v' href='/ovirt-engine/api/vms/v'/></backup>"
    )


@pytest.fixture
def upper_case_vm_status(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make the VM renderer emit `UP`, which the SDK would silently read as None."""
    original = render.render_vm

    def with_a_status_the_sdk_cannot_read(*args: object, **kwargs: object) -> ET.Element:
        element = original(*args, **kwargs)  # type: ignore[arg-type]
        status = element.find("status")
        assert status is not None
        status.text = "UP"
        return element

    monkeypatch.setattr(render, "render_vm", with_a_status_the_sdk_cannot_read)


@pytest.mark.usefixtures("upper_case_vm_status")
def test_strict_app_turns_a_bad_response_into_a_500_and_records_it() -> None:
    fake = FakeOvirt(strict=True)
    response = fake.client().get(f"/ovirt-engine/api/vms/{fake.vm('vm-up').id}", headers=AUTH)
    assert response.status_code == 500
    assert len(fake.errors) == 1
    assert isinstance(fake.errors[0].error, SchemaViolation)


@pytest.mark.usefixtures("upper_case_vm_status")
def test_lenient_app_lets_the_same_response_through() -> None:
    fake = FakeOvirt(strict=False)
    response = fake.client().get(f"/ovirt-engine/api/vms/{fake.vm('vm-up').id}", headers=AUTH)
    assert response.status_code == 200
    assert b"<status>UP</status>" in response.get_data()
