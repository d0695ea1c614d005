"""Deleting what is no longer kept: expired idempotency records."""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from chathistory.conf import app_settings
from chathistory.models import IdempotencyKey
from chathistory.services.base import logger, write_alias


def purge_idempotency_keys(*, older_than: timedelta | None = None) -> int:
    """Delete keys older than ``older_than`` (default: the retention setting); returns how many."""
    if older_than is None:
        older_than = timedelta(hours=app_settings.IDEMPOTENCY_KEY_RETENTION_HOURS)
    alias = write_alias(IdempotencyKey)
    with transaction.atomic(using=alias):
        deleted, _ = (
            IdempotencyKey.objects.using(alias).filter(created_at__lt=timezone.now() - older_than).delete()
        )
    logger.info("purged %d idempotency key(s)", deleted)
    return deleted
