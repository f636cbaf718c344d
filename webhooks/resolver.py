"""The HTTP client's resolver: a sponsor's endpoint is connected to on public addresses only.

The rule and why: ``models.webhooks.addresses``. Checking in the resolver
the client connects through, rather than before the request, leaves no gap
between the check and the connection for a name to change its answer.
"""

from __future__ import annotations

import socket

from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import DefaultResolver

from models.webhooks.addresses import is_public

__all__ = ["PublicResolver"]


class PublicResolver(AbstractResolver):
    """aiohttp's resolver, keeping public addresses only (unless private ones are allowed)."""

    def __init__(self, *, allow_private: bool) -> None:
        self._inner = DefaultResolver()
        self._allow_private = allow_private

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        found = await self._inner.resolve(host, port, family)
        kept = [r for r in found if self._allow_private or is_public(r["host"])]
        if not kept:
            raise OSError(f"address_refused: {host} resolves to no public address")
        return kept

    async def close(self) -> None:
        await self._inner.close()
