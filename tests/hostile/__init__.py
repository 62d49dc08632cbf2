"""Hostile servers: the reference app on loopback behind a front that misbehaves on one operation."""

from __future__ import annotations

from tests.hostile.server import MODES, ForeignHost, HostileServer

__all__ = ["MODES", "ForeignHost", "HostileServer"]
