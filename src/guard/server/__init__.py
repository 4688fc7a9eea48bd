"""``guard serve``: a JSON-over-HTTP door (FastAPI on uvicorn) for services not written in Python.

    GET  /healthz      {"status": "ok", "version": ..., "engine": ..., "rules": ...}
    GET  /v1/rules     every rule: id, name, topic, tier, platforms
    POST /v1/check     {"products": [...], "merchant": {...}, "promotions": [...], "live_rooms": [...],
                        "platform": null, "lang": "zh", "now": null}  ->  a report
    POST /v1/lint      {"text": "...", "category": null, "platform": "wechat", "lang": "zh"}  ->  a report
    GET  /openapi.json, /docs

A report is ``Report.to_dict()``: findings, problems (records that could not be checked, with
locations) and a summary, exactly what ``guard check --format json`` prints. Every error is JSON
``{"error": ...}``: 400 (bad JSON, shape or HTTP), 401 (API key), 404, 405, 408 (slow body),
413 (body too large), 503 (busy, with Retry-After) or 500 (engine failure); no traceback leaves
the process. The door holds no rule logic: it calls the library.
"""

from __future__ import annotations

from guard.server.app import make_app
from guard.server.run import ServeError, api_key_for, is_loopback, listen, server_for, settle, url_of
from guard.server.service import Service

__all__ = ["ServeError", "Service", "api_key_for", "is_loopback", "listen", "make_app", "server_for", "settle", "url_of"]
