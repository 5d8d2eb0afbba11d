"""The data set as Popolo JSON (https://www.popoloproject.com/): leaders as persons, countries and
organizations as organizations, leaders' offices as memberships, summits as events, with
attendances, status timelines and citations in extension properties; streamed in bounded memory.

`popolo_document` writes it (document.py) from the rows `reading.py` reads, each object built by
`objects.py`.
"""

from summits.popolo.document import popolo_document
from summits.popolo.objects import EVENT_STATUS, Link
from summits.popolo.reading import PopoloSelection

__all__ = ["EVENT_STATUS", "Link", "PopoloSelection", "popolo_document"]
