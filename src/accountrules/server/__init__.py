"""The HTTP service: the `/v1` JSON API, as an ASGI app (`create_app`) that
``accountrules serve`` runs over worker processes and that another ASGI application can mount.

Needs the ``server`` extra: ``pip install 'accountrules[server]'``.
"""

from __future__ import annotations

from accountrules.server.app import Limits, create_app

__all__ = ["Limits", "create_app"]
