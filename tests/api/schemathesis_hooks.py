"""Schemathesis hooks for tests/api/test_schemathesis.py, loaded through SCHEMATHESIS_HOOKS in the run's process.

The test passes what they need in LENDGRES_SCHEMATHESIS: the path of the OpenAPI document it fetched, the actors the
run authenticates as and their keys, and an actor and a key that may stand in for them.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import jsonschema
import schemathesis

SETTINGS = json.loads(os.environ["LENDGRES_SCHEMATHESIS"])
DOCUMENT = json.loads(Path(SETTINGS["document"]).read_text())


@schemathesis.hook
def before_call(context: Any, case: Any, **kwargs: Any) -> None:
    """Generated calls may not deactivate or demote the run's own actors or revoke their keys (a link from
    list_actors or list_api_keys leads there soon enough): such a call is pointed at a stand-in instead."""
    parameters = case.path_parameters or {}
    if case.operation.path == "/actors/{name}" and str(parameters.get("name")) in SETTINGS["actors"]:
        parameters["name"] = SETTINGS["other_actor"]
    if case.operation.path == "/keys/{key_id}/revoke" and str(parameters.get("key_id")) in SETTINGS["keys"]:
        parameters["key_id"] = SETTINGS["other_key"]


@schemathesis.hook
def filter_failure(context: Any, failure: Any, case: Any, response: Any) -> bool:
    """Keeps every failure but "schema-violating request accepted" for a request whose only mutated part is its body
    when the document accepts that body: Schemathesis 4.32 sometimes claims a property is required that no schema of
    the operation requires (e.g. label, which POST /keys may leave out and only its answer always has)."""
    if failure.code != "ST201" or case.meta is None or case.body is None:
        return True
    negative = [
        getattr(location, "value", location)
        for location, info in case.meta.components.items()
        if getattr(info.mode, "value", info.mode) == "negative"
    ]
    if negative != ["body"]:
        return True
    schema = DOCUMENT["paths"][case.operation.path][case.method.lower()]["requestBody"]["content"]
    body_schema = schema.get("application/json", {}).get("schema")
    if body_schema is None:
        return True
    return not jsonschema.Draft202012Validator({**body_schema, "components": DOCUMENT["components"]}).is_valid(
        case.body
    )
