"""The FastAPI application: JSON API under ``/api``, server-rendered pages, packaged assets."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from markupsafe import Markup
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.trustedhost import TrustedHostMiddleware

from sepsistwin import DISCLAIMER, __version__
from sepsistwin.web.datasets import example_dataset
from sepsistwin.web.security import GuardMiddleware
from sepsistwin.web.settings import WebSettings
from sepsistwin.web.state import BadInput, NotFound, WebState

#: Text symbol shown before each phenotype (the charts use the same shapes): never colour alone.
PHENOTYPE_SYMBOL = {"MALS": "▲", "immunoparalysis": "■", "intermediate": "●", "indeterminate": "✕"}
PACKAGE_DIR = Path(str(resources.files("sepsistwin.web")))
PLOTLY_JS = Path(str(resources.files("plotly"))) / "package_data" / "plotly.min.js"

API_DESCRIPTION = (
    "Assess patient timelines (SOFA, Sepsis-3, septic shock, PROVIDE immune phenotype), list "
    "phenotype-matched immunotherapy options with their evidence, run in-silico trials and "
    "browse the cited evidence base. Response bodies follow the `sepsistwin` CLI's `--json` "
    "contracts. " + DISCLAIMER
)


def templates() -> Jinja2Templates:
    """The page templates, with the disclaimer and version as globals."""
    t = Jinja2Templates(directory=str(PACKAGE_DIR / "templates"))
    t.env.globals.update(disclaimer=DISCLAIMER, version=__version__, symbols=PHENOTYPE_SYMBOL)
    t.env.filters["json_block"] = json_block
    t.env.filters["num"] = readable_number
    t.env.filters["seg"] = lambda v: quote(str(v), safe="")
    return t


def readable_number(x: float | None) -> str:
    """A number for a table cell: thousands separated, small values in scientific notation.

    Examples
    --------
    >>> readable_number(24260.4), readable_number(2.762), readable_number(2.4e-15)
    ('24,260', '2.762', '2.40e-15')
    """
    if x is None:
        return "–"
    a = abs(x)
    if a >= 1e4:
        return f"{x:,.0f}"
    if a != 0 and a < 1e-3:
        return f"{x:.2e}"
    return f"{x:.4g}"


def json_block(text: str) -> Markup:
    """JSON text made safe inside ``<script type="application/json">`` (no ``<``, ``>``, ``&``
    outside escapes; they only occur inside JSON strings, where ``\\u003c`` means the same)."""
    return Markup(text.replace("&", "\\u0026").replace("<", "\\u003c").replace(">", "\\u003e"))


def _wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/") or request.url.path == "/openapi.json"


def create_app(settings: WebSettings | None = None) -> FastAPI:
    """Build the dashboard application.

    Parameters
    ----------
    settings
        Locations and limits (defaults: ``./sepsistwin-web``, 50 MB uploads, 1 h upload TTL).

    Examples
    --------
    >>> from pathlib import Path
    >>> app = create_app(WebSettings(data_dir=Path("/tmp/sepsistwin-web-doc")))
    >>> app.title
    'sepsistwin'
    """
    cfg = settings or WebSettings()
    state = WebState(cfg)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        await run_in_threadpool(example_dataset)  # assessed before the first request
        state.jobs.warm()
        sweeper = asyncio.create_task(_sweep_forever(state))
        yield
        sweeper.cancel()
        state.jobs.shutdown()
        state.simulations.shutdown()

    app = FastAPI(
        title="sepsistwin",
        version=__version__,
        description=API_DESCRIPTION,
        docs_url=None,  # /docs is rendered by the app itself (offline, no inline script)
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.web = state
    app.add_middleware(GuardMiddleware, sessions=state.sessions, max_bytes=cfg.max_upload_bytes)
    # outermost: a request for another host name (DNS rebinding) gets 400 before anything else
    app.add_middleware(TrustedHostMiddleware, allowed_hosts=list(cfg.allowed_hosts))
    app.state.templates = templates()

    from sepsistwin.web.api_routes import router as api_router
    from sepsistwin.web.pages import router as page_router

    app.include_router(api_router)
    app.include_router(page_router)
    app.mount("/static", StaticFiles(directory=str(PACKAGE_DIR / "static")), name="static")

    @app.get("/vendor/plotly.min.js", include_in_schema=False)
    def plotly_js() -> FileResponse:
        return FileResponse(
            PLOTLY_JS,
            media_type="text/javascript",
            headers={"cache-control": "public, max-age=86400"},
        )

    def _error(
        request: Request, status: int, message: str, errors: list[str], extra: dict[str, Any]
    ) -> Response:
        if _wants_json(request):
            return JSONResponse({"detail": message, "errors": errors, **extra}, status_code=status)
        return app.state.templates.TemplateResponse(
            request,
            "error.html",
            {"status": status, "message": message, "errors": errors},
            status_code=status,
        )

    @app.exception_handler(NotFound)
    async def not_found(request: Request, exc: NotFound) -> Response:
        return _error(request, 404, str(exc), [str(exc)], {})

    @app.exception_handler(BadInput)
    async def bad_input(request: Request, exc: BadInput) -> Response:
        return _error(request, 422, str(exc), exc.errors, {"details": exc.details})

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> Response:
        errors = [
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}"
            + (
                f" (got {e['input']!r})"
                if e.get("type") != "missing"
                and "input" in e
                and not isinstance(e["input"], dict | list | bytes)
                else ""
            )
            for e in exc.errors()
        ]
        return _error(request, 422, "invalid request: " + "; ".join(errors), errors, {})

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        message = str(exc.detail)
        return _error(request, exc.status_code, message, [message], {})

    @app.get("/docs", response_class=HTMLResponse, include_in_schema=False)
    def docs(request: Request) -> Response:
        return app.state.templates.TemplateResponse(
            request, "docs.html", {"api": _api_listing(app.openapi())}
        )

    return app


async def _sweep_forever(state: WebState) -> None:
    """Delete idle sessions' uploads on time even when no request comes in."""
    every = min(60.0, state.settings.upload_ttl_s / 2)
    while True:
        await asyncio.sleep(every)
        await run_in_threadpool(state.sessions.sweep, force=True)


def _api_listing(schema: dict[str, Any]) -> list[dict[str, Any]]:
    """Endpoints of the OpenAPI schema, for the /docs page."""
    rows = []
    for path, methods in schema.get("paths", {}).items():
        for method, op in methods.items():
            params = [
                {
                    "name": p["name"],
                    "in": p["in"],
                    "required": p.get("required", False),
                    "type": p.get("schema", {}).get("type")
                    or " | ".join(a.get("type", "") for a in p.get("schema", {}).get("anyOf", [])),
                    "description": p.get("description", ""),
                }
                for p in op.get("parameters", [])
            ]
            body = op.get("requestBody", {}).get("content", {})
            rows.append(
                {
                    "method": method.upper(),
                    "path": path,
                    "summary": op.get("summary", ""),
                    "description": op.get("description", ""),
                    "params": params,
                    "body": ", ".join(body),
                    "responses": ", ".join(
                        f"{code} {r.get('description', '')}"
                        for code, r in op.get("responses", {}).items()
                    ),
                    "tag": (op.get("tags") or ["api"])[0],
                }
            )
    return rows
