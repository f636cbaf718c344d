"""Which endpoints may be called: a sponsor's URL must not reach into the city's own network.

A webhook makes Jaring send requests to an address a sponsor chose; a
hostile or careless one could name a cloud metadata service, a broker's
admin port or the worker's web views (server-side request forgery). By
default only ``https`` URLs whose host resolves to public addresses are
called; the check runs at registration (``url_problem``: what the URL says)
and again at every connection (``webhooks.resolver``: what the name resolves
to), so a name that later resolves to a private address (DNS rebinding) is
refused too. ``JARING_WEBHOOK_ALLOW_PRIVATE_HOSTS=true`` lifts both rules,
for tests on loopback and for a city whose sponsors share its network.
"""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import urlsplit

__all__ = ["PUBLIC_HTTPS", "is_public", "url_problem"]

PUBLIC_HTTPS = r"^https://[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,63}(:[1-9][0-9]{0,3})?(/[^\s]*)?$"
"""An endpoint by default: https to a host name ending in a top-level domain, an optional port (1-9999),
an optional path; the API documents this pattern and enforces it (with the local suffixes below)."""

_LOCAL_SUFFIXES = (".localhost", ".local", ".internal", ".localdomain", ".home.arpa")


def is_public(address: str) -> bool:
    ip = ipaddress.ip_address(address)
    return ip.is_global and not ip.is_multicast


def url_problem(url: str, *, allow_private: bool) -> str | None:
    """Why ``url`` cannot be an endpoint (a sentence), or None."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return "not a URL"
    if parts.scheme not in (("https", "http") if allow_private else ("https",)):
        return "use an https:// URL"
    if parts.username or parts.password:
        return "credentials in the URL are not accepted; authenticate the request by its signature"
    host = (parts.hostname or "").rstrip(".").lower()
    if not host:
        return "the URL has no host"
    if port == 0:
        return "port 0 is not a port"
    if allow_private:
        return None
    if host == "localhost" or host.endswith(_LOCAL_SUFFIXES):
        return "the host is not on the public internet"
    try:
        literal = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        literal = None
    if literal is not None:
        if not is_public(str(literal)):
            return "the address is not on the public internet"
        return "name the host (an https certificate names a host, not an address)"
    if re.fullmatch(PUBLIC_HTTPS, url) is None:
        return "use https://host.domain[:port][/path], a host name with a top-level domain"
    return None  # a name: checked again when it is resolved, at every connection
