"""The attendances a record shows: added, or confirmed with the record's citation, and given an
"attended" step; a record that disagrees with the tracker's leader, role or timeline is a
conflict and changes nothing."""

from summits.dates import DatePrecision
from summits.historyatstate.records import Record
from summits.historyatstate.report import ImportReport
from summits.historyatstate.writing import cite, save_checked
from summits.models import (
    Attendance,
    AttendanceRole,
    AttendanceStatus,
    Country,
    Leader,
    Source,
    StatusChange,
    Summit,
)
from summits.services import attendances_refresh_status_by_id

# Statuses after which a record of attendance disagrees with the timeline.
_STAYED_AWAY = frozenset(
    {AttendanceStatus.DECLINED, AttendanceStatus.DID_NOT_ATTEND, AttendanceStatus.WITHDRAWN}
)


class Attendances:
    """The attendances of one import, and those whose timelines grew."""

    def __init__(self, report: ImportReport) -> None:
        self.report = report
        # Attendances whose timelines gained a step: their status is refreshed at the end.
        self.refresh: set[int] = set()

    def attend(
        self,
        record: Record,
        source: Source,
        summit: Summit,
        country: Country,
        leader: tuple[Leader, tuple[int, int]] | None,
        span: tuple[int, int],
        *,
        guest: bool,
        where: str,
    ) -> None:
        """Record that `country` attended `summit`, as the record at `span` says."""
        attendance = Attendance.objects.filter(summit=summit, country=country).first()
        person, name_span = leader if leader is not None else (None, None)
        if attendance is None:
            attendance = self.added(record, source, summit, country, person, span, guest=guest)
        elif attendance.pk not in self.report.attendances_added:
            self.report.attendances_confirmed.add(attendance.pk)
            person = self.confirmed(attendance, summit, country, person, guest=guest, where=where)
        if person is not None and attendance.leader_id == person.pk:
            assert name_span is not None  # given with the leader
            cite(self.report, source, attendance, "leader", name_span)
        self.attended(source, attendance, record, span, where)

    def added(
        self,
        record: Record,
        source: Source,
        summit: Summit,
        country: Country,
        person: Leader | None,
        span: tuple[int, int],
        *,
        guest: bool,
    ) -> Attendance:
        """A new attendance, citing the record for its country (a visit's) and role."""
        attendance = Attendance(
            summit=summit,
            country=country,
            leader=person,
            role=AttendanceRole.GUEST if guest else None,
        )
        save_checked(attendance)
        self.report.attendances_added.add(attendance.pk)
        if record.dataset == "visits":
            cite(self.report, source, attendance, "country", record.span("from"))
        if guest:
            cite(self.report, source, attendance, "role", span)
        return attendance

    def confirmed(
        self,
        attendance: Attendance,
        summit: Summit,
        country: Country,
        person: Leader | None,
        *,
        guest: bool,
        where: str,
    ) -> Leader | None:
        """Report where the record disagrees with an attendance the tracker holds; the leader
        the record names, unless the attendance has another."""
        if person is not None and attendance.leader_id not in (None, person.pk):
            held = attendance.leader
            assert held is not None  # the attendance names a leader
            self.report.conflicts.append(
                f"{where}: names {person.name} for {country.name} at {summit.slug}; the "
                f"tracker has {held.name}. Nothing was changed."
            )
            person = None
        if guest and attendance.role not in (None, AttendanceRole.GUEST):
            self.report.conflicts.append(
                f"{where}: {country.name} was an invited guest at {summit.slug}; the "
                f"tracker says {attendance.role}. The role was left as it is."
            )
        return person

    def attended(
        self,
        source: Source,
        attendance: Attendance,
        record: Record,
        span: tuple[int, int],
        where: str,
    ) -> None:
        """Give the timeline an "attended" step citing the record, or cite the one it has."""
        step = (
            StatusChange.objects.filter(attendance=attendance, status=AttendanceStatus.ATTENDED)
            .order_by("as_of", "id")
            .first()
        )
        if step is not None:
            cite(self.report, source, step, "status", span)
            return
        if attendance.status in _STAYED_AWAY:
            self.report.conflicts.append(
                f"{where}: says {attendance.country.name} attended {attendance.summit.slug}; "
                f"the tracker's timeline ends {attendance.status}. Nothing was changed."
            )
            return
        as_of = record.date("start-date")
        assert as_of is not None  # the import places only records with dates
        step = StatusChange(
            attendance=attendance,
            status=AttendanceStatus.ATTENDED,
            as_of=as_of,
            as_of_precision=DatePrecision.DAY,
        )
        save_checked(step)
        self.report.steps_added += 1
        self.refresh.add(attendance.pk)
        cite(self.report, source, step, "status", span)

    def refresh_statuses(self) -> None:
        """Refresh the status of every attendance whose timeline grew."""
        attendances_refresh_status_by_id(ids=self.refresh)
