"""The OpenAPI document: version 3.1, an example for every operation, and /docs a plain page that
loads nothing from elsewhere."""

from __future__ import annotations

from api_server import Server


def test_the_document_is_openapi_3_1_with_an_example_per_operation(sqlite_server: Server) -> None:
    document = sqlite_server.get("/openapi.json").json()
    assert document["openapi"].startswith("3.1")
    operations = [(path, op) for path, ops in document["paths"].items() for op in ops.values()]
    assert len(operations) >= 32
    for path, op in operations:
        success = op["responses"].get("200") or op["responses"].get("201") or op["responses"]["202"]
        assert success["content"]["application/json"].get("example"), path
        assert "401" in op["responses"] and "404" in op["responses"], path
        for content in op.get("requestBody", {}).get("content", {}).values():
            assert content.get("example"), path
    assert "HTTPBearer" in document["components"]["securitySchemes"]


def test_docs_is_a_page_with_no_script(sqlite_server: Server) -> None:
    page = sqlite_server.get("/docs")
    assert page.status_code == 200
    assert "/accounts/{account_id}/explain" in page.text
    assert "<script" not in page.text.lower()
    assert "https://" not in page.text and "http://" not in page.text
