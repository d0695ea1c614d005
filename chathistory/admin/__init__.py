"""The operators' face: conversations as transcripts, messages as a searchable, read-only list."""

from chathistory.admin.conversations import ConversationAdmin
from chathistory.admin.messages import MessageAdmin

__all__ = ["ConversationAdmin", "MessageAdmin"]
