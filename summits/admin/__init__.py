"""The editors' workspace: every model with its edit history, dates at their precision.

`Attendance.status` is a copy of the latest status change and is never edited here: every write
to a timeline goes through the status services (`summits.services.statuses`): a step is added
with `attendances_record_status` (the "Record a status change" page and action, with its
evidence) or `status_change_save`, edited with `status_change_save` and deleted with
`status_change_delete` / `status_changes_delete`, each refreshing the copy. Summits and
attendances are imported and exported on natural keys (see `summits.resources`); files of the
State Department's visits and travels are imported from the Sources list
(`summits.historyatstate`), a dry run first.

One module a job: `widgets`, `forms`, `filters`, `inlines`, `base` (what every admin shares),
then the registrations by area: `people` (countries, leaders, organizations), `summits`
(summits, attendances, status changes) and `sources` (sources, citations, the State
Department import page).
"""

# Registering is importing: Django's autodiscover imports this package, which imports each
# module that registers a model.
from summits.admin import people, sources, summits  # noqa: F401
