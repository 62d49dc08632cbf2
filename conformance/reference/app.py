"""The reference Leads server: a Starlette app mounted under ``/api``.

Routes (all under ``/api``):

- ``GET  /crm/v1/leads``                          paginated list with filters
- ``POST /crm/v1/leads``                          create, answered with ``{model, warnings, errors}``
- ``GET  /crm/v1/leads/meta/post``                the write schema
- ``GET  /crm/v1/leads/remote-field-classes``     paginated list of remote field classes
- ``GET  /crm/v1/leads/{id}``                     one lead

Every route authenticates (API key, then account token) before it reads anything else.
Every answer, errors included, is JSON.
"""

from __future__ import annotations

import hmac
import json
import logging
import uuid
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount, Route, Router

from .config import ReferenceConfig
from .documents import build_created_lead, render_leads
from .pagination import page_cursors
from .query import (
    ApiError,
    LeadView,
    lead_filters,
    lead_view,
    optional_bool,
    page_request,
    remote_field_class_filters,
)
from .schema import request_schema
from .seed import build_seed
from .store import Store
from .validation import Problem, parse_json_body, validate_create_body

__all__ = ["ApiJSONResponse", "create_app"]

_LOG = logging.getLogger(__name__)
_MAX_BODY = 2 * 1024 * 1024
_WWW_AUTHENTICATE = {"WWW-Authenticate": 'Bearer realm="api"'}


class ApiJSONResponse(JSONResponse):
    """JSON with ``Content-Type: application/json``, UTF-8 where it can be, ASCII-escaped where not."""

    def render(self, content: Any) -> bytes:
        """Serialise ``content``; strings that are not valid Unicode fall back to escapes."""
        try:
            text = json.dumps(content, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
            return text.encode("utf-8")
        except UnicodeEncodeError:
            return json.dumps(content, ensure_ascii=True, allow_nan=False, separators=(",", ":")).encode(
                "ascii"
            )


def _detail(status_code: int, detail: str, headers: dict[str, str] | None = None) -> ApiJSONResponse:
    return ApiJSONResponse({"detail": detail}, status_code=status_code, headers=headers)


async def _api_error(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiError)
    return _detail(exc.status_code, exc.detail, exc.headers)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if exc.status_code == 404:
        message = "Not found."
    elif exc.status_code == 405:
        message = f'Method "{request.method}" not allowed.'
    else:
        message = str(exc.detail)
    return _detail(exc.status_code, message, dict(exc.headers or {}))


async def _server_error(_request: Request, exc: Exception) -> Response:
    _LOG.error("unhandled error in the reference server", exc_info=exc)
    return _detail(500, "A server error occurred.")


async def _read_body(request: Request) -> bytes:
    chunks: list[bytes] = []
    total = 0
    async for chunk in request.stream():
        total += len(chunk)
        if total > _MAX_BODY:
            raise ApiError(413, "Request body is too large.")
        chunks.append(chunk)
    return b"".join(chunks)


def _rejected_write(warnings: list[Problem], errors: list[Problem]) -> ApiJSONResponse:
    return ApiJSONResponse(
        {"warnings": [item.as_json() for item in warnings], "errors": [item.as_json() for item in errors]},
        status_code=400,
    )


def _debug_log() -> dict[str, Any]:
    log_id = str(uuid.uuid4())
    return {
        "log_id": log_id,
        "dashboard_view": f"https://app.merge.dev/logs/{log_id}",
        "log_summary": {
            "url": "www.exampleintegration.com/api/v1/leads",
            "method": "POST",
            "status_code": 201,
        },
    }


class _LeadsApi:
    """The handlers, bound to one configuration and one store."""

    def __init__(self, config: ReferenceConfig, store: Store) -> None:
        self.config = config
        self.store = store
        self._api_key = config.api_key.encode("utf-8")

    def authenticate(self, request: Request) -> str:
        """Return the request's linked account token, or raise 401."""
        header = request.headers.get("authorization")
        scheme, _, rest = (header or "").partition(" ")
        if scheme.lower() != "bearer":
            raise ApiError(401, "Authentication credentials were not provided.", _WWW_AUTHENTICATE)
        key = rest.lstrip(" ")
        if not key:
            raise ApiError(401, "Invalid token header. No credentials provided.", _WWW_AUTHENTICATE)
        if " " in key:
            raise ApiError(
                401, "Invalid token header. Token string should not contain spaces.", _WWW_AUTHENTICATE
            )
        if not hmac.compare_digest(key.encode("utf-8"), self._api_key):
            raise ApiError(401, "Invalid token.", _WWW_AUTHENTICATE)
        account = request.headers.get("x-account-token")
        if not account:
            raise ApiError(401, "Account Token must be passed in as an X-Account-Token header.")
        if account not in self.config.account_tokens:
            raise ApiError(401, "Invalid account token.")
        self.store.ensure_account(account, build_seed if self.config.seed else None)
        return account

    async def leads(self, request: Request) -> Response:
        """``GET`` lists leads, ``POST`` creates one."""
        if request.method == "POST":
            return await self.create_lead(request)
        return await self.list_leads(request)

    async def list_leads(self, request: Request) -> Response:
        """A page of leads: ``{next, previous, results}``."""
        account = self.authenticate(request)
        query = request.query_params
        view = lead_view(query)
        filters = lead_filters(query)
        page = self.store.page_leads(account, filters, page_request(query, self.config))
        next_cursor, previous_cursor = page_cursors(page)
        results = render_leads(self.store, account, [body for _, body in page.rows], view)
        return ApiJSONResponse({"next": next_cursor, "previous": previous_cursor, "results": results})

    async def create_lead(self, request: Request) -> Response:
        """Validate the body, store the lead, answer 201 ``{model, warnings, errors}``."""
        account = self.authenticate(request)
        debug = optional_bool(request.query_params, "is_debug_mode") is True
        optional_bool(request.query_params, "run_async")
        body, problem = parse_json_body(await _read_body(request))
        if problem is not None:
            return _rejected_write([], [problem])
        created = validate_create_body(body, self.config.required_fields)
        if created.errors:
            return _rejected_write(created.warnings, created.errors)
        document = build_created_lead(created, self.store.allocate_instant())
        self.store.insert_lead(account, document)
        model = render_leads(self.store, account, [document], LeadView())[0]
        content: dict[str, Any] = {
            "model": model,
            "warnings": [item.as_json() for item in created.warnings],
            "errors": [],
        }
        if debug:
            content["logs"] = [_debug_log()]
        return ApiJSONResponse(content, status_code=201)

    async def retrieve_lead(self, request: Request) -> Response:
        """One lead by id, or 404."""
        account = self.authenticate(request)
        view = lead_view(request.query_params)
        document = self.store.get_lead(account, request.path_params["id"])
        if document is None:
            raise ApiError(404, "Not found.")
        return ApiJSONResponse(render_leads(self.store, account, [document], view)[0])

    async def meta_post(self, request: Request) -> Response:
        """The write schema of a lead for this linked account."""
        account = self.authenticate(request)
        classes = {item["id"]: item for item in self.store.remote_field_classes(account)}
        return ApiJSONResponse(
            {
                "request_schema": request_schema(self.config.advertised_required_fields),
                "remote_field_classes": classes,
                "status": {"linked_account_status": "COMPLETE", "can_make_request": True},
                "has_conditional_params": False,
                "has_required_linked_account_params": False,
            }
        )

    async def remote_field_classes(self, request: Request) -> Response:
        """A page of remote field classes: ``{next, previous, results}``."""
        account = self.authenticate(request)
        query = request.query_params
        filters = remote_field_class_filters(query)
        page = self.store.page_remote_field_classes(account, filters, page_request(query, self.config))
        next_cursor, previous_cursor = page_cursors(page)
        results = [body for _, body in page.rows]
        return ApiJSONResponse({"next": next_cursor, "previous": previous_cursor, "results": results})


def create_app(config: ReferenceConfig = ReferenceConfig()) -> Starlette:  # noqa: B008
    """Return a reference Leads server with its own store (``app.state.store``)."""
    store = Store(config.db_path)
    api = _LeadsApi(config, store)
    leads_routes = [
        Route("/crm/v1/leads", api.leads, methods=["GET", "POST"]),
        Route("/crm/v1/leads/meta/post", api.meta_post, methods=["GET"]),
        Route("/crm/v1/leads/remote-field-classes", api.remote_field_classes, methods=["GET"]),
        Route("/crm/v1/leads/{id}", api.retrieve_lead, methods=["GET"]),
    ]
    app = Starlette(
        routes=[Mount("/api", app=Router(routes=leads_routes, redirect_slashes=False))],
        exception_handlers={ApiError: _api_error, HTTPException: _http_error, Exception: _server_error},
    )
    app.router.redirect_slashes = False
    app.state.store = store
    app.state.config = config
    return app
