"""The evidence pack per class, school and trust: dated, mapped to the frameworks by name, gaps,
pledge completion and pupils' reports as numbers; printable and CSV; scoped like the overviews."""

from __future__ import annotations

import csv
import html
import io
from datetime import datetime

from pupil_app.content import load_content
from pupil_app.extensions import db
from pupil_app.learning.models import ModuleProgress
from pupil_app.schools.models import Role

from .conftest import Ids
from .content_factory import REAL

CONTENT = load_content(REAL)


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def passed(app, pupil, module_id):
    module = CONTENT.modules[module_id]
    with app.app_context():
        db.session.add(ModuleProgress(pupil_id=pupil.id, module_id=module_id, school_id=pupil.school_id, attempts=1,
                                      completed_at=datetime.utcnow(), best_score=len(module.questions),
                                      best_total=len(module.questions)))
        db.session.commit()


def test_class_pack_maps_learning_to_the_frameworks_and_lists_gaps(app, client, make_class, make_pupil,
                                                                   make_staff, login_as):
    cls = make_class(4, name="Kestrels")
    ada, _ben = make_pupil(cls, first_name="Ada"), make_pupil(cls, first_name="Ben")
    for m in CONTENT.modules_for_year(4):
        passed(app, ada, m.id)
    login_as(make_staff(Role.TEACHER, classes=(cls,)))
    page = text(client.get(f"/staff/coverage/classes/{cls.id}/evidence"))
    assert "Online safety evidence pack: Kestrels" in page and "Made on" in page and "data-print" in page
    for name in ("Education for a Connected World", "RSHE 2026", "Wales DCF (citizenship)", "Gaps"):
        assert name in page
    cur = CONTENT.curriculum
    for outcome in CONTENT.outcomes_for_band("ks2"):
        tags = cur.tags[outcome.id]
        assert cur.strands[tags.efcw] in page and cur.elements[tags.dcf] in page and tags.rshe in page
        assert f"{outcome.text}: 50%" in page  # one of two pupils passed every Year 4 module
        assert outcome.id not in page
    assert "Ada" not in page and "Ben" not in page  # numbers only
    rows = list(csv.reader(io.StringIO(client.get(f"/staff/coverage/classes/{cls.id}/evidence.csv")
                                       .get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0][0] == "Framework"
    assert any(r[0] == "RSHE 2026" and r[4] == "50" for r in rows[1:])
    assert rows[-1][0] == "Reports made by pupils this school year"


def test_school_and_trust_packs_and_who_may_see_them(app, client, make_class, make_pupil, make_staff, login_as):
    cls = make_class(1)
    pupil = make_pupil(cls)
    passed(app, pupil, "ks1-content")
    school = Ids(id=cls.school_id)
    teacher = make_staff(Role.TEACHER, classes=(cls,))
    login_as(teacher)
    assert client.get(f"/staff/coverage/schools/{cls.school_id}/evidence").status_code == 403
    assert client.get("/staff/coverage/trust/evidence").status_code == 403
    assert client.get(f"/staff/coverage/classes/{make_class(1).id}/evidence").status_code == 404
    login_as(make_staff(Role.ADMIN, school=school))
    page = text(client.get(f"/staff/coverage/schools/{cls.school_id}/evidence"))
    assert "nobody has passed" in page and CONTENT.modules["ks1-contact"].title in page
    assert client.get(f"/staff/coverage/schools/{cls.school_id}/evidence.csv").status_code == 200
    login_as(make_staff(Role.TRUST_ADMIN, school=school))
    assert "Online safety evidence pack" in text(client.get("/staff/coverage/trust/evidence"))
    assert client.get("/staff/coverage/trust/evidence.csv").status_code == 200
