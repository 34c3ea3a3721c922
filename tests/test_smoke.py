from fastapi.testclient import TestClient


def test_latvia_crossings_have_provenance(client: TestClient) -> None:
    body = client.get("/crossings?country=LV").json()
    assert {c["name"] for c in body["data"]} == {"Grebņeva", "Pededze", "Terehova", "Vientuļi"}
    assert all(c["provenance"] for c in body["data"])
