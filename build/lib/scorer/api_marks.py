"""HTTP API of the competition: marks, exports, judgements, module clocks, appeals.

Mounted by :func:`scorer.web.create_app` when the scorer has a competition. Reads are plain
functions (Starlette runs them in its thread pool); writes read a JSON body and then run the
blocking database work in the thread pool too.

=================================================  =============================================
``GET  /api/event/{event}``                        modules, clocks, competitors, completion
``GET  /api/marks/{event}``                        marks per aspect (``?format=csv``, ``?version=``)
``GET  /api/marks/{event}/totals``                 totals per competitor, criterion and module
``GET  /api/marks/{event}/standardised``           ranking with WorldSkills-scale scores
``GET  /api/marks/{event}/sheet/{competitor}``     CIS-style mark sheet (CSV)
``GET  /api/marks/{event}/record/{competitor}``    recruiter's skill record (JSON)
``GET  /api/marks/{event}/changes``                every mark change: old, new, why
``GET  /api/marks/{event}/versions``               the marking scheme's versions
``POST /api/judgements/{event}``                   ``{competitor, aspect, judge, score, note?}``
``POST /api/event/{event}/modules/{module}/{op}``  op: start, freeze, resume, stop, measure,
                                                   self_check, time_limit (``{"minutes": m}``)
``GET  /api/appeals/{event}/{station}/{run_id}``   measurements recomputed from the raw curves
=================================================  =============================================

There are no accounts yet: serve this on the judges' network only (``http.host``).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from .appeals import appeal
from .competition import Competition, CompetitionError
from .exports import mark_sheet, marks_csv, marks_json, skill_record, standardised

_NO_CACHE = {"Cache-Control": "no-store"}


def _json(data: Any, status_code: int = 200) -> JSONResponse:
    return JSONResponse(data, status_code=status_code, headers=_NO_CACHE)


def _csv(text: str, name: str) -> Response:
    return PlainTextResponse(
        text,
        media_type="text/csv; charset=utf-8",
        headers={**_NO_CACHE, "Content-Disposition": f'attachment; filename="{name}"'},
    )


def _version(request: Request) -> int | None:
    raw = request.query_params.get("version")
    if raw is None:
        return None
    try:
        return int(raw)
    except ValueError:
        raise CompetitionError(f"version: expected an integer, got {raw!r}") from None


def _guard(handler: Callable[[Request], Response]) -> Callable[[Request], Response]:
    """Competition errors (unknown event, bad score, wrong state) become 4xx answers."""

    def wrapped(request: Request) -> Response:
        try:
            return handler(request)
        except (CompetitionError, KeyError) as exc:
            return _json(
                {"error": str(exc).strip("'\"")}, 404 if isinstance(exc, KeyError) else 400
            )

    return wrapped


def routes(comp: Competition) -> list[Route]:
    """The competition's routes over ``comp``."""

    @_guard
    def event(request: Request) -> Response:
        event_id = request.path_params["event"]
        ev = comp.event(event_id)
        clocks = {c.module: c.to_dict() for c in comp.clocks(event_id)}
        return _json(
            {
                "event": ev.to_dict(),
                "clocks": [
                    clocks.get(m.id) or comp.clock(event_id, m.id).to_dict() for m in ev.modules
                ],
                "completion": comp.completion(event_id),
                "scheme_versions": comp.versions(ev.scheme_id),
            }
        )

    @_guard
    def marks(request: Request) -> Response:
        event_id = request.path_params["event"]
        version = _version(request)
        fmt = request.query_params.get("format", "json")
        if fmt == "csv":
            return _csv(marks_csv(comp, event_id, version), f"{event_id}-marks.csv")
        if fmt != "json":
            raise CompetitionError(f"format: 'json' or 'csv', got {fmt!r}")
        return _json(marks_json(comp, event_id, version))

    @_guard
    def totals(request: Request) -> Response:
        return _json(comp.totals(request.path_params["event"], _version(request)))

    @_guard
    def ranking(request: Request) -> Response:
        return _json(standardised(comp, request.path_params["event"], _version(request)))

    @_guard
    def sheet(request: Request) -> Response:
        event_id, who = request.path_params["event"], request.path_params["competitor"]
        text = mark_sheet(comp, event_id, who, _version(request))
        return _csv(text, f"{event_id}-{who}-marks.csv")

    @_guard
    def record(request: Request) -> Response:
        event_id, who = request.path_params["event"], request.path_params["competitor"]
        return _json(skill_record(comp, event_id, who, _version(request)))

    @_guard
    def changes(request: Request) -> Response:
        return _json(comp.mark_changes(request.path_params["event"]))

    @_guard
    def versions(request: Request) -> Response:
        ev = comp.event(request.path_params["event"])
        return _json(comp.versions(ev.scheme_id))

    @_guard
    def appeals(request: Request) -> Response:
        p = request.path_params
        return _json(appeal(comp, p["event"], p["station"], p["run_id"], comp.tasks_dir))

    async def judgements(request: Request) -> Response:
        body = await _body(request)
        if isinstance(body, Response):
            return body

        def work(req: Request) -> Response:
            for key in ("competitor", "aspect", "judge", "score"):
                if key not in body:
                    raise CompetitionError(f"missing {key!r}")
            got = comp.enter_score(
                req.path_params["event"],
                str(body["competitor"]),
                str(body["aspect"]),
                str(body["judge"]),
                body["score"],
                str(body.get("note", "")),
            )
            return _json({"marks": [m.__dict__ | {"scores": list(m.scores)} for m in got]})

        return await run_in_threadpool(_guard(work), request)

    async def module_op(request: Request) -> Response:
        body = await _body(request, optional=True)
        if isinstance(body, Response):
            return body

        def work(req: Request) -> Response:
            p = req.path_params
            event_id, module, op = p["event"], p["module"], p["op"]
            actor = str(body.get("actor", "api"))[:64]
            if op == "time_limit":
                minutes = body.get("minutes")
                if isinstance(minutes, bool) or not isinstance(minutes, int | float):
                    raise CompetitionError('time_limit needs {"minutes": number}')
                clock = comp.set_time_limit(event_id, module, float(minutes), actor)
            elif op == "start":
                clock = comp.start_module(event_id, module, actor)
            elif op == "freeze":
                clock = comp.freeze(event_id, module, actor)
            elif op == "resume":
                clock = comp.resume(event_id, module, actor)
            elif op == "stop":
                clock = comp.stop_module(event_id, module, actor)
            elif op in ("measure", "self_check"):
                return _json({"sent": comp.measure(event_id, module, marked=op == "measure")})
            else:
                raise CompetitionError(f"unknown operation {op!r}")
            return _json(clock.to_dict())

        return await run_in_threadpool(_guard(work), request)

    return [
        Route("/api/event/{event}", event),
        Route("/api/event/{event}/modules/{module}/{op}", module_op, methods=["POST"]),
        Route("/api/marks/{event}", marks),
        Route("/api/marks/{event}/totals", totals),
        Route("/api/marks/{event}/standardised", ranking),
        Route("/api/marks/{event}/sheet/{competitor}", sheet),
        Route("/api/marks/{event}/record/{competitor}", record),
        Route("/api/marks/{event}/changes", changes),
        Route("/api/marks/{event}/versions", versions),
        Route("/api/judgements/{event}", judgements, methods=["POST"]),
        Route("/api/appeals/{event}/{station}/{run_id}", appeals),
    ]


async def _body(request: Request, optional: bool = False) -> dict[str, Any] | Response:
    raw = await request.body()
    if not raw and optional:
        return {}
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        return _json({"error": "the body must be a JSON object"}, 400)
    if not isinstance(body, dict):
        return _json({"error": "the body must be a JSON object"}, 400)
    return body
