"""The reference Leads server: a faithful, self-contained stand-in for Merge's CRM Leads API.

It serves ``/api/crm/v1/leads`` (list, create, retrieve, ``meta/post``,
``remote-field-classes``) from SQLite, in memory or in a file, with deterministic seed data
per linked account. Test it in-process with ``starlette.testclient.TestClient(create_app())``
or serve it for real with :func:`serve_in_thread` / :func:`serve_forever`.

Where Merge is silent, the reference chooses:

- Auth: the ``Bearer`` scheme is matched case-insensitively (RFC 7235); the key exactly.
  Failures are 401 with DRF's wording; the API key is checked before the account token, and
  both before the request body is read.
- Lists are ordered by ``created_at`` then ``id``, oldest first, so new leads come last.
  ``page_size`` above the maximum is capped, below 1 means the default, and anything that is
  not an integer is a 400. A cursor the server did not make is 404 ``Invalid cursor`` (DRF).
- Query values: ``true``/``false`` in any case; a typed parameter (boolean, integer,
  date-time) that is empty or malformed is a 400 ``{detail}``; an empty string filter and an
  empty ``expand=`` are ignored; an unknown ``expand`` value is a 400; the last of repeated
  parameters wins (``expand`` collects them all); unknown parameters are ignored.
- Date-time bounds are strict RFC 3339 with an offset (a space where ``+`` was sent
  unencoded is read as ``+``) and compare strictly. ``email_addresses`` match case-insensitively,
  ``phone_numbers`` by their digits.
- Deleted leads (``remote_was_deleted``) are listed only with ``include_deleted_data=true``
  but stay retrievable by id.
- A create validates every LeadRequest field by the fragment's types and formats (nested
  User / Contact / Account / RemoteFieldClass objects included) and answers 400
  ``{warnings, errors}`` with ``INCORRECT_FIELD_TYPE``, ``MISSING_REQUIRED_FIELD`` or
  ``MALFORMED_REQUEST``. Relation ids naming no known object, UUID or not, are stored and
  expand to null; a relation sent as an object stores its ``id``. The provider assigns
  ``remote_id``, ``status`` ``OPEN`` and ``remote_data``. Bodies above 2 MiB are 413.
- Unknown routes are 404 ``{"detail": "Not found."}`` (no trailing-slash redirects); a wrong
  method is 405 with ``Allow``; an unexpected error is a JSON 500.
"""

from __future__ import annotations

from .app import create_app
from .config import ReferenceConfig
from .server import RunningServer, serve_forever, serve_in_thread

__all__ = ["ReferenceConfig", "RunningServer", "create_app", "serve_forever", "serve_in_thread"]
