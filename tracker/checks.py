"""Deployment checks of the tracker's own settings (`manage.py check --deploy`)."""

from typing import Any

from django.conf import settings
from django.core.checks import Tags, Warning, register

LOCAL_CACHE = "django.core.cache.backends.locmem.LocMemCache"


@register(Tags.caches, deploy=True)
def replicas_need_a_shared_cache(**kwargs: Any) -> list[Warning]:
    """With read replicas, a client's latest write position is kept in the cache for every
    worker to see: in each process's own memory, another worker sends that client's next read
    to a replica that may not have replayed it."""
    if not settings.DATABASE_REPLICAS or settings.CACHES["default"]["BACKEND"] != LOCAL_CACHE:
        return []
    return [
        Warning(
            "DATABASE_REPLICA_URLS is set but CACHE_URL keeps the cache in each process's "
            "memory: a client may not read its own write from another worker.",
            hint="Set CACHE_URL to a Redis that every app server shares.",
            id="tracker.W001",
        )
    ]
