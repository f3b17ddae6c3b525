import httpx
import pytest

from tests.factories import make_key, make_service, make_user


@pytest.fixture
def customer(db):
    return make_user("100")


@pytest.fixture
def service(db):
    return make_service()


@pytest.fixture
def api(live_server):
    """Call API v2 on a real HTTP server: ``api(key, action, encoding="form", **params)``."""

    url = f"{live_server.url}/api/v2"
    with httpx.Client(timeout=10) as client:

        def call(key, action, *, encoding="form", **params):
            data = {"key": key, "action": action, **params}
            if encoding == "form":
                response = client.post(url, data=data)
            elif encoding == "json":
                response = client.post(url, json=data)
            elif encoding == "query":
                response = client.get(url, params=data)
            else:
                raise ValueError(encoding)
            assert response.status_code == 200
            assert response.headers["content-type"] == "application/json"
            return response.json()

        yield call


@pytest.fixture
def api_customer(transactional_db):
    user = make_user("100")
    return user, make_key(user)
