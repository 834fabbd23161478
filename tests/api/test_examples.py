"""The OpenAPI examples are real answers: each one fits its operation's response model."""

from __future__ import annotations

import json

from fastapi.routing import APIRoute
from pydantic import TypeAdapter

from territorial.api import assignment, plans, records
from territorial.api.examples import EXAMPLES


def test_every_example_fits_its_response_model() -> None:
    routes = [r for m in (records, assignment, plans) for r in m.router.routes if isinstance(r, APIRoute)]
    assert {route.operation_id for route in routes} == set(EXAMPLES)
    for route in routes:
        TypeAdapter(route.response_model).validate_json(json.dumps(EXAMPLES[route.operation_id]))
