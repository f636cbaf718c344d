"""Jaring's domain core: pydantic events and the pure rules that act on them.

Nothing here does I/O, reads a clock or draws randomness: time arrives in
events (``MonthTick`` moves it), so replaying a log gives the same outputs.
The stream layer decodes (``models.codec``), calls ``RegionMatcher.handle``,
stores the records it names and sends the events it returns.

Code map:

- ``errors``: the exception tree and the stable rejection reason codes.
- ``periods``, ``regions``, ``occupations``: the calendar, BPS region codes
  and the occupation list with hazard classes.
- ``nik``: NIK parsing, keyed pseudonyms, masking.
- ``tariff``: the BPU premium table, dated.
- ``events``: every event on every topic; ``codec``: their bytes;
  ``topics``: which topic each event travels on, and its key.
- ``eligibility``: the city policy and its admission rules for applications
  and pledges; ``priority``: who goes first and why.
- ``ledger``: per-pledge money and the dashboard fold;
  ``records``: the per-entity state the stream layer persists;
  ``matcher``: the per-region state machine tying it together (its package
  docstring is the matching rules).
"""

__all__: list[str] = []
