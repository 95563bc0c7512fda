"""What test modules share besides fixtures: the test password, plain ids, sample URL values, reading
responses. Fixtures live in conftest.py; the Tell-an-adult steps in concern_flow.py; content trees
in content_factory.py."""

from __future__ import annotations

import csv
import io

PASSWORD = "correct horse battery"

# A value for every URL variable of the app, to build any route's URL (the access and fuzz walks).
SAMPLE = {"lang": "en", "module_id": "ks2-content", "number": 1, "attempt_id": 1, "token": "x", "pupil_id": 1, "class_id": 1,
          "name": "pw-cat.svg", "filename": "css/app.css", "key": "ks2", "version_id": 1, "school_id": 1, "staff_id": 1,
          "batch_id": 1, "step": "feel", "concern_id": 1, "rollover_id": 1, "report_id": 1, "alert_id": 1,
          "upload_id": 1, "token_id": 1, "review_id": 1, "action_id": 1, "code": "pl", "credential_id": 1,
          "attachment_id": 1, "task_id": 1, "transfer_id": 1}


class Ids:
    """Plain ids of created rows: tests keep ids, never ORM objects across app contexts."""

    def __init__(self, **kw):
        self.__dict__.update(kw)

    def __repr__(self):  # pragma: no cover - debugging aid
        return f"Ids({self.__dict__})"


def text(response) -> str:
    return response.get_data(as_text=True)


def csv_rows(response) -> list[list[str]]:
    """A CSV download as a spreadsheet reads it (the byte-order mark dropped)."""
    return list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
