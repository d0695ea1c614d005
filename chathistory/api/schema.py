"""The error shapes of the contract, for the OpenAPI schema: every 4xx the routes answer."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiResponse

DETAIL: dict[str, Any] = {
    "type": "object",
    "properties": {"detail": {"type": "string"}},
    "required": ["detail"],
}
FIELD_ERRORS: dict[str, Any] = {
    "type": "object",
    "description": "The messages for each offending field (or parameter).",
    "additionalProperties": {"type": "array", "items": {"type": "string"}},
}
BATCH_ERRORS: dict[str, Any] = {
    "type": "array",
    "description": "One object per message of the batch, in order; {} for the messages that were fine.",
    "items": FIELD_ERRORS,
}


def _response(description: str, *shapes: dict[str, Any]) -> OpenApiResponse:
    schema = shapes[0] if len(shapes) == 1 else {"oneOf": list(shapes)}
    return OpenApiResponse(response=schema, description=description)


BAD_REQUEST = _response(
    "Invalid input: {field: [messages]}, or {detail} for a body that is not JSON.", FIELD_ERRORS, DETAIL
)
BAD_BATCH = _response(
    "Invalid input: {field: [messages]} for one message, a list of those for a batch, "
    "or {detail} for a body that is not JSON.",
    FIELD_ERRORS,
    BATCH_ERRORS,
    DETAIL,
)
BAD_QUERY = _response("A documented query parameter has an invalid value, named here.", FIELD_ERRORS)
UNAUTHORIZED = _response("No credentials, or a bad token.", DETAIL)
NOT_FOUND = _response("No such conversation (or message) of yours.", DETAIL)
INVALID_CURSOR = _response("The cursor is not one this API handed out.", DETAIL)
CONFLICT = _response("The id is taken by a conversation that is not yours.", DETAIL)
TOO_LARGE = _response("The body is larger than DATA_UPLOAD_MAX_MEMORY_SIZE.", DETAIL)
UNSUPPORTED = _response("The body is not sent as application/json.", DETAIL)
KEY_REUSED = _response("The Idempotency-Key was used before with a different body.", DETAIL)
THROTTLED = _response("Too many requests; the Retry-After header says when to try again.", DETAIL)

_ALWAYS = {401: UNAUTHORIZED, 429: THROTTLED}


def errors(
    *codes: int, bad_request: OpenApiResponse = BAD_REQUEST, not_found: OpenApiResponse = NOT_FOUND
) -> dict[int, OpenApiResponse]:
    """The error responses of a route: 401 and 429 always, plus those of ``codes``."""
    known = {
        400: bad_request,
        404: not_found,
        409: CONFLICT,
        413: TOO_LARGE,
        415: UNSUPPORTED,
        422: KEY_REUSED,
    }
    return {**_ALWAYS, **{code: known[code] for code in codes}}
