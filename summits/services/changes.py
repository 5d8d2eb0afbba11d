"""The change feed's retention: changes older than it are deleted, and the horizon moves past
them so that a token from before it is refused as expired rather than skipping them."""

import datetime as dt
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from summits.models import Change, ChangeHorizon
from summits.models.changes import CHECKED_COLUMNS, change_check, feed_secret
from summits.services.locking import writers_turn


@dataclass(frozen=True)
class PruneReport:
    """What `changes_prune` deleted, and the horizon after it (tokens before it are expired)."""

    deleted: int
    horizon: int


def changes_prune(*, before: dt.datetime) -> PruneReport:
    """Delete the changes made before `before` (and any with a lower id: the feed is a prefix
    of commit order), and record the last of them as the feed's horizon, with its token's check:
    a client that had read up to it has missed nothing and goes on."""
    with transaction.atomic():
        writers_turn()
        current = ChangeHorizon.objects.select_for_update().filter(pk=ChangeHorizon.ONLY).first()
        horizon = current.position if current is not None else 0
        last = (
            Change.objects.filter(time__lt=before).order_by("-id").values(*CHECKED_COLUMNS).first()
        )
        if last is None or last["id"] <= horizon:
            return PruneReport(deleted=0, horizon=horizon)
        deleted, _ = Change.objects.filter(id__lte=last["id"]).delete()
        ChangeHorizon.objects.update_or_create(
            pk=ChangeHorizon.ONLY,
            defaults={
                "position": last["id"],
                "set_at": timezone.now(),
                "token_check": change_check(feed_secret(), last),
            },
        )
    return PruneReport(deleted=deleted, horizon=last["id"])
