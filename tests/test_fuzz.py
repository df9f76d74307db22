"""Property-based fuzz of the whole API, driven by its own OpenAPI document (schemathesis).

Every operation in `/api/openapi.json` is called with generated requests, valid and invalid,
as a logged-in archer (bearer token), in-process through ASGI; then sequences of calls that
follow links (create, read, change, delete) check real objects, not only 404s. A test fails
when an answer is a 5xx, has a status code the operation does not document, a content type
or body that does not match the documented schema, when invalid input is accepted, or when
a protected operation answers without credentials. New routes are covered once mounted.

Reading a failure: the test id names the operation (`[POST /api/v0/...]`); the report gives
the check that failed (e.g. "ST103 Undocumented status code"), the response, and a `curl`
line that replays the request (host `testserver`: point it at a served instance, with a real
token). An exception in the app (a 500) surfaces as its own traceback. One operation alone:
`pytest tests/test_fuzz.py -k "POST and shot"`; harder: FUZZ_MAX_EXAMPLES=200.
"""

from __future__ import annotations

import copy
import os
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import schemathesis
from _pytest.nodeid import NodeId
from fastapi import FastAPI
from hypothesis import HealthCheck, settings
from schemathesis import Case
from schemathesis.python import asgi
from starlette.types import Receive, Scope, Send

from arch_stats.app import create_app
from arch_stats.core.settings import Settings
from tests.conftest import ArcherCtx
from tests.fuzz.db import SyncDb, sync_db
from tests.fuzz.links import add_links

SEED = 20261122
MAX_EXAMPLES = int(os.environ.get("FUZZ_MAX_EXAMPLES", "30"))  # per operation
STATEFUL_EXAMPLES = int(os.environ.get("FUZZ_STATEFUL_EXAMPLES", "30"))  # call sequences
STATEFUL_STEPS = 10  # calls per sequence, at most
# The checks that fail the test; see schemathesis' docs for each one.
CHECKS = (
    "not_a_server_error",  # no 5xx
    "status_code_conformance",  # the status code is documented for the operation
    "content_type_conformance",  # the content type is the documented one
    "response_schema_conformance",  # the body matches the documented schema
    "response_headers_conformance",  # documented headers match their schema
    "negative_data_rejection",  # schema-invalid input is refused with a 4xx
    "ignored_auth",  # a protected operation refuses missing or wrong credentials
    "unsupported_method",  # an undocumented method answers 405
    # In call sequences (test_api_workflows_match_openapi):
    "use_after_free",  # what was deleted answers 404
    "ensure_resource_availability",  # what was created can be read
)
# Operations after which the caller's login token no longer works: each call gets a new one.
REVOKES_LOGIN = {("POST", "/api/v0/auth/logout"), ("POST", "/api/v0/auth/logout/everywhere")}
# Security schemes that take a device token (scope `sensor`) instead of a login token.
DEVICE_SCHEMES = {"device"}
# Answers that can come before authentication: 401 itself, a method or a body refused as such.
BEFORE_AUTH = {401, 405, 415, 422}


def fuzz_config() -> schemathesis.Config:
    return schemathesis.Config.from_dict(
        {
            "seed": SEED,
            "generation": {
                "mode": "all",  # valid and invalid requests
                "max-examples": MAX_EXAMPLES,
                "deterministic": True,
                "database": "none",
            },
            "checks": {"enabled": False, **{name: {"enabled": True} for name in CHECKS}},
        }
    )


class LateApp:
    """An ASGI app known at collection time that forwards to the real one, which needs the
    database that the fixtures start (see `fuzz_app`)."""

    def __init__(self) -> None:
        self.app: FastAPI | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        assert self.app is not None, "the fuzz_app fixture sets the app"
        await self.app(scope, receive, send)


LATE_APP = LateApp()


@pytest.fixture(scope="session")
def fuzz_app(settings: Settings) -> Iterator[FastAPI]:
    """An app of its own: schemathesis runs it (and starts its lifespan, so its pool) on its
    own event-loop thread, apart from the suite's loop."""
    LATE_APP.app = create_app(settings, access_log=False)
    yield LATE_APP.app
    asgi.shutdown_lifespans()
    LATE_APP.app = None


@pytest.fixture(autouse=True)
def _operation_in_node_id(request: pytest.FixtureRequest) -> None:
    """With pytest 9.2, schemathesis 4.32's per-operation tests all get the same node id (the
    operation is only in their name): put it back, so that summaries and `--lf` name it."""
    node = request.node
    label = getattr(node, "operation_label", None)
    node_id = getattr(node, "_id", None)
    if label and isinstance(node_id, NodeId) and node_id.params is None:
        node._id = node_id.with_params(label)


@pytest.fixture
def fuzz_db(migrated: str, client: httpx.AsyncClient) -> Iterator[SyncDb]:
    """Archers and tokens made from synchronous test code; `client` empties the tables after."""
    with sync_db(migrated) as db:
        yield db


@pytest.fixture
def fuzz_archer(fuzz_db: SyncDb) -> ArcherCtx:
    return fuzz_db.new_archer()


@pytest.fixture
def statuses() -> Iterator[list[int]]:
    """Status codes answered to one operation's examples. If some were 401 and none got past
    authentication, the credentials sent do not suit the operation: the fuzz saw only 401s
    (and the answers that can come before authentication)."""
    seen: list[int] = []
    yield seen
    if 401 in seen and set(seen) <= BEFORE_AUTH:
        pytest.fail(
            f"no example got past authentication (answers: {sorted(set(seen))}): "
            "see auth_headers() for the token this operation needs"
        )


def load_schema() -> schemathesis.BaseSchema:
    """The OpenAPI document needs no database: read it at collection time, so that every
    operation is a test of its own (`test_api_matches_its_openapi[GET /api/v0/...]`)."""
    app = create_app(Settings(database_url="postgresql://openapi-only.invalid/none"))
    openapi = copy.deepcopy(app.openapi())
    add_links(openapi)
    loaded = schemathesis.openapi.from_dict(openapi, config=fuzz_config())
    loaded.app = LATE_APP
    return loaded


schema = load_schema()


def auth_headers(case: Case[Any], archer: ArcherCtx, db: SyncDb) -> dict[str, str]:
    """The archer's bearer token; a new one where the call revokes it, and a device token
    (scope `sensor`) for operations secured by the `device` scheme (the readers')."""
    security = case.operation.definition.raw.get("security") or []
    schemes = {name for requirement in security for name in requirement}
    if schemes and schemes <= DEVICE_SCHEMES:
        token = db.new_token(archer.id, scope="sensor")
    elif (case.method.upper(), case.path) in REVOKES_LOGIN:
        token = db.new_token(archer.id)
    else:
        token = archer.token
    return {"Authorization": f"Bearer {token}"}


@schema.parametrize()
# The fixtures hold no per-example state: one archer serves every example of an operation.
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_api_matches_its_openapi(
    case: Case[Any],
    fuzz_app: FastAPI,
    fuzz_db: SyncDb,
    fuzz_archer: ArcherCtx,
    statuses: list[int],
) -> None:
    response = case.call_and_validate(headers=auth_headers(case, fuzz_archer, fuzz_db))
    statuses.append(response.status_code)


def test_api_workflows_match_openapi(fuzz_app: FastAPI, fuzz_db: SyncDb) -> None:
    """Sequences of calls that follow the links (create, then read, change, delete), so that
    real objects, not only 404s, are checked against the documented schema."""

    class Workflow(schema.as_state_machine()):  # type: ignore[misc]
        def setup(self) -> None:
            # A new archer for each sequence, so that every sequence starts from the same
            # state (no open session, no arrows): Hypothesis replays them to shrink.
            self.archer = fuzz_db.new_archer()

        def get_call_kwargs(self, case: Case[Any]) -> dict[str, Any]:
            return {"headers": auth_headers(case, self.archer, fuzz_db)}

    Workflow.run(
        settings=settings(
            max_examples=STATEFUL_EXAMPLES,
            stateful_step_count=STATEFUL_STEPS,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
    )
