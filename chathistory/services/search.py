"""Full-text search over a user's messages, on each database's own full-text engine.

PostgreSQL matches ``to_tsvector(<SEARCH_CONFIG>, chathistory_message_text(content))`` (a GIN
expression index) against a ``tsquery`` built with ``plainto_tsquery``/``phraseto_tsquery`` and
ranks with ``ts_rank``; SQLite matches the FTS5 table ``chathistory_message_fts`` (kept in step
by triggers) and ranks with ``bm25()``. Both are created by migration 0006, which documents
the *searchable text* of a message; ``searchable_text`` below is the same rule in Python.

The query a user types is never handed to an engine's syntax: it is split into words and
``"quoted phrases"``, each keeping only text that any tokenizer could read, and the engine's
query is built from those pieces as bound parameters. The user (and the conversation and roles
asked for) is part of the WHERE clause that the ranking runs over, so another user's messages
are never candidates, however well they would rank. Pages are signed positions: on PostgreSQL
the last row's key, on SQLite an offset into the caller's own ranked matches, because
``bm25()`` depends on every user's rows and a cursor must not carry it.
"""

from __future__ import annotations

import json
import re
import unicodedata
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypedDict, overload

from django.core import signing
from django.core.exceptions import ImproperlyConfigured
from django.db import connections, router, transaction
from django.db.models import QuerySet
from django.db.models.expressions import RawSQL

from chathistory.conf import app_settings
from chathistory.models import Conversation, Message
from chathistory.services.base import reject, write_alias
from chathistory.validation import ROLES, parse_instant

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser

DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100
MAX_QUERY_LENGTH = 1000
SNIPPET_LENGTH = 200

TEXT_FUNCTION = "chathistory_message_text"
PG_INDEX = "chathistory_msg_search"
FTS_TABLE = "chathistory_message_fts"

# Control characters (U+0000 among them) and lone surrogates cannot reach a database as query
# text; they separate words instead. Quotes delimit phrases.
_SEPARATORS = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
_PHRASE = re.compile(r'"([^"]*)"')
_WORD_PART = re.compile(r"[^\W_]+")
# Punctuation at either end of a term is an operator or a mark, never part of a word.
_EDGE_PUNCTUATION = re.compile(r"^[\W_]+|[\W_]+$")
_CONFIG_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_$]*(\.[A-Za-z_][A-Za-z0-9_$]*)?")
_CURSOR_SALT = "chathistory.search.cursor"
_MAX_CURSOR_LENGTH = 500
_MAX_ID = 2**63 - 1
# Of a snippet's characters, how many come before the first match.
_CONTEXT_BEFORE = 60
# How far into a long text the snippet looks for an accent-insensitive match.
_FOLD_LIMIT = 50_000


class SearchHit(TypedDict):
    conversation_id: uuid.UUID
    conversation_title: str
    seq: int
    role: str
    snippet: str
    created_at: datetime


class InvalidCursor(ValueError):
    """A page cursor that this module did not hand out."""


@dataclass(frozen=True)
class SearchPage:
    results: list[SearchHit]
    #: Opaque tokens for ``SearchResults.page(cursor=...)``; None at either end.
    next_cursor: str | None
    previous_cursor: str | None


@dataclass(frozen=True)
class SearchTerms:
    """What a query asks for: every word and every phrase (a list of words, in order) must match."""

    words: tuple[str, ...]
    phrases: tuple[tuple[str, ...], ...]

    def __bool__(self) -> bool:
        return bool(self.words or self.phrases)


def parse_query(query: str) -> SearchTerms:
    """Split a query into words and ``"quoted phrases"``, keeping no syntax of any engine.

    A word is a run of non-blank characters less any punctuation at its ends (``-x``, ``x*``,
    ``(x`` and ``~x`` are the word ``x``); a run of punctuation alone is no word. Punctuation
    inside a word (``INV-2041``, ``ana@example.com``) is left to the engine's tokenizer, which
    reads it as it read the stored text. An unmatched quote is ignored.
    """
    text = _SEPARATORS.sub(" ", query)
    phrases: list[tuple[str, ...]] = []
    words: list[str] = []
    for phrase_text in _PHRASE.findall(text):
        phrase = _terms(phrase_text)
        if len(phrase) > 1:
            phrases.append(phrase)
        else:
            words.extend(phrase)
    words.extend(_terms(_PHRASE.sub(" ", text).replace('"', " ")))
    return SearchTerms(words=tuple(dict.fromkeys(words)), phrases=tuple(dict.fromkeys(phrases)))


def _terms(text: str) -> tuple[str, ...]:
    terms = (_EDGE_PUNCTUATION.sub("", term) for term in text.split())
    return tuple(term for term in terms if term)


def searchable_text(content: str | list[Any] | None) -> str:
    """The text of a message that search indexes, from its content as ``Message.content`` reads it.

    A list of content parts is the text of its ``text`` parts, joined by newlines; a string is
    itself; null is empty. The stored text starts with ``[`` for a list and only for a list
    (``chathistory.fields``), which is how the index's SQL rule (migration 0006) tells them
    apart; a string stored with the escape character in front is indexed with it, which both
    engines read as a word break. Raw text, as a query reads it, goes through
    ``fields.decode_content`` first.
    """
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if not _are_parts(content):
        # Only a raw SQL write stores such a list; the index reads its JSON as text.
        return json.dumps(content, ensure_ascii=False)
    return "\n".join(part["text"] for part in content if part["type"] == "text" and isinstance(part.get("text"), str))


def _are_parts(content: list[Any]) -> bool:
    return bool(content) and all(isinstance(part, dict) and isinstance(part.get("type"), str) for part in content)


def search_messages(
    user: AbstractBaseUser,
    query: str,
    *,
    conversation: Conversation | uuid.UUID | str | None = None,
    role: str | Iterable[str] | None = None,
) -> SearchResults:
    """The user's messages that match ``query``, best match first, then newest first.

    Lazy: iterating reads every match; ``.page(size=, cursor=)`` reads one page (one query).
    ``conversation`` and ``role`` (one role or several) narrow the search; another user's
    conversation gives no results. A blank query raises ``ValidationError`` naming ``query``.
    """
    errors: dict[str, list[str]] = {}
    if not isinstance(query, str) or not query.strip():
        errors["query"] = ["Type at least one word to search for."]
    elif len(query) > MAX_QUERY_LENGTH:
        errors["query"] = [f"Ensure this has at most {MAX_QUERY_LENGTH} characters (it has {len(query)})."]
    conversation_id = None
    if isinstance(conversation, Conversation):
        conversation_id = conversation.pk
    elif conversation is not None:
        try:
            conversation_id = uuid.UUID(str(conversation))
        except ValueError:
            errors["conversation"] = ["Must be a valid UUID."]
    roles = (role,) if isinstance(role, str) else tuple(role or ())
    unknown = [name for name in roles if name not in ROLES]
    if unknown:
        errors["role"] = [f"Must be one of {', '.join(ROLES)}."]
    if errors:
        raise reject(errors, "search")
    return SearchResults(
        _Search(
            user_id=getattr(user, "pk", None),
            terms=parse_query(query),
            conversation_id=conversation_id,
            roles=tuple(sorted(set(roles))),
        )
    )


@dataclass(frozen=True)
class _Search:
    user_id: Any
    terms: SearchTerms
    conversation_id: uuid.UUID | None
    roles: tuple[str, ...]


class SearchResults:
    """The matches of one search; evaluated when iterated (all of them) or one page at a time."""

    def __init__(self, search: _Search) -> None:
        self._search = search
        self._cache: list[SearchHit] | None = None

    def page(self, *, size: int = DEFAULT_PAGE_SIZE, cursor: str | None = None) -> SearchPage:
        """``size`` matches (at most ``MAX_PAGE_SIZE``) after ``cursor``, with the cursors next to them."""
        size = max(1, min(size, MAX_PAGE_SIZE))
        alias = router.db_for_read(Message)
        if connections[alias].vendor == "sqlite":
            return self._page_by_offset(alias, size, cursor)
        return self._page_by_key(alias, size, cursor)

    def _page_by_key(self, alias: str, size: int, cursor: str | None) -> SearchPage:
        position, forward = (None, True) if cursor is None else _decode_key_cursor(cursor)
        rows = _fetch(self._search, alias, position=position, forward=forward, limit=size + 1)
        more = len(rows) > size
        rows = rows[:size]
        if not forward:
            rows.reverse()
        first, last = (_position(rows[0]), _position(rows[-1])) if rows else (position, position)
        if forward:
            next_cursor = _encode_key_cursor(last, forward=True) if more else None
            previous_cursor = _encode_key_cursor(first, forward=False) if position is not None else None
        else:
            next_cursor = _encode_key_cursor(last, forward=True)
            previous_cursor = _encode_key_cursor(first, forward=False) if more else None
        return SearchPage([_hit(row, self._search.terms) for row in rows], next_cursor, previous_cursor)

    def _page_by_offset(self, alias: str, size: int, cursor: str | None) -> SearchPage:
        # A forward cursor holds where its page starts, a backward one where its page ends.
        offset, forward = (0, True) if cursor is None else _decode_offset_cursor(cursor)
        if forward:
            start = offset
            rows = _fetch(self._search, alias, position=None, forward=True, limit=size + 1, offset=start)
            next_cursor = _encode_offset_cursor(start + size, forward=True) if len(rows) > size else None
            rows = rows[:size]
        else:
            start = max(0, offset - size)
            rows = _fetch(self._search, alias, position=None, forward=True, limit=offset - start, offset=start)
            next_cursor = _encode_offset_cursor(offset, forward=True)
        previous_cursor = _encode_offset_cursor(start, forward=False) if start > 0 else None
        return SearchPage([_hit(row, self._search.terms) for row in rows], next_cursor, previous_cursor)

    def explain(self) -> str:
        """The database's plan for the first page, as ``QuerySet.explain()`` gives it."""
        if self._search.user_id is None or not self._search.terms:
            return ""
        alias = router.db_for_read(Message)
        connection = connections[alias]
        sql, params = _sql(self._search, connection, position=None, forward=True, limit=DEFAULT_PAGE_SIZE + 1)
        prefix = "EXPLAIN QUERY PLAN" if connection.vendor == "sqlite" else "EXPLAIN"
        with connection.cursor() as cursor:
            cursor.execute(f"{prefix} {sql}", params)
            return "\n".join(str(row[-1] if connection.vendor == "sqlite" else row[0]) for row in cursor.fetchall())

    def _all(self) -> list[SearchHit]:
        if self._cache is None:
            rows = _fetch(self._search, router.db_for_read(Message), position=None, forward=True, limit=None)
            self._cache = [_hit(row, self._search.terms) for row in rows]
        return self._cache

    def __iter__(self) -> Iterator[SearchHit]:
        return iter(self._all())

    def __len__(self) -> int:
        return len(self._all())

    def __bool__(self) -> bool:
        return bool(self._all())

    def __eq__(self, other: object) -> bool:
        # Equal to the list of its results, as a sequence would be.
        if isinstance(other, (list, tuple)):
            return self._all() == list(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    @overload
    def __getitem__(self, index: int) -> SearchHit: ...
    @overload
    def __getitem__(self, index: slice) -> list[SearchHit]: ...
    def __getitem__(self, index: int | slice) -> SearchHit | list[SearchHit]:
        return self._all()[index]


# The position of a row in the order: (score, created_at, id), higher score first, then newest.
_Position = tuple[float, datetime, int]


def _position(row: Message) -> _Position:
    return (row.score, row.created_at, row.pk)  # type: ignore[attr-defined]


def _sign(payload: dict[str, Any]) -> str:
    return signing.Signer(salt=_CURSOR_SALT).sign_object(payload)


def _unsign(cursor: str, keys: set[str]) -> dict[str, Any]:
    if not isinstance(cursor, str) or not cursor.isascii() or len(cursor) > _MAX_CURSOR_LENGTH:
        raise InvalidCursor(cursor)
    try:
        payload = signing.Signer(salt=_CURSOR_SALT).unsign_object(cursor)
    except (signing.BadSignature, ValueError):
        raise InvalidCursor(cursor) from None
    # Signed by us, so well formed; checked anyway, so a leaked or old key (or a cursor of
    # the other database's kind) cannot make a 500.
    if not isinstance(payload, dict) or set(payload) != keys or payload["d"] not in ("n", "p"):
        raise InvalidCursor(cursor)
    return payload


def _whole(value: Any, *, least: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and least <= value <= _MAX_ID


def _encode_key_cursor(position: _Position | None, *, forward: bool) -> str | None:
    """PostgreSQL's cursor: the last row's place in the order (``ts_rank`` reads that row alone)."""
    if position is None:
        return None
    score, created_at, pk = position
    return _sign({"s": score, "t": created_at.isoformat(), "i": pk, "d": "n" if forward else "p"})


def _decode_key_cursor(cursor: str) -> tuple[_Position, bool]:
    payload = _unsign(cursor, {"s", "t", "i", "d"})
    score, moment, pk = payload["s"], payload["t"], payload["i"]
    created_at = parse_instant(moment) if isinstance(moment, str) else None
    if (
        not isinstance(score, float)
        or score != score
        or abs(score) == float("inf")
        or created_at is None
        or created_at.tzinfo is None
        or not _whole(pk, least=1)
    ):
        raise InvalidCursor(cursor)
    return (score, created_at, pk), payload["d"] == "n"


def _encode_offset_cursor(offset: int, *, forward: bool) -> str:
    """SQLite's cursor: a place in the caller's own ranked matches, and no score.

    FTS5's ``bm25()`` weighs a row by statistics of the whole table, other users' rows
    included: a cursor carrying it would let a caller measure how often words occur in chats
    that are not theirs, and would move whenever anyone writes.
    """
    return _sign({"o": offset, "d": "n" if forward else "p"})


def _decode_offset_cursor(cursor: str) -> tuple[int, bool]:
    payload = _unsign(cursor, {"o", "d"})
    if not _whole(payload["o"], least=0):
        raise InvalidCursor(cursor)
    return payload["o"], payload["d"] == "n"


def search_config() -> str:
    """``SEARCH_CONFIG`` as the SQL constant that the index and every query share."""
    name = app_settings.SEARCH_CONFIG
    if not isinstance(name, str) or not _CONFIG_NAME.fullmatch(name):
        raise ImproperlyConfigured(
            'CHATHISTORY["SEARCH_CONFIG"] must name a text search configuration, such as "simple" or "english".'
        )
    return f"'{name}'::regconfig"


def _pg_vector(column: str) -> str:
    return f"to_tsvector({search_config()}, {TEXT_FUNCTION}({column}))"


def _pg_tsquery(terms: SearchTerms) -> tuple[str, list[str]]:
    config = search_config()
    pieces, params = [], []
    if terms.words:
        pieces.append(f"plainto_tsquery({config}, %s)")
        params.append(" ".join(terms.words))
    for phrase in terms.phrases:
        pieces.append(f"phraseto_tsquery({config}, %s)")
        params.append(" ".join(phrase))
    return "(" + " && ".join(pieces) + ")", params


def _fts_match(terms: SearchTerms) -> str:
    """An FTS5 query of strings only: each word and each phrase quoted, so nothing in them is syntax."""
    strings = [*terms.words, *(" ".join(phrase) for phrase in terms.phrases)]
    return " ".join('"' + string.replace('"', '""') + '"' for string in strings)


def _fetch(
    search: _Search, alias: str, *, position: _Position | None, forward: bool, limit: int | None, offset: int = 0
) -> list[Message]:
    if search.user_id is None or not search.terms:
        return []
    sql, params = _sql(search, connections[alias], position=position, forward=forward, limit=limit, offset=offset)
    return list(Message.objects.db_manager(alias).raw(sql, params))


def _sql(
    search: _Search,
    connection: Any,
    *,
    position: _Position | None,
    forward: bool,
    limit: int | None,
    offset: int = 0,
) -> tuple[str, list[Any]]:
    """One page of matches, ordered; its columns are those of ``Message`` plus ``conversation_title`` and ``score``."""
    message = connection.ops.quote_name(Message._meta.db_table)
    conversation = connection.ops.quote_name(Conversation._meta.db_table)
    if connection.vendor == "postgresql":
        tsquery, words = _pg_tsquery(search.terms)
        params: list[Any] = [*words]
        score = f"ts_rank({_pg_vector('m.content')}, {tsquery}, 1)::float8"
        source = f"{message} AS m"
        where = [f"{_pg_vector('m.content')} @@ {tsquery}"]
        params = params + params
    elif connection.vendor == "sqlite":
        score = f"-bm25({FTS_TABLE})"
        source = f"{FTS_TABLE} JOIN {message} AS m ON m.id = {FTS_TABLE}.rowid"
        where = [f"{FTS_TABLE} MATCH %s"]
        params = [_fts_match(search.terms)]
    else:
        raise ImproperlyConfigured(f"Message search needs PostgreSQL or SQLite, not {connection.vendor}.")

    where.append("c.user_id = %s")
    params.append(Conversation._meta.get_field("user").get_db_prep_value(search.user_id, connection))
    if search.conversation_id is not None:
        where.append("m.conversation_id = %s")
        params.append(Conversation._meta.pk.get_db_prep_value(search.conversation_id, connection))
    if search.roles:
        where.append(f"m.role IN ({', '.join(['%s'] * len(search.roles))})")
        params.extend(search.roles)
    order = "DESC" if forward else "ASC"
    outer_where = ""
    if position is not None:
        outer_where = f"WHERE (hit.score, hit.created_at, hit.id) {'<' if forward else '>'} (%s, %s, %s)"
        score_at, created_at, pk = position
        params.extend([score_at, connection.ops.adapt_datetimefield_value(created_at), pk])
    sql = (
        "SELECT * FROM ("
        f"SELECT m.id, m.conversation_id, m.seq, m.role, m.content, m.created_at, "
        f"c.title AS conversation_title, {score} AS score "
        f"FROM {source} JOIN {conversation} AS c ON c.id = m.conversation_id "
        f"WHERE {' AND '.join(where)}"
        f") AS hit {outer_where} "
        f"ORDER BY hit.score {order}, hit.created_at {order}, hit.id {order}"
    )
    if limit is not None:
        sql += " LIMIT %s"
        params.append(limit)
    if offset:
        sql += " OFFSET %s"
        params.append(offset)
    return sql, params


def _hit(row: Message, terms: SearchTerms) -> SearchHit:
    return {
        "conversation_id": row.conversation_id,
        "conversation_title": row.conversation_title,  # type: ignore[attr-defined]
        "seq": row.seq,
        "role": row.role,
        "snippet": make_snippet(searchable_text(row.content), terms),
        "created_at": row.created_at,
    }


def make_snippet(text: str, terms: SearchTerms) -> str:
    """Plain text of at most ``SNIPPET_LENGTH`` characters around the first match, whitespace collapsed.

    "…" marks where the text was cut. The match is found in Python (whole words, then word
    starts for stemmed forms, then without accents), so a form only the engine's stemmer
    relates to a query word starts the snippet at the beginning of the text.
    """
    at = _first_match(text, terms)
    start = max(0, at - _CONTEXT_BEFORE)
    if start > 0 and not text[start - 1].isspace():
        gap = re.search(r"\s", text[start:at])
        if gap:
            start += gap.end()  # begin with a whole word
    # Collapsing whitespace only shortens text, so four times the length is always enough.
    end = start + 4 * SNIPPET_LENGTH
    body = " ".join(text[start:end].split())
    prefix = "…" if start > 0 else ""
    budget = SNIPPET_LENGTH - len(prefix)
    if len(body) > budget or (end < len(text) and text[end:].strip()):
        cut = body[: budget - 1]
        space = cut.rfind(" ")
        if space > budget - 30:
            cut = cut[:space]
        body = cut.rstrip() + "…"
    return prefix + body


def _first_match(text: str, terms: SearchTerms) -> int:
    alternatives = [_pattern(" ".join(phrase)) for phrase in terms.phrases] + [_pattern(word) for word in terms.words]
    alternatives = [pattern for pattern in alternatives if pattern]
    if not alternatives or not text:
        return 0
    either = "|".join(alternatives)
    for pattern in (rf"(?<![^\W_])(?:{either})(?![^\W_])", rf"(?<![^\W_])(?:{either})"):
        found = re.search(pattern, text, re.IGNORECASE)
        if found:
            return found.start()
    folded, offsets = _fold(text[:_FOLD_LIMIT])
    folded_either = "|".join(_fold(alternative)[0] for alternative in alternatives)
    found = re.search(rf"(?<![^\W_])(?:{folded_either})", folded, re.IGNORECASE)
    return offsets[found.start()] if found else 0


def _pattern(term: str) -> str:
    """A regex for a term's words in order, whatever separates them."""
    return r"[\W_]+".join(re.escape(part) for part in _WORD_PART.findall(term))


def _fold(text: str) -> tuple[str, list[int]]:
    """``text`` without accents and case-folded, with the offset in ``text`` of each character."""
    characters: list[str] = []
    offsets: list[int] = []
    for offset, character in enumerate(text):
        if character.isascii():
            characters.append(character)
            offsets.append(offset)
            continue
        base = "".join(c for c in unicodedata.normalize("NFD", character) if not unicodedata.combining(c))
        for folded in base.casefold():
            characters.append(folded)
            offsets.append(offset)
    return "".join(characters), offsets


def filter_matching(messages: QuerySet[Message], query: str) -> QuerySet[Message]:
    """``messages`` narrowed to those matching ``query`` through the full-text index, of any user.

    For the admin's search box. A query with no word to search for matches nothing.
    """
    terms = parse_query(query)
    if not terms:
        return messages.none()
    connection = connections[messages.db]
    table = connection.ops.quote_name(Message._meta.db_table)
    if connection.vendor == "postgresql":
        tsquery, params = _pg_tsquery(terms)
        matching = RawSQL(f"SELECT id FROM {table} WHERE {_pg_vector('content')} @@ {tsquery}", params)
    else:
        matching = RawSQL(f"SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH %s", [_fts_match(terms)])
    return messages.filter(pk__in=matching)


def rebuild_search_index() -> None:
    """Build PostgreSQL's search index again with the current ``SEARCH_CONFIG``.

    Queries name the configuration as a constant and use the index only when it is the one the
    index was built with: run this after changing the setting (it takes a lock that holds off
    appends while it runs; on a large table, ``CREATE INDEX CONCURRENTLY`` by hand avoids that).
    SQLite has no configuration and its FTS5 table is kept in step by triggers: nothing to do.
    """
    alias = write_alias(Message)
    connection = connections[alias]
    if connection.vendor != "postgresql":
        return
    table = connection.ops.quote_name(Message._meta.db_table)
    with transaction.atomic(using=alias), connection.cursor() as cursor:
        cursor.execute(f"DROP INDEX IF EXISTS {PG_INDEX}")
        cursor.execute(f"CREATE INDEX {PG_INDEX} ON {table} USING gin ({_pg_vector('content')})")
