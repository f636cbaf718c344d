"""``jaring webhooks``: signed deliveries of sponsors' events, a consumer process of its own.

``deliverer`` (one ordered lane per sponsor, retries, the delivery log),
``replays`` (a sponsor's parked deliveries or a time range, again),
``resolver`` (public addresses only), ``service`` (the process). The rules
are pure, in ``models.webhooks``; README "Webhooks" is the sponsor's guide.
"""
