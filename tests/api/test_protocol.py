"""HTTP as a client expects it: the method a path takes, the media type a body must have, an error that names what
is wrong, and no redirect to a host the client made up."""

from __future__ import annotations

import pytest

from tests.api.support import assert_problem, count

pytestmark = pytest.mark.anyio


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE", "PATCH"])
async def test_a_post_only_path_is_405_not_an_id(http, method):
    """/loans/apply is not an application id, though it fits /loans/{application_id}."""
    response = await http.request(method, "/loans/apply")
    assert_problem(response, 405, "method_not_allowed")
    assert response.headers["allow"] == "POST"


async def test_a_real_id_still_reaches_its_route(http):
    assert_problem(await http.get("/loans/424242"), 404, "not_found")
    assert_problem(await http.get("/loans/apply2"), 422, "validation_failed")


@pytest.mark.parametrize(
    "content_type", ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", None]
)
async def test_a_body_that_is_not_json_is_415(http, postgresql, content_type):
    headers = {"Content-Type": content_type} if content_type else {}
    body = b'{"applicant_name": "Jane Doe", "amount": 100}'
    response = await http.post("/loans/apply", content=body, headers=headers)
    problem = assert_problem(response, 415, "unsupported_media_type")
    assert "application/json" in problem["detail"]
    assert count(postgresql, "select count(*) from lending_private.application") == 0


async def test_a_patch_that_is_not_json_is_415_naming_the_types_a_patch_takes(http, postgresql):
    application_id = (await http.post("/loans/apply", json={"applicant_name": "Jane Doe", "amount": 100})).json()[
        "application_id"
    ]
    response = await http.patch(
        f"/loans/{application_id}",
        content=b"purpose=Roof",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert_problem(response, 415, "unsupported_media_type")
    assert response.headers["accept-patch"] == "application/json, application/merge-patch+json"
    patched = await http.patch(
        f"/loans/{application_id}",
        content=b'{"purpose": "Roof"}',
        headers={"Content-Type": "application/merge-patch+json"},
    )
    assert patched.status_code == 200, patched.text
    assert patched.json()["purpose"] == "Roof"


@pytest.mark.parametrize("content_type", ["application/json", "application/json; charset=utf-8", "Application/JSON"])
async def test_json_in_any_spelling_is_taken(http, content_type):
    body = b'{"applicant_name": "Jane Doe", "amount": 100}'
    response = await http.post("/loans/apply", content=body, headers={"Content-Type": content_type})
    assert response.status_code == 201, response.text


async def test_a_body_that_is_not_valid_json_names_no_field(http):
    response = await http.post("/loans/apply", content=b"not json", headers={"Content-Type": "application/json"})
    problem = assert_problem(response, 422, "validation_failed")
    [error] = problem["errors"]
    assert (error["location"], error["field"]) == ("body", "")
    assert error["message"].startswith("The body is not valid JSON") and "character 0" in error["message"]


async def test_a_trailing_slash_is_not_redirected_to_a_forged_host(http):
    response = await http.get("/loans/", headers={"Host": "evil.example"})
    assert_problem(response, 404, "not_found")
    assert "location" not in response.headers


async def test_every_operation_that_takes_a_body_documents_its_refusals(app):
    with_body = [
        (path, method, operation)
        for path, methods in app.openapi()["paths"].items()
        for method, operation in methods.items()
        if "requestBody" in operation
    ]
    assert len(with_body) >= 5
    for path, method, operation in with_body:
        for status in ("408", "413", "415"):
            assert "application/problem+json" in operation["responses"][status]["content"], (method, path, status)
