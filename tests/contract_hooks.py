"""Schemathesis hooks for the contract run (tests/test_contract.py), loaded by the `st` CLI
through SCHEMATHESIS_HOOKS.

`positive_data_acceptance` is run as it is, except for the few refusals of a schema-valid
request that no JSON schema can foresee, each matched by the parameter it names and the
reason it gives (docs/decisions.md, "The contract"):

- a date after today (`as_of`, a change's `effective`): the bound moves every day;
- `from` after `to`, or a crossing's country and neighbour that make no stored border:
  relations between parameters;
- a citation's quote that isn't in its article once, or an article with no sentence of
  text: they depend on the articles' text;
- a change that leaves the old notes or summary standing, keeps text without a status
  change, or is dated before the record's history: they depend on the record as stored;
- an Idempotency-Key sent before with another request: it depends on what was sent.

Every other refusal of a schema-valid request is a failure. A second check holds every
answer to the security headers, and every error to showing no traceback, path or SQL.
"""

import json
import re
from typing import Any

import schemathesis
from schemathesis.core.failures import Failure
from schemathesis.openapi.checks import RejectedPositiveData
from schemathesis.specs.openapi.checks import positive_data_acceptance

# (parameter, reason) of the refusals a schema can't foresee.
UNFORESEEABLE = [
    # The calendar: the bound moves every day.
    (re.compile(r"as_of"), re.compile(r"is after today")),
    (re.compile(r"effective"), re.compile(r"is in the future")),
    # Relations between parameters.
    (re.compile(r"from"), re.compile(r"is after `to`")),
    (re.compile(r"neighbour"), re.compile(r"^no border \w+-\w+ is stored$")),
    # The articles' text.
    (re.compile(r"citations\.\d+\.(text|file)"), re.compile(r".")),
    (re.compile(r"text"), re.compile(r"^no sentence of article text found$")),
    # The record as stored: its status, its text, its dated history.
    (re.compile(r"notes|summary"), re.compile(r"^still says ")),
    (re.compile(r"keep"), re.compile(r"^only a status change takes it$|^a \w+ has no ")),
    (re.compile(r"effective"), re.compile(r"is before the latest dated change|^only a dated")),
    (re.compile(r"event_kind|event_summary"), re.compile(r"^only a dated change takes it")),
    # A key sent before with another request (draft-ietf-httpapi-idempotency-key-header: 422).
    (re.compile(r"Idempotency-Key"), re.compile(r"^reused$")),
]

LEAK = re.compile(
    r"Traceback|File \"|\.py\b|/usr/|site-packages|sqlalchemy|sqlite3|psycopg|"
    r"\bSELECT\b|\bINSERT\b|\bUPDATE\b|\bDELETE FROM\b|\bWHERE\b",
)
SECURITY_HEADERS = ("x-content-type-options", "content-security-policy", "referrer-policy")


def unforeseeable(response: Any) -> bool:
    """Whether a 422 names only refusals of `UNFORESEEABLE`."""
    if response.status_code != 422:
        return False
    try:
        errors = json.loads(response.content).get("errors") or []
    except ValueError:
        return False
    return bool(errors) and all(
        any(
            name.fullmatch(str(error.get("parameter", ""))) and why.search(error["message"])
            for name, why in UNFORESEEABLE
        )
        for error in errors
    )


@schemathesis.check
def schema_valid_requests_are_accepted(ctx: Any, response: Any, case: Any) -> bool | None:
    """`positive_data_acceptance`, but for the refusals of `UNFORESEEABLE`, and for a case
    of which a part was made invalid on purpose (the coverage phase marks such a case, a body
    of `0`, say, positive as a whole)."""
    meta = case.meta
    if meta is not None and any(part.mode.is_negative for part in meta.components.values()):
        return None
    try:
        return positive_data_acceptance(ctx, response, case)
    except RejectedPositiveData:
        if unforeseeable(response):
            return True
        raise


@schemathesis.check
def answers_are_safe(ctx: Any, response: Any, case: Any) -> bool | None:
    """Security headers on every answer; no error body shows a traceback, a path or SQL."""
    missing = [h for h in SECURITY_HEADERS if h not in response.headers]
    leak = LEAK.search(response.content.decode("utf-8", "replace"))
    if missing or (response.status_code >= 400 and leak):
        raise Failure(
            operation=case.operation.label,
            title="Unsafe answer",
            message=f"missing headers {missing}; leaks {leak.group(0) if leak else None!r}",
        )
    return True
