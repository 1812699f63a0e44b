"""Checks that the API contract run (tests/api_contract.rs) adds to schemathesis's own.

Loaded with SCHEMATHESIS_HOOKS=schemathesis_hooks (this folder on PYTHONPATH).
"""

import os

import schemathesis

# Words that only another workspace's mentions, authors and watches hold (comma-separated).
FOREIGN = [m for m in os.environ.get("VEILLE_FOREIGN_MARKERS", "").split(",") if m]


@schemathesis.check
def no_other_workspace_data(ctx, response, case):
    """A key never reads another workspace's data, whatever it asks for."""
    request = response.request
    sent = f"{request.url} {request.body or ''}"
    body = response.content.decode("utf-8", "replace")
    for marker in FOREIGN:
        # A marker the request itself carried may be echoed back (a refused query, say).
        if marker in body and marker not in sent:
            raise AssertionError(
                f"the response holds `{marker}`, which only a workspace this key does not reach holds"
            )
