"""The errors that the service layer raises; the API turns them into 400 and 409 responses."""

from __future__ import annotations

FieldErrors = dict[str, list[str]]


class ChatHistoryError(Exception):
    """Base class of every error that chathistory raises on purpose."""


class ValidationError(ChatHistoryError):
    """Input that breaks a rule of the contract; nothing was stored.

    ``errors`` maps each offending field to its messages: ``{"content": ["..."]}``.
    For a batch (``add_messages``) it is a list with one such dict per item, ``{}``
    for the items that were fine, so a client can point at the item to fix.
    """

    def __init__(self, errors: FieldErrors | list[FieldErrors]) -> None:
        self.errors = errors
        super().__init__(errors)

    @property
    def fields(self) -> list[str]:
        """The offending field names, for logs (never their values)."""
        items = self.errors if isinstance(self.errors, list) else [self.errors]
        return sorted({field for item in items for field in item})


class ConversationIdTaken(ChatHistoryError):
    """The conversation id asked for belongs to another user. Says nothing more about it."""

    def __init__(self) -> None:
        super().__init__("This conversation id is already taken.")


class IdempotencyKeyReused(ChatHistoryError):
    """An ``Idempotency-Key`` already used on this conversation came with a different request body."""

    def __init__(self) -> None:
        super().__init__(
            "This Idempotency-Key was already used on this conversation with a different request body. "
            "Send the original body to replay it, or use a new key."
        )
