"""Read-only web views of a worker's regions: monthly series and pledge ledgers.

Served by the worker's Faust web server (loopback by default). Nothing here
names a worker: series are counts and rupiah per region and sponsor, and a
pledge's ledger is the sponsor's own money. A worker answers for the regions
whose partitions it holds; with several workers, ask each (``404`` with the
code ``region_not_here`` otherwise), or read the output topics, which carry
the same facts for any dashboard.
"""

from __future__ import annotations

from typing import Any

from faust.web import Request, Response, View
from pydantic import TypeAdapter, ValidationError

from models.regions import RegencyCode
from streams.engine import app
from streams.matching import store

__all__ = ["PledgeLedgers", "RegionSeries"]


def _problem(view: View, status: int, code: str, detail: str) -> Response:
    return view.json({"type": code, "title": code, "status": status, "detail": detail}, status=status)


_REGENCY: TypeAdapter[str] = TypeAdapter(RegencyCode)


def _known(region: str) -> bool:
    try:
        _REGENCY.validate_python(region)
    except ValidationError:
        return False
    return True


@app.page("/v1/regions/{region}/series")
class RegionSeries(View):
    """GET: monthly levels (pledged, committed, paid, returned, covered, waiting); ``?sponsor=`` filters."""

    async def get(self, request: Request, region: str) -> Response:
        if not _known(region):
            return _problem(self, 400, "region_invalid", "use a regency code such as 74.71")
        sponsor = request.query.get("sponsor")
        points = store.series(region, sponsor)
        if not points:
            return _problem(self, 404, "region_not_here",
                            f"no series for {region} on this worker; its partition may be on another")
        return self.json({"region": region, "sponsor_id": sponsor,
                          "points": [p.model_dump(mode="json") for p in points]})


@app.page("/v1/regions/{region}/pledges")
class PledgeLedgers(View):
    """GET: every pledge of the region with its ledger and seats."""

    async def get(self, request: Request, region: str) -> Response:
        if not _known(region):
            return _problem(self, 400, "region_invalid", "use a regency code such as 74.71")
        records = store.pledges(region)
        if not records:
            return _problem(self, 404, "region_not_here",
                            f"no pledges for {region} on this worker; its partition may be on another")
        return self.json({"region": region, "pledges": [_ledger(r.model_dump(mode="json")) for r in records]})


def _ledger(record: dict[str, Any]) -> dict[str, Any]:
    remainder = record["pledged_idr"] - record["committed_idr"]
    return {
        "pledge_id": record["pledge_id"],
        "sponsor_id": record["sponsor_id"],
        "payer_id": record["payer_id"],
        "status": record["status"],
        "package": record["package"],
        "months": record["months"],
        "seats": record["seats"],
        "seats_filled": record["seats_filled"],
        "monthly_premium_idr": record["monthly_premium_idr"],
        "pledged_idr": record["pledged_idr"],
        "committed_idr": record["committed_idr"],
        "billed_idr": record["billed_idr"],
        "paid_idr": record["paid_idr"],
        "arrears_idr": record["arrears_idr"],
        "written_off_idr": record["written_off_idr"],
        "remainder_idr": remainder,
        "returned_idr": record["returned_idr"],
        "valid_until": record["valid_until"],
    }
