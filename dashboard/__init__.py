"""The live city dashboard: a consumer of Jaring's output topics with its own read model.

It reads ``application-status``, ``coverage``, ``pledge-status`` and
``funding`` from the beginning at every start, without a consumer group, so
its view is a pure fold of the topics (``read_model``) and a restart loses
nothing; any city can build another consumer the same way
(``examples/consume_coverage.py``). The page (``web``) is pushed snapshots by
server-sent events; it shows counts (none under ``JARING_MIN_CELL`` alone:
``models.disclosure``), rupiah and pledge ids, never a worker's pseudonym, NIK
or name (the output topics carry no NIK or name).
"""
