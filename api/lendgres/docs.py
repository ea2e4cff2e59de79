"""The API's documentation: the pages that show it (/docs, /redoc) and the last touches of its OpenAPI document.

FastAPI's own pages load Swagger UI and ReDoc from a CDN, so they are blank on a machine without internet. These
load the same scripts from the installed fastapi-offline package, which ships both, served under /docs/assets.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from importlib.resources import files
from typing import TYPE_CHECKING, Any, get_args

from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel
from pydantic_core import to_jsonable_python
from starlette.responses import HTMLResponse

from .models import BIGINT_MAX, ProblemDetails, examples

if TYPE_CHECKING:
    from .operations import Operation

ASSETS = "/docs/assets"
PROBLEM = "application/problem+json"


def add_routes(app: FastAPI) -> None:
    """Serves /docs and /redoc, without keys, with every asset from this machine (the app is made with
    docs_url=None and redoc_url=None, so that FastAPI's CDN pages are not served)."""
    app.mount(ASSETS, StaticFiles(directory=str(files("fastapi_offline") / "static")), name="docs-assets")

    @app.get("/docs", include_in_schema=False)
    async def swagger_ui(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "")
        return get_swagger_ui_html(
            openapi_url=f"{root}{app.openapi_url}",
            title=f"{app.title} - Swagger UI",
            swagger_js_url=f"{root}{ASSETS}/swagger-ui-bundle.js",
            swagger_css_url=f"{root}{ASSETS}/swagger-ui.css",
            swagger_favicon_url=f"{root}{ASSETS}/favicon.png",
            # Swagger UI would otherwise send the document to an online validator for its badge.
            swagger_ui_parameters={"validatorUrl": None},
        )

    @app.get("/redoc", include_in_schema=False)
    async def redoc(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "")
        return get_redoc_html(
            openapi_url=f"{root}{app.openapi_url}",
            title=f"{app.title} - ReDoc",
            redoc_js_url=f"{root}{ASSETS}/redoc.standalone.js",
            redoc_favicon_url=f"{root}{ASSETS}/favicon.png",
            with_google_fonts=False,
        )


def mend(document: dict[str, Any], operations: Iterable[Operation]) -> dict[str, Any]:
    """What FastAPI's document gets wrong about this API, put right (in place; returned for convenience):

    - a problem response documents its schema under application/problem+json, the type it is sent as (FastAPI puts
      a response model under the route's own type, application/json, which no error uses);
    - integer bounds are integers: FastAPI's OpenAPI model holds minimum and maximum as floats, and a float cannot
      hold the largest bigint (2**63 - 1 becomes 2**63), so a whole-number bound of an integer is written back as
      the integer the models declare;
    - a parameter (path, query or header) is a string or absent, never null: the schema of an optional one is that
      of its value, without the `null` that FastAPI adds for its default of None;
    - a model's examples are its own: FastAPI writes the document without its null values, examples included, so
      an example's `"db_role": null` would go missing and the example would no longer be valid."""
    reference = {"$ref": "#/components/schemas/ProblemDetails"}
    for item in document.get("paths", {}).values():
        for operation in item.values():
            for parameter in operation.get("parameters", []):
                parameter["schema"] = _without_null(parameter["schema"])
            for response in operation.get("responses", {}).values():
                content = response.get("content", {})
                if PROBLEM in content:
                    declared = content.pop("application/json", {}).get("schema")
                    content[PROBLEM]["schema"] = declared or reference
    _exact_integer_bounds(document)
    schemas = document.get("components", {}).get("schemas", {})
    for model in _models(operations):
        if model.__name__ in schemas and examples(model):
            schemas[model.__name__]["examples"] = to_jsonable_python(examples(model))
    return document


def _models(operations: Iterable[Operation]) -> Iterator[type[BaseModel]]:
    """Every model the operations take or answer, and the models their fields hold."""
    seen: set[type[BaseModel]] = set()
    found: list[Any] = [ProblemDetails]
    for operation in operations:
        found += [operation.result, operation.query, operation.body, operation.tutorial_query]
    while found:
        candidate = found.pop()
        if isinstance(candidate, type) and issubclass(candidate, BaseModel):
            if candidate not in seen:
                seen.add(candidate)
                yield candidate
                found += [field.annotation for field in candidate.model_fields.values()]
        else:
            found += get_args(candidate)


def _without_null(schema: dict[str, Any]) -> dict[str, Any]:
    options = schema.get("anyOf", [])
    values = [option for option in options if option != {"type": "null"}]
    if len(values) == 1 and len(options) == 2:
        rest = {key: value for key, value in schema.items() if key != "anyOf"}
        return {**values[0], **rest}
    return schema


def _exact_integer_bounds(node: Any) -> None:
    if isinstance(node, list):
        for item in node:
            _exact_integer_bounds(item)
    elif isinstance(node, dict):
        if node.get("type") == "integer":
            for bound in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
                if isinstance(node.get(bound), float):
                    node[bound] = _declared_integer(node[bound])
        for value in node.values():
            _exact_integer_bounds(value)


def _declared_integer(bound: float) -> int:
    if bound == float(BIGINT_MAX):
        return BIGINT_MAX
    if not bound.is_integer() or abs(bound) > 2**53:
        # A float this large stands for several integers: no model declares one, so which is meant is unknown.
        raise ValueError(f"an integer bound the document cannot hold exactly: {bound}")
    return int(bound)
