"""The domain: countries, leaders, organizations, summits, who attends them, and on what evidence.

Every invariant the data must keep is a named database constraint, so that `loaddata`, raw SQL,
the admin and the API all meet the same wall. The one rule that spans two tables (a leader
belongs to the attendance's country) is checked by `Attendance.clean()`, by `load_fixtures` and
by the bulk import.

The models live by subject in this package; everything is importable from `summits.models`.
"""

from summits.models.actors import Country, Leader, Organization
from summits.models.attendances import (
    Attendance,
    AttendanceRole,
    AttendanceStatus,
    FirstLabel,
    StatusChange,
)
from summits.models.base import ISO_COUNTRY_CODE, SHA256_HEX, ConstraintFieldsModel, NaturalKeyModel
from summits.models.changes import Change, ChangeHorizon, ChangeKind, RecordType, feed_bounds
from summits.models.meetings import Summit, SummitKind, SummitQuerySet, SummitStatus
from summits.models.names import LeaderName, OrganizationName, OtherName, SummitName
from summits.models.sources import CITATION_TARGETS, Citation, CitationBasis, Source

__all__ = [
    "CITATION_TARGETS",
    "ISO_COUNTRY_CODE",
    "SHA256_HEX",
    "Attendance",
    "AttendanceRole",
    "AttendanceStatus",
    "Change",
    "ChangeHorizon",
    "ChangeKind",
    "Citation",
    "CitationBasis",
    "ConstraintFieldsModel",
    "Country",
    "FirstLabel",
    "Leader",
    "LeaderName",
    "NaturalKeyModel",
    "Organization",
    "OrganizationName",
    "OtherName",
    "RecordType",
    "Source",
    "StatusChange",
    "Summit",
    "SummitKind",
    "SummitName",
    "SummitQuerySet",
    "SummitStatus",
    "feed_bounds",
]
