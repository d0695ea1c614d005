"""The JSON keys the contract gives each resource, in its order: written out from the contract, never from the code."""

MESSAGE_JSON_KEYS = (
    "id",
    "seq",
    "role",
    "content",
    "name",
    "refusal",
    "tool_calls",
    "tool_call_id",
    "metadata",
    "created_at",
)
CONVERSATION_JSON_KEYS = ("id", "title", "metadata", "archived", "message_count", "created_at", "updated_at")
