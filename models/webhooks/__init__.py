"""A sponsor's webhook, the pure part: the signature, what the webhook topics say, who hears of what.

``signing`` (the secret and the signature scheme), ``book`` (endpoints,
replay requests and the delivery log, folded), ``rules`` (which events a
sponsor hears of, when a failed delivery is tried again, which offsets may
be committed), ``addresses`` (which URLs may be endpoints). The delivery
process is ``webhooks`` (I/O); the API registers endpoints (``api.webhooks``).
"""
