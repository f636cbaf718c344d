"""Jaring's topics, as DESIGN.md lists them, plus the internal region log.

Every topic has the same partition count, because matching for one region
happens in one partition: the region log, the state table's changelog and
the outputs keyed by region all line up.

| topic | key | carries |
| --- | --- | --- |
| ``applications.v1`` | regency | ``application.submitted`` (input) |
| ``pledges.v1`` | regency | ``pledge.submitted`` (input) |
| ``clock.v1`` | regency | ``month.tick`` (input: the event-time clock) |
| ``region-log.v1`` | regency | the three inputs above, in one order per region (internal) |
| ``application-status.v1`` | regency | ``application.waiting`` / ``application.rejected`` |
| ``coverage.v1`` | regency | ``coverage.activated`` / ``renewed`` / ``expired`` |
| ``pledge-status.v1`` | pledge id | ``pledge.accepted`` / ``rejected`` / ``exhausted`` / ``expired`` |
| ``funding.v1`` | regency | ``funding.movement`` (ledger movements) |
| ``deadletter.v1`` | none | ``deadletter``: reason and the original bytes |
"""

from __future__ import annotations

import faust

from streams.topics import declare

__all__ = [
    "INPUT_TOPICS",
    "application_status",
    "applications",
    "clock",
    "coverage",
    "deadletter",
    "funding",
    "pledge_status",
    "pledges",
    "region_log",
]

applications: faust.TopicT = declare("applications.v1", raw=True)
pledges: faust.TopicT = declare("pledges.v1", raw=True)
clock: faust.TopicT = declare("clock.v1", raw=True)
region_log: faust.TopicT = declare("region-log.v1", raw=True)
application_status: faust.TopicT = declare("application-status.v1", raw=True)
coverage: faust.TopicT = declare("coverage.v1", raw=True)
pledge_status: faust.TopicT = declare("pledge-status.v1", raw=True)
funding: faust.TopicT = declare("funding.v1", raw=True)
deadletter: faust.TopicT = declare("deadletter.v1", raw=True)

INPUT_TOPICS: tuple[faust.TopicT, ...] = (applications, pledges, clock)
