"""A route's query parameters as one pydantic model, validated in one call.

FastAPI solves each declared query parameter on its own and inspects its annotation again at
every request: on the busiest route (six parameters) that cost more than the route's own work
(bench/gateway.py). `query_as(Model, request)` validates the model from the query string at
once; `query_parameters(Model)` are the OpenAPI parameters FastAPI would have written for its fields.
A bad value is the same 422 as before: a RequestValidationError naming the parameter.
"""

from __future__ import annotations

from typing import Any, TypeVar

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ValidationError

M = TypeVar("M", bound=BaseModel)


def query_as(model: type[M], request: Request) -> M:
    """The request's query string as `model`, called in the route itself: a dependency costs FastAPI
    about 25 us per request to solve (its cache key and generator checks, bench/gateway.py)."""
    try:
        return model.model_validate(dict(request.query_params))
    except ValidationError as invalid:
        raise RequestValidationError([{**problem, "loc": ("query", *problem["loc"])}
                                      for problem in invalid.errors(include_url=False)]) from None


def query_parameters(model: type[BaseModel]) -> list[dict[str, Any]]:
    """The model's fields as OpenAPI query parameters, in the shape FastAPI writes them."""
    properties = model.model_json_schema()["properties"]
    parameters = []
    for name, field in model.model_fields.items():
        parameter: dict[str, Any] = {"name": name, "in": "query", "required": field.is_required(),
                                     "schema": properties[name]}
        if field.description:
            parameter["description"] = field.description
        parameters.append(parameter)
    return parameters
