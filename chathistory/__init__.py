"""Keep the conversations of an LLM chatbot: exact messages, tool calls, a REST API and the admin."""
