"""Skip (or, on CI, fail) tests that need qemu-img and qemu-nbd when they are missing.

The real ``ovirt_imageio.client`` writes downloads through qemu-nbd and checks them with
qemu-img; both come with Debian's ``qemu-utils``. On CI (``CI=true``) a missing tool is a
broken environment, not a reason to skip silently.
"""

from __future__ import annotations

import os
import shutil

import pytest

__all__ = ["QEMU_TOOLS", "require_qemu"]

QEMU_TOOLS = ("qemu-img", "qemu-nbd")


def require_qemu() -> None:
    """Skip the calling test unless qemu-img and qemu-nbd are on PATH; fail instead on CI."""
    missing = [tool for tool in QEMU_TOOLS if shutil.which(tool) is None]
    if not missing:
        return
    reason = f"{' and '.join(missing)} not found on PATH"
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason}; qemu-utils must be installed on CI", pytrace=False)
    pytest.skip(f"{reason} (install qemu-utils to run this test)")
