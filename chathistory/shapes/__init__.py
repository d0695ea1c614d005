"""Stored messages in the shapes that model APIs take, and model answers back into stored messages.

Pure functions over plain data: no database, no HTTP, and no provider SDK (the SDKs' own types
check these shapes in the tests only). Each ``to_*`` function takes message-like objects
(``Message`` rows, or mappings with the same keys: ``seq``, ``role``, ``content``, ``name``,
``refusal``, ``tool_calls``, ``tool_call_id``) and returns JSON-ready dicts with no ``seq``,
database ids or metadata:

- ``to_openai_messages``: OpenAI Chat Completions ``messages`` (``chathistory.shapes.openai``);
- ``to_responses_input``: OpenAI Responses ``input`` items (``chathistory.shapes.responses``);
- ``to_anthropic_messages``: Anthropic Messages ``{"system", "messages"}``, and
  ``from_anthropic_messages`` the other way (``chathistory.shapes.anthropic``);
- ``message_from_model_response``: an SDK's answer (OpenAI ``ChatCompletion`` or
  ``ChatCompletionMessage``, Anthropic ``Message``) as a message to store
  (``chathistory.shapes.model_response``).

Which messages make up a history window (``last=N``, orphan tool results, earlier instructions)
is decided by the caller; these functions shape whatever they are given, in order.
"""

from __future__ import annotations

from chathistory.shapes.anthropic import from_anthropic_messages, to_anthropic_messages
from chathistory.shapes.model_response import message_from_model_response
from chathistory.shapes.openai import to_openai_messages
from chathistory.shapes.responses import to_responses_input

__all__ = [
    "from_anthropic_messages",
    "message_from_model_response",
    "to_anthropic_messages",
    "to_openai_messages",
    "to_responses_input",
]
