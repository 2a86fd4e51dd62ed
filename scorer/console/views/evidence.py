"""Evidence images of a run (curves ``image_<what>``, :mod:`benchscore.image_curve`): the
station page shows them, ``/console/api/station/{station}/image`` serves one."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from benchscore import image_curve

from ...accounts.auth import Session
from ..marks import ConsoleError
from .common import ConsoleApp, view
from .hall import find_station


@view("hall")
def api_image(con: ConsoleApp, request: Request, s: Session | None, body: dict[str, Any]) -> Any:
    st = find_station(con, request.path_params["station"])
    run_id = request.query_params.get("run_id", "")
    name = request.query_params.get("name", "")
    if not (0 < len(run_id) <= 64 and name.startswith(image_curve.PREFIX) and len(name) <= 64):
        raise ConsoleError("run_id and name (image_...) are required", 400)
    data = image_curve.from_columns(con.store.curve(st["id"], run_id, name))
    kind = None if data is None else image_curve.media_type(data)
    if data is None or kind is None:
        raise ConsoleError(f"no image {name!r} in run {run_id!r}", 404)
    return Response(data, media_type=kind, headers={"Cache-Control": "private, max-age=3600"})
