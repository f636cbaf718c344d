"""The sponsor-facing HTTP API (``jaring api``): pledges in, statuses and ledgers out.

It is a producer and a reader of Jaring's topics, never part of the
engine: a pledge is built into the core's ``PledgeSubmitted`` and produced
durably; statuses come from a read model folded from the output topics.
``api.app.create_app`` is the composition root; ``api/openapi.json`` is the
committed contract (``jaring api --print-openapi`` regenerates it).
"""
