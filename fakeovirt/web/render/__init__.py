"""Rendering the engine's entities as oVirt v4 elements, one module per resource family.

Each `render_*` takes the engine state and an entity, plus the `follow` tree for the links
the client asked to inline; nothing here changes the engine. Handlers import this package
(`from fakeovirt.web import render as r`) and call `r.render_*`.
"""

from __future__ import annotations

from .backups import *  # noqa: F403
from .backups import __all__ as _backups
from .inventory import *  # noqa: F403
from .inventory import __all__ as _inventory
from .networks import *  # noqa: F403
from .networks import __all__ as _networks
from .permissions import *  # noqa: F403
from .permissions import __all__ as _permissions
from .snapshots import *  # noqa: F403
from .snapshots import __all__ as _snapshots
from .statistics import *  # noqa: F403
from .statistics import __all__ as _statistics
from .templates import *  # noqa: F403
from .templates import __all__ as _templates

__all__ = sorted(
    {*_inventory, *_backups, *_permissions, *_snapshots, *_statistics, *_templates, *_networks}
)
