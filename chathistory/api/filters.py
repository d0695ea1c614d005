"""The documented query filters; an invalid value is a 400 naming its parameter."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import django_filters
from django import forms

from chathistory.models import Conversation, Message, Role
from chathistory.validation import in_utc

#: The largest seq a filter or a path accepts (a PostgreSQL integer).
MAX_SEQ = 2**31 - 1


class _IsoDateTimeField(django_filters.fields.IsoDateTimeField):
    def to_python(self, value: Any) -> datetime | None:
        # A "+01:00" offset pasted into a URL unencoded arrives as " 01:00".
        if isinstance(value, str):
            value = value.strip().replace(" ", "+")
        moment: datetime | None = super().to_python(value)
        if moment is None:
            return None
        # In UTC, so every database reads the same instant (PostgreSQL refuses offsets past 15:59).
        instant = in_utc(moment)
        if instant is None:
            raise forms.ValidationError("Must be a date and time between the years 1 and 9999.", code="invalid")
        return instant


class _IsoDateTimeFilter(django_filters.IsoDateTimeFilter):
    field_class = _IsoDateTimeField


class _StrictBooleanField(forms.NullBooleanField):
    """``true`` or ``false`` (any case); anything else is an error, not "no filter"."""

    widget = forms.TextInput  # NullBooleanSelect would turn "maybe" into None silently

    def to_python(self, value: Any) -> bool | None:  # type: ignore[override]  # the stubs leave out None
        if value in self.empty_values:
            return None
        lowered = str(value).strip().lower()
        if lowered not in ("true", "false"):
            raise forms.ValidationError("Must be true or false.", code="invalid")
        return lowered == "true"

    def validate(self, value: Any) -> None:
        pass


class _StrictBooleanFilter(django_filters.BooleanFilter):
    field_class = _StrictBooleanField


class _SeqFilter(django_filters.NumberFilter):
    field_class = forms.IntegerField

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(field_name="seq", min_value=0, max_value=MAX_SEQ, **kwargs)


class ConversationFilter(django_filters.FilterSet):
    search = django_filters.CharFilter(
        field_name="title",
        lookup_expr="icontains",
        label="Case-insensitive substring of the title.",
    )
    archived = _StrictBooleanFilter(
        label="true: archived conversations only; false: the others.",
    )
    created_after = _IsoDateTimeFilter(
        field_name="created_at", lookup_expr="gte", label="Created at or after (ISO 8601)."
    )
    created_before = _IsoDateTimeFilter(field_name="created_at", lookup_expr="lt", label="Created before (ISO 8601).")
    updated_after = _IsoDateTimeFilter(
        field_name="updated_at", lookup_expr="gte", label="Last active at or after (ISO 8601)."
    )
    updated_before = _IsoDateTimeFilter(
        field_name="updated_at", lookup_expr="lt", label="Last active before (ISO 8601)."
    )

    class Meta:
        model = Conversation
        fields: list[str] = []


class MessageFilter(django_filters.FilterSet):
    role = django_filters.MultipleChoiceFilter(
        choices=Role.choices, label="Only these roles; repeat the parameter for several."
    )
    after_seq = _SeqFilter(lookup_expr="gt", label="Only messages after this seq (exclusive).")
    before_seq = _SeqFilter(lookup_expr="lt", label="Only messages before this seq (exclusive).")

    class Meta:
        model = Message
        fields: list[str] = []
