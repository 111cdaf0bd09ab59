"""Idempotency for the JSON API: a retried POST returns the first response and changes nothing.

The claim on (scope, key), the view's own writes and the stored response commit in ONE transaction:
either all of it is there or none of it. A concurrent duplicate blocks on the unique index until
the first commits, then replays its response; if the first failed, the duplicate runs instead.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable

from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _

from huoyuan.core.models import IdempotencyRecord

UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}
HEADER = "Idempotency-Key"


def _scope(request: HttpRequest) -> str:
    auth = request.headers.get("Authorization", "")
    if auth:
        return "token:" + hashlib.sha256(auth.encode()).hexdigest()[:40]
    if request.user.is_authenticated:
        return f"user:{request.user.pk}"
    return "anon:" + (request.META.get("REMOTE_ADDR") or "unknown")


def _fingerprint(request: HttpRequest) -> str:
    digest = hashlib.sha256()
    digest.update(request.method.encode() if request.method else b"")
    digest.update(b"\0" + request.get_full_path().encode() + b"\0")
    if request.content_type == "multipart/form-data":
        # Uploads may exceed the in-memory body limit: hash the parsed fields and stream the files.
        for name, values in sorted(request.POST.lists()):
            digest.update(f"{name}={values!r}\0".encode())
        for name, files in sorted(request.FILES.lists()):
            for upload in files:
                digest.update(f"{name}:{upload.name}:{upload.size}\0".encode())
                for chunk in upload.chunks():
                    digest.update(chunk)
                upload.seek(0)
    else:
        digest.update(request.body)
    return digest.hexdigest()


class _Replay(Exception):
    pass


class IdempotencyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        key = request.headers.get(HEADER)
        if key is None or request.method not in UNSAFE or not request.path.startswith("/api/"):
            return self.get_response(request)
        if not key or len(key) > 255:
            return JsonResponse(
                {
                    "code": "invalid_idempotency_key",
                    "message": _("Idempotency-Key must be 1 to 255 characters."),
                    "field": None,
                },
                status=400,
            )
        scope, fingerprint = _scope(request), _fingerprint(request)
        try:
            with transaction.atomic():
                try:
                    with transaction.atomic():
                        record = IdempotencyRecord.objects.create(
                            scope=scope,
                            key=key,
                            fingerprint=fingerprint,
                            status_code=0,
                            content_type="",
                            body=b"",
                        )
                except IntegrityError:
                    raise _Replay from None
                response = self.get_response(request)
                if response.status_code >= 500 or getattr(response, "streaming", False):
                    # Roll everything back, the claim included, so a retry runs afresh.
                    transaction.set_rollback(True)
                    return response
                record.status_code = response.status_code
                record.content_type = response.get("Content-Type", "application/json")
                record.body = response.content
                record.save(update_fields=["status_code", "content_type", "body"])
                return response
        except _Replay:
            return self._replay(scope, key, fingerprint)

    @staticmethod
    def _replay(scope: str, key: str, fingerprint: str) -> HttpResponse:
        record = IdempotencyRecord.objects.get(scope=scope, key=key)
        if record.fingerprint != fingerprint:
            body = {
                "code": "idempotency_key_reused",
                "message": _(
                    "This Idempotency-Key was already used for a different request; "
                    "use a new key for a new request."
                ),
                "field": None,
            }
            return HttpResponse(json.dumps(body), status=422, content_type="application/json")
        response = HttpResponse(
            bytes(record.body), status=record.status_code, content_type=record.content_type
        )
        response["Idempotent-Replayed"] = "true"
        return response
