"""The OpenAPI examples are real: each answer fits its operation's response model, and each example
request fits the model of its body."""

from __future__ import annotations

import json

from fastapi.routing import APIRoute
from pydantic import TypeAdapter

from territorial.api.app import ROUTERS, WRITERS
from territorial.api.examples import EXAMPLES, REQUEST_EXAMPLES

ROUTES = [r for m in (*ROUTERS, *WRITERS) for r in m.router.routes if isinstance(r, APIRoute)]


def test_every_example_fits_its_response_model() -> None:
    assert {route.operation_id for route in ROUTES} == set(EXAMPLES)
    for route in ROUTES:
        TypeAdapter(route.response_model).validate_json(json.dumps(EXAMPLES[route.operation_id]))


def test_every_write_has_an_example_request_that_fits_its_body() -> None:
    with_body = {route.operation_id: route for route in ROUTES if route.body_field is not None}
    uploads = {route.operation_id for route in ROUTES if (route.openapi_extra or {}).get("requestBody")}
    assert set(with_body) | uploads == set(REQUEST_EXAMPLES)
    for name, route in with_body.items():
        assert route.body_field is not None
        TypeAdapter(route.body_field.field_info.annotation).validate_json(json.dumps(REQUEST_EXAMPLES[name]))
    assert all(isinstance(REQUEST_EXAMPLES[name], str) for name in uploads)
