"""A message's content as the admin shows it: text, images, audio, files and provider blocks.

The admin's pages read the start of each message's stored text only (``Substr``): a 5 MB image
must not make a list or a transcript slow. So this module reads content parts from text that
may be cut short, keeps every part that is whole, and says what it can of the part that is cut.
Media is never put into a page: an image or a recording is fetched from the admin's own part
view (``MessageAdmin.part_view``), and only for types a browser shows safely; a URL elsewhere is
a link an operator may choose to follow, never something the admin loads by itself.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from dataclasses import dataclass, field
from typing import Any

from chathistory.content import parse_data_url
from chathistory.fields import decode_string_head, is_parts_text

#: Image types the admin shows as thumbnails. Never SVG: it is a document that can run script.
RASTER_IMAGE_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp"})
AUDIO_TYPES = {"wav": "audio/wav", "mp3": "audio/mpeg"}
_TEXT_SHOWN = 2_000


@dataclass
class PartView:
    """One part, ready for the template: ``kind`` picks how it is drawn."""

    index: int
    kind: str  # text, image, image_link, audio, file, refusal, block, other
    text: str = ""
    media_type: str = ""
    url: str = ""
    size: int | None = None
    name: str = ""
    detail: str = ""
    cut: bool = False

    @property
    def label(self) -> str:
        return self.media_type or self.kind


@dataclass
class ContentView:
    """Content as shown: a string, or the parts that could be read from the start of the stored text."""

    text: str | None = None
    parts: list[PartView] = field(default_factory=list)
    is_parts: bool = False
    #: Characters of the content (for parts: of their JSON), and how many of them were read.
    length: int = 0
    shown: int = 0
    #: Whether a long text (or text part) is shown as its start only (``excerpted``).
    excerpted: bool = False

    @property
    def truncated(self) -> bool:
        return self.excerpted or self.shown < self.length


def content_view(head: str | None, stored_length: int | None) -> ContentView:
    """The view of stored text of which ``head`` is the start (all of it when the lengths agree)."""
    if head is None:
        return ContentView()
    stored_length = max(stored_length or 0, len(head))
    if not is_parts_text(head):
        text = decode_string_head(head)
        escape = len(head) - len(text)  # a stored string's escape is not part of it
        return ContentView(text=text, length=stored_length - escape, shown=len(text))
    try:
        parts = parse_prefix(head)
    except ValueError:  # not written by chathistory: shown as the text it is
        parts = None
    if not isinstance(parts, list):
        return ContentView(text=head, length=stored_length, shown=len(head))
    return ContentView(
        parts=[part_view(index, part) for index, part in enumerate(parts)],
        is_parts=True,
        length=stored_length,
        shown=len(head),
    )


def excerpted(view: ContentView, *, whole_up_to: int, length: int) -> ContentView:
    """The view with each text longer than ``whole_up_to`` characters cut to about its first ``length``.

    A page of many messages stays readable: an answer of a few pages is shown whole, a pasted
    document or a log as its start, with the message's own page a link away.
    """
    if view.text is not None and view.length > whole_up_to:
        text = _start_of(view.text, length)
        view.text, view.shown, view.excerpted = text, len(text), True
    for part in view.parts:
        if part.kind in ("text", "refusal") and len(part.text) > whole_up_to:
            part.text, part.cut, view.excerpted = _start_of(part.text, length), True, True
    return view


def _start_of(text: str, length: int) -> str:
    """The first ``length`` characters, less a last line or word cut in two (within the last fifth)."""
    start = text[:length]
    for separator in ("\n", " "):
        at = start.rfind(separator, length * 4 // 5)
        if at > 0:
            return start[:at]
    return start


def parts_view(parts: list[Any]) -> ContentView:
    """The view of content parts read whole (the message's own page)."""
    return ContentView(parts=[part_view(index, part) for index, part in enumerate(parts)], is_parts=True)


def excerpt_of(head: str | None) -> str | None:
    """One line for a list: the text of string content or of text parts, media named in brackets."""
    if head is None:
        return None
    view = content_view(head, len(head))
    if not view.is_parts:
        return view.text
    words = []
    for part in view.parts:
        if part.kind in ("text", "refusal"):
            words.append(part.text)
        elif part.kind != "other":
            words.append(f"[{part.name or part.label}]")
    return " ".join(words)


def part_view(index: int, part: Any) -> PartView:
    cut = isinstance(part, _Partial)
    if not isinstance(part, dict):
        return PartView(index, "other", text=_shown_json(part), cut=cut)
    kind = part.get("type")
    if isinstance(kind, _Partial) or not isinstance(kind, str):
        return PartView(index, "other", text=_shown_json(part), cut=cut)
    if kind == "text" and isinstance(part.get("text"), str):
        return PartView(index, "text", text=str(part["text"]), cut=cut)
    if kind == "refusal" and isinstance(part.get("refusal"), str):
        return PartView(index, "refusal", text=str(part["refusal"]), cut=cut)
    if kind == "image_url" and isinstance(part.get("image_url"), dict):
        return _image(index, part["image_url"], cut)
    if kind == "input_audio" and isinstance(part.get("input_audio"), dict):
        audio = part["input_audio"]
        data = audio.get("data")
        audio_format = audio.get("format")
        media_type = AUDIO_TYPES.get(audio_format, "") if isinstance(audio_format, str) else ""
        size = None if cut or not isinstance(data, str) else base64_size(data)
        return PartView(index, "audio", media_type=media_type, size=size, cut=cut)
    if kind == "file" and isinstance(part.get("file"), dict):
        return _file(index, part["file"], cut)
    return PartView(index, "block", name=str(kind or "block"), text=_shown_json(part), cut=cut)


def _image(index: int, image: dict[str, Any], cut: bool) -> PartView:
    url = image.get("url")
    detail = image.get("detail") if isinstance(image.get("detail"), str) else ""
    if not isinstance(url, str):
        return PartView(index, "image_link", detail=str(detail), cut=cut)
    found = parse_data_url(url)
    if found:
        media_type, data = found
        size = None if isinstance(url, _Partial) else base64_size(data)
        kind = "image" if media_type in RASTER_IMAGE_TYPES else "image_link"
        return PartView(index, kind, media_type=media_type, size=size, detail=str(detail), cut=cut)
    # Only web links are links: a javascript: or other URL is shown as text, never made clickable.
    link = str(url) if re.match(r"https?://", url, re.IGNORECASE) and not isinstance(url, _Partial) else ""
    return PartView(index, "image_link", url=link, text=str(url)[:500], detail=str(detail), cut=cut)


def _file(index: int, file: dict[str, Any], cut: bool) -> PartView:
    name = file.get("filename") if isinstance(file.get("filename"), str) else ""
    file_data = file.get("file_data")
    media_type, size = "", None
    found = parse_data_url(file_data)
    if found:
        media_type, data = found
        if not isinstance(file_data, _Partial):
            size = base64_size(data)
    file_id = file.get("file_id") if isinstance(file.get("file_id"), str) else ""
    return PartView(
        index,
        "file",
        name=str(name or file_id or "file"),
        media_type=media_type,
        size=size,
        text=str(file_id),
        # Linked only when the part view can serve it: a base64 data URL, not bare base64 or a link.
        url="data" if found else "",
        cut=cut,
    )


def base64_size(data: str) -> int:
    """The number of bytes that base64 ``data`` decodes to, without decoding it."""
    length = len(data.rstrip("="))
    return length * 3 // 4


def part_media(part: Any) -> tuple[bytes, str, str] | None:
    """``(bytes, content type, download name)`` of a part's inline media, or None when it has none to serve.

    Images only of the raster types, audio of its two formats, files as downloads.
    """
    if not isinstance(part, dict):
        return None
    kind = part.get("type")
    try:
        if kind == "image_url" and isinstance(part.get("image_url"), dict):
            found = _data_url(part["image_url"].get("url"))
            if found and found[0] in RASTER_IMAGE_TYPES:
                return found[1], found[0], ""
        elif kind == "input_audio" and isinstance(part.get("input_audio"), dict):
            audio = part["input_audio"]
            media_type = AUDIO_TYPES.get(audio.get("format"))
            if media_type and isinstance(audio.get("data"), str):
                return base64.b64decode(audio["data"], validate=True), media_type, ""
        elif kind == "file" and isinstance(part.get("file"), dict):
            found = _data_url(part["file"].get("file_data"))
            if found:
                name = part["file"].get("filename")
                return found[1], "application/octet-stream", name if isinstance(name, str) else "file"
    except (binascii.Error, ValueError):
        return None
    return None


def _data_url(url: Any) -> tuple[str, bytes] | None:
    found = parse_data_url(url)
    if not found:
        return None
    media_type, data = found
    return media_type, base64.b64decode(data, validate=True)


def _shown_json(value: Any) -> str:
    text = json.dumps(_plain(value), indent=2, ensure_ascii=False)
    return text if len(text) <= _TEXT_SHOWN else text[:_TEXT_SHOWN] + "…"


def _plain(value: Any) -> Any:
    if isinstance(value, _PartialText):
        return str(value) + "…"
    if isinstance(value, dict):
        return {key: _plain(child) for key, child in value.items()}
    if isinstance(value, list):
        return [_plain(child) for child in value]
    return value


# JSON that may be cut short ---------------------------------------------------------------------


class _Partial:
    """Marks a value that the text ended inside of (and so every value that holds it)."""


class _PartialText(str, _Partial):
    pass


class _PartialDict(dict, _Partial):
    pass


class _PartialList(list, _Partial):
    pass


_MISSING = object()
_WHITESPACE = re.compile(r"[ \t\n\r]*")
_NUMBER = re.compile(r"-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][-+]?\d+)?")
_NUMBER_CHARACTERS = re.compile(r"[0-9.eE+-]*")
_LITERALS = (("true", True), ("false", False), ("null", None))


def parse_prefix(text: str) -> Any:
    """The value of JSON text that may be cut short (``None`` when nothing of it was complete).

    Objects and lists hold what was complete before the text ended, and the value it ended in; a
    string the text ended in is kept as its start; a key, number or literal that was cut is left
    out. Values the text ended inside of are marked (``_Partial``), which is how a reader tells a
    whole value from a cut one. Raises ``ValueError`` for text that is not the start of JSON.
    """
    value = _PrefixParser(text).value()
    return None if value is _MISSING else value


class _PrefixParser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.at = 0
        self.ended = False

    def skip(self) -> bool:
        """Move past whitespace; False (and ``ended``) when the text ends there."""
        self.at = _WHITESPACE.match(self.text, self.at).end()  # type: ignore[union-attr]
        if self.at >= len(self.text):
            self.ended = True
            return False
        return True

    def value(self) -> Any:
        if not self.skip():
            return _MISSING
        char = self.text[self.at]
        if char == "{":
            return self._object()
        if char == "[":
            return self._list()
        if char == '"':
            return self._string()
        rest = self.text[self.at : self.at + 5]
        for literal, meaning in _LITERALS:
            if rest.startswith(literal):
                self.at += len(literal)
                return meaning
            if literal.startswith(rest):
                self.ended = True
                return _MISSING
        found = _NUMBER.match(self.text, self.at)
        if not found:
            raise ValueError(f"Not JSON at character {self.at}.")
        if _NUMBER_CHARACTERS.match(self.text, found.end()).end() >= len(self.text):  # type: ignore[union-attr]
            self.ended = True  # the text ended in the number ("1.", "2e-"): it may go on
            return _MISSING
        self.at = found.end()
        return json.loads(found.group())

    def _string(self) -> str:
        try:
            value, self.at = json.decoder.scanstring(self.text, self.at + 1)  # type: ignore[attr-defined]
            return str(value)
        except json.JSONDecodeError:
            self.ended = True
            raw = self.text[self.at + 1 :]
            # Drop an escape the text ended in the middle of, then read what is left.
            for cut in range(7):
                try:
                    return _PartialText(json.loads('"' + raw[: len(raw) - cut] + '"'))
                except ValueError:
                    continue
            return _PartialText("")

    def _list(self) -> list[Any]:
        self.at += 1
        items: list[Any] = []
        if not self.skip():
            return _PartialList(items)
        if self.text[self.at] == "]":
            self.at += 1
            return items
        while True:
            item = self.value()
            if item is not _MISSING:
                items.append(item)
            if self.ended or not self.skip():
                return _PartialList(items)
            char = self.text[self.at]
            self.at += 1
            if char == "]":
                return items
            if char != ",":
                raise ValueError(f"Expected , or ] at character {self.at}.")

    def _object(self) -> dict[str, Any]:
        self.at += 1
        found: dict[str, Any] = {}
        if not self.skip():
            return _PartialDict(found)
        if self.text[self.at] == "}":
            self.at += 1
            return found
        while True:
            if not self.skip():
                return _PartialDict(found)
            if self.text[self.at] != '"':
                raise ValueError(f"Expected a key at character {self.at}.")
            key = self._string()
            if self.ended or not self.skip():
                return _PartialDict(found)
            if self.text[self.at] != ":":
                raise ValueError(f"Expected : at character {self.at}.")
            self.at += 1
            item = self.value()
            if item is not _MISSING:
                found[key] = item
            if self.ended or not self.skip():
                return _PartialDict(found)
            char = self.text[self.at]
            self.at += 1
            if char == "}":
                return found
            if char != ",":
                raise ValueError(f"Expected , or }} at character {self.at}.")
