"""The API's published contract: a valid OpenAPI document, one error shape, security headers."""

from __future__ import annotations

import json

import pytest
from openapi_spec_validator import validate

pytestmark = pytest.mark.django_db


def test_openapi_document_is_valid(anonymous):
    response = anonymous.client.get("/api/openapi.json")
    assert response.status_code == 200
    document = json.loads(response.content)
    validate(document)
    assert document["info"]["title"] == "huoyuan API"
    assert "/api/supplier/products" in document["paths"]


def test_interactive_docs_are_served(anonymous):
    response = anonymous.client.get("/api/docs")
    assert response.status_code == 200


def test_every_error_has_the_same_shape(anonymous, buyer_x):
    responses = [
        anonymous.api("GET", "/api/me"),  # 401
        buyer_x.api("GET", "/api/supplier/products"),  # 403
        anonymous.api("GET", "/api/products/999999"),  # 404
        anonymous.api("GET", "/api/products?moq_max=lots"),  # 422 from the schema
    ]
    assert [r.status_code for r in responses] == [401, 403, 404, 422]
    for response in responses:
        body = response.json()
        assert {"code", "message", "field"} <= set(body)
        assert body["message"]


@pytest.mark.parametrize("path", ["/", "/api/products", "/accounts/login/"])
def test_pages_and_api_send_a_content_security_policy(anonymous, path):
    response = anonymous.client.get(path)
    policy = response["Content-Security-Policy"]
    assert "default-src 'self'" in policy
    assert "object-src 'none'" in policy
    assert "frame-ancestors 'none'" in policy
    assert "unsafe-inline" not in policy
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
