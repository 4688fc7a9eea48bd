"""Property: no request built from ``/openapi.json``, valid or not, gets a 5xx or an answer off its schema."""

from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.config import SchemathesisConfig
from schemathesis.specs.openapi.checks import negative_data_rejection, positive_data_acceptance

from guard.rules.loader import load_rules
from guard.server import Service, make_app

# Example and fuzzing phases, valid and invalid requests; the coverage phase alone is ~900 requests.
CONFIG = SchemathesisConfig.from_dict({
    "phases": {"coverage": {"enabled": False}, "stateful": {"enabled": False}},
    "generation": {"max-examples": 50},
})
schema = schemathesis.openapi.from_asgi("/openapi.json", make_app(Service(load_rules()), max_body=256 * 1024),
                                        config=CONFIG)


@schema.parametrize()
@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
def test_no_request_gets_a_server_error(case: schemathesis.Case) -> None:
    # Records are the library's to judge: a schema-invalid product is a problem in a 200 report, and a
    # schema-valid lint request can name a category the taxonomy does not know (400), so those two
    # checks do not apply; every other one does (no 5xx, status codes, content type, response schema).
    response = case.call_and_validate(excluded_checks=[negative_data_rejection, positive_data_acceptance])
    assert response.status_code < 500
