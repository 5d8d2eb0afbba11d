"""Writes that are more than one save: the status workflow (`statuses`), the bulk import of
attendances (`bulk_import`), the change feed's retention (`changes`) and the check of the
"first" labels that the database keeps (`firsts`). Import them from here:
`from summits.services import ...`."""

from summits.services.bulk_import import (
    IMPORT_BATCH,
    MAX_IMPORT_ERRORS,
    ImportRejected,
    ImportReport,
    attendances_import,
)
from summits.services.changes import PruneReport, changes_prune
from summits.services.firsts import FirstsReport, firsts_refresh
from summits.services.locking import writers_turn
from summits.services.statuses import (
    StatusRefused,
    attendance_record_status,
    attendance_refresh_status,
    attendances_record_status,
    attendances_refresh_status_by_id,
    status_change_delete,
    status_change_save,
    status_changes_delete,
)

__all__ = [
    "IMPORT_BATCH",
    "MAX_IMPORT_ERRORS",
    "FirstsReport",
    "ImportRejected",
    "ImportReport",
    "PruneReport",
    "StatusRefused",
    "attendance_record_status",
    "attendance_refresh_status",
    "attendances_import",
    "attendances_record_status",
    "attendances_refresh_status_by_id",
    "changes_prune",
    "firsts_refresh",
    "status_change_delete",
    "status_change_save",
    "status_changes_delete",
    "writers_turn",
]
