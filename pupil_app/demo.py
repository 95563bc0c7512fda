"""The demo school: created only by ``flask demo load``, never in production.

Deterministic (a fixed random seed) and idempotent: loading it twice changes nothing.
"""

from __future__ import annotations

import random
import zlib
from datetime import timedelta

from flask import current_app
from sqlalchemy import select

from .auth import service as auth_service
from .content import current_content
from .demo_hillside import load_hillside_people
from .extensions import db
from .learning.models import ModuleProgress, QuizAttempt
from .pledge import parents, service, versions
from .pledge.models import ParentAcknowledgement, ParentLink, PledgeSignature, PledgeVersion
from .schools import looks
from .schools.models import ClassTeacher, Pupil, Role, School, SchoolClass, StaffRole, StaffUser, Trust
from .timeutil import utcnow

DEMO_PASSWORD = "demo-pass-2026"
TRUST_NAME = "Demo Trust"
SCHOOL_NAME = "Demo Primary"
CLASSES = (("Reception", 0, 22), ("Year 1", 1, 24), ("Year 4", 4, 27), ("Year 6", 6, 26))
DEMO_PUPILS = {
    # username: (first, last, class, picture password)
    "ks1.demo": ("Alfie", "Demo", "Year 1", ("cat", "sun", "boat")),
    "ks2.demo": ("Priya", "Demo", "Year 4", ("dog", "star", "apple")),
    "y6.demo": ("Tomasz", "Demo", "Year 6", ("fish", "tree", "car")),
}
DEMO_STAFF = {
    "teacher.demo": ("Ms Rachel Okafor", (Role.TEACHER,), ("Year 1", "Year 4")),
    "dsl.demo": ("Mr David Hughes", (Role.DSL, Role.TEACHER), ()),
    "admin.demo": ("Mrs Sarah Whitfield", (Role.ADMIN,), ()),
    "teacher.early": ("Miss Amina Hussain", (Role.TEACHER,), ("Reception", "Year 6")),
    # Trust-level: administers every school of the trust and sees the trust's anonymised figures.
    "trust.demo": ("Dr Helen Price", (Role.TRUST_ADMIN,), ()),
}
# A second school of the trust, so the trust overview compares schools (its sign-in accounts: demo_hillside).
OTHER_SCHOOL = "Hillside Primary"
OTHER_CLASSES = (("Robins", 0, 20), ("Kestrels", 2, 23), ("Oak", 3, 25), ("Ash", 5, 24))
FIRST_NAMES = (
    "Oliver Amelia Noah Isla Muhammad Ava Leo Mia Oscar Ivy Arthur Freya George Lily Harry Sophia Jack Grace "
    "Theo Aisha Jacob Zara Charlie Evie Archie Maryam Finley Ella Mohammed Poppy Ethan Ruby Luca Hana Kai Chloe "
    "Reuben Layla Samuel Nia Yusuf Emily Rohan Olivia Dylan Imogen Kofi Maisie Ibrahim Florence Tomas Sienna "
    "Aarav Willow Osian Megan Caleb Anaya Elijah Harriet Ronan Lucy Zain Erin Felix Seren Idris Niamh Jonah Amara"
).split()
LAST_NAMES = (
    "Smith Jones Williams Taylor Brown Davies Evans Wilson Thomas Johnson Roberts Robinson Thompson Wright "
    "Walker White Edwards Hughes Green Hall Lewis Harris Clarke Patel Jackson Wood Turner Martin Cooper Hill "
    "Ward Morris Moore Clark Lee King Baker Harrison Morgan Allen James Scott Phillips Watson Davis Parker "
    "Price Bennett Young Griffiths Mitchell Kelly Cook Carter Richardson Bailey Collins Bell Shaw Murphy Miller "
    "Cox Richards Khan Marshall Anderson Simpson Ellis Adams Singh Begum Ali Hussain Ahmed Okafor Nowak Kowalski"
).split()


def demo_exists() -> bool:
    trust = db.session.scalar(select(Trust).where(Trust.name == TRUST_NAME))
    if trust is None:
        return False
    return db.session.scalar(select(School).where(School.trust_id == trust.id, School.name == SCHOOL_NAME)) is not None


def load_demo(seed: int = 2026) -> bool:
    """Create the demo trust, school, staff, classes, pupils, progress and concerns.

    False if everything was already there. A demo school made before concerns existed gets its
    demo concerns added (once).
    """
    if not current_app.config.get("DEMO_DATA_ALLOWED"):
        raise RuntimeError("Demo data is never loaded in production.")
    if demo_exists():
        people = load_hillside_people(OTHER_SCHOOL, DEMO_PASSWORD)
        return load_demo_concerns() + _load_filtering() > 0 or people > 0
    rng = random.Random(seed)
    trust = Trust(name=TRUST_NAME)
    school = School(trust=trust, name=SCHOOL_NAME)
    db.session.add_all([trust, school])
    db.session.flush()

    classes: dict[str, SchoolClass] = {}
    for name, year, _size in CLASSES:
        classes[name] = SchoolClass(school_id=school.id, name=name, year_group=year,
                                    signin_token=auth_service.new_class_token())
    db.session.add_all(classes.values())
    db.session.flush()

    demo_hash = auth_service.hash_password(DEMO_PASSWORD)
    for username, (display, roles, taught) in DEMO_STAFF.items():
        staff = StaffUser(school_id=school.id, username=username, display_name=display,
                          email=f"{username}@demo-primary.example", password_hash=demo_hash)
        staff.role_rows = [StaffRole(role=r.value) for r in roles]
        db.session.add(staff)
        db.session.flush()
        for cname in taught:
            db.session.add(ClassTeacher(class_id=classes[cname].id, staff_id=staff.id))

    used: set[str] = set()
    for username, (first, last, cname, pictures) in DEMO_PUPILS.items():
        pupil = _pupil(school, classes[cname], first, last, username, rng)
        pupil.password_hash = demo_hash
        auth_service.set_picture_password(pupil, pictures)
        used.add(username)

    content = current_content()
    now = utcnow()
    _fill_classes(school, classes, CLASSES, used, demo_hash, content, rng, now)

    other = School(trust=trust, name=OTHER_SCHOOL)
    db.session.add(other)
    db.session.flush()
    other_classes = {}
    for name, year, _size in OTHER_CLASSES:
        other_classes[name] = SchoolClass(school_id=other.id, name=name, year_group=year,
                                          signin_token=auth_service.new_class_token())
    db.session.add_all(other_classes.values())
    db.session.flush()
    _fill_classes(other, other_classes, OTHER_CLASSES, used, demo_hash, content, rng, now)
    # The school has been running for a year: reports for earlier terms find its classes and pupils.
    a_year_ago = now - timedelta(days=365)
    for model in (SchoolClass, Pupil):
        db.session.execute(model.__table__.update().where(model.school_id.in_([school.id, other.id]))
                           .values(created_at=a_year_ago))
    db.session.flush()
    _pledges(school, random.Random(seed + 1), now)
    _pledges(other, random.Random(seed + 2), now)
    load_hillside_people(OTHER_SCHOOL, DEMO_PASSWORD)
    load_demo_concerns()
    _load_filtering()
    return True


def _load_filtering() -> int:
    """The filtering lead it.demo, two website reports, three monitoring alerts and a review."""
    from .filtering import demo as filtering_demo

    school = db.session.scalar(select(School).join(Trust).where(Trust.name == TRUST_NAME, School.name == SCHOOL_NAME))
    return filtering_demo.load(school, DEMO_PASSWORD)


def _fill_classes(school, classes, layout, used, demo_hash, content, rng, now) -> None:
    for cname, year, size in layout:
        school_class = classes[cname]
        demo_count = sum(1 for v in DEMO_PUPILS.values() if v[2] == cname)
        modules = content.modules_for_year(school_class.year_group)
        for _ in range(size - demo_count):
            first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
            username = _username(first, last, used)
            pupil = _pupil(school, school_class, first, last, username, rng)
            if year >= 3:
                # Every demo KS2 pupil uses the demo password, so any of them can be tried.
                pupil.password_hash = demo_hash
            auth_service.set_picture_password(pupil, auth_service.random_picture_password())
            _progress(pupil, modules, rng, now)
    db.session.flush()


PARENT_RELATIONSHIPS = ("parent", "parent", "parent", "carer", "grandparent")


def _pledges(school: School, rng: random.Random, now) -> None:
    """Most pupils have signed their band's pledge and many parents have acknowledged it, so the staff
    pages look like a real school's in October. The three demo pupils have not: they see the first-log-on
    journey. Some Year 6 pupils signed last year in Year 5, so their new key stage asks them again."""
    # The school started with the app last summer term; this school year began on 1 September.
    year_start = parents.start_of_school_year(now.date())
    published = year_start - timedelta(days=60)

    def this_year(low: float, high: float, after=year_start):
        return after + (now - after) * rng.uniform(low, high)

    by_key = {}
    for key, pledge in current_content().pledges.items():
        statements = versions.shipped_statements(pledge)
        by_key[key] = PledgeVersion(school_id=school.id, pledge=key, major=1, minor=0, change="first",
                                      source="shipped", shipped_version=pledge.version, title=pledge.title,
                                      statements=statements, text_sha256=versions.fingerprint(pledge.title, statements),
                                      published_at=published)
        db.session.add(by_key[key])
    db.session.flush()
    pupils = db.session.scalars(select(Pupil).where(Pupil.school_id == school.id).order_by(Pupil.id))
    expires = parents.end_of_school_year(now.date())
    for pupil in pupils:
        if pupil.username in DEMO_PUPILS:
            continue
        version = by_key[versions.pledge_key(pupil.band)]
        roll = rng.random()
        signed_at = this_year(0.05, 0.6)
        if pupil.band == "eop" and roll < 0.15:
            # Signed the KS2 pledge last year, in Year 5: Year 6 is a new key stage, so they sign again.
            db.session.add(PledgeSignature(
                pupil_id=pupil.id, school_id=school.id, class_id=None, class_name="Year 5", year_group=5, band="ks2",
                version_id=version.id, pledge=version.pledge, major=1, minor=0,
                text_sha256=service.text_hash(service.signed_text(
                    versions.text_of_version(version), lambda t: t)),
                language="en", method="name", typed_name=pupil.first_name,
                signed_at=year_start - timedelta(days=rng.randint(20, 50))))
        elif roll < 0.88:
            service.record_signature(pupil, version, signed_at=signed_at)
        parent_roll = rng.random()
        if parent_roll < 0.85:
            sent = this_year(0.1, 0.4)
            link = ParentLink(pupil_id=pupil.id, school_id=school.id, created_at=sent, expires_at=expires,
                              token_hash=service.text_hash(f"demo-parent-link:{pupil.id}:{rng.random()}"))
            db.session.add(link)
            db.session.flush()
            if parent_roll < 0.62:
                aup = current_content().parent_aup
                db.session.add(ParentAcknowledgement(
                    pupil_id=pupil.id, school_id=school.id, class_id=pupil.class_id, link_id=link.id,
                    parent_name=f"{rng.choice(FIRST_NAMES)} {pupil.last_name}",
                    relationship=rng.choice(PARENT_RELATIONSHIPS), aup_version=aup.version,
                    pledge_version_id=version.id, statements=[s.id for s in aup.acknowledgements],
                    text_sha256=service.text_hash(f"demo:{pupil.id}"), language="en",
                    acknowledged_at=this_year(0.1, 0.9, after=sent)))
    db.session.flush()


def _username(first: str, last: str, used: set[str]) -> str:
    base = f"{first}.{last[0]}".lower()
    name, n = base, 1
    while name in used:
        n += 1
        name = f"{base}{n}"
    used.add(name)
    return name


def _pupil(school: School, school_class: SchoolClass, first: str, last: str, username: str,
           rng: random.Random) -> Pupil:
    pupil = Pupil(school_id=school.id, class_id=school_class.id, first_name=first, last_name=last,
                  username=username, avatar="")
    rng.choice(range(12))  # the draw the old 12-picture choice made: the rest of the demo stays as it was
    looks.give_look(pupil, school_class.id, rng=random.Random(username))
    db.session.add(pupil)
    db.session.flush()
    return pupil


def _ease(question) -> float:
    """How often a question is answered right, relative to ability: some questions are harder."""
    return 0.62 + (zlib.crc32(question.id.encode()) % 38) / 100


def _progress(pupil: Pupil, modules, rng: random.Random, now) -> None:
    """Realistic work: most pupils have finished some modules, a few are stuck, some not begun."""
    ability = rng.uniform(0.45, 0.97)
    keen = rng.random()
    for module in modules:
        if rng.random() > 0.35 + 0.6 * keen:
            continue
        started = now - timedelta(days=rng.randint(3, 150), minutes=rng.randint(0, 600))
        progress = ModuleProgress(pupil_id=pupil.id, module_id=module.id, school_id=pupil.school_id,
                                  started_at=started, attempts=0, last_activity_at=started)
        db.session.add(progress)
        if rng.random() < 0.12:
            continue  # read the lesson, not done the quiz yet
        for n in range(rng.choice((1, 1, 1, 2, 2, 3))):
            answers, score = {}, 0
            for q in module.questions:
                right = rng.random() < ability * _ease(q)
                if right:
                    given = list(q.correct_answer)
                    score += 1
                elif q.is_order:
                    given = list(reversed(q.correct_answer))
                else:
                    # Most wrong answers go to the tempting one, as in a real class.
                    wrong = [c.id for c in q.choices if not c.correct]
                    given = [wrong[-1] if rng.random() < 0.7 else rng.choice(wrong)]
                answers[q.id] = given
            when = started + timedelta(days=n, minutes=rng.randint(3, 20))
            db.session.add(QuizAttempt(pupil_id=pupil.id, school_id=pupil.school_id, class_id=pupil.class_id,
                                       year_group=pupil.year_group, module_id=module.id, content_version=module.version, answers=answers,
                                       score=score, total=len(module.questions), started_at=when,
                                       finished_at=when + timedelta(minutes=rng.randint(2, 9))))
            progress.attempts += 1
            progress.completed_at = progress.completed_at or when
            progress.last_activity_at = when
            if progress.best_score is None or score > progress.best_score:
                progress.best_score, progress.best_total = score, len(module.questions)
            ability = min(0.99, ability + 0.08)


# Concerns for the DSL dashboard: realistic, age-appropriate, in every status. None is about the
# three demo pupils (they are new, so their home pages stay empty).
DEMO_CONCERNS = (
    # class, source, days ago, feeling, what, about, where, talk to, category, urgent, status, outcome, words
    ("Year 4", "pupil", 9, "sad", "unkind", "me", "game", "anyone", "bullying", False, "in_progress", None,
     "Some people in my class keep saying mean things about me in the game chat. "
     "They said I cant play with them any more and everyone laughed."),
    ("Year 6", "pupil", 1, "scared", "stranger", "me", "app", "dsl", "contact", True, "in_progress", None,
     "someone on a video app keeps messaging me. he says hes 13 and wants to meet at the park on saturday. "
     "he said dont tell anyone"),
    ("Year 1", "pupil", 0, "scared", "upset", "me", "home", None, "content", True, "new", None, None),
    ("Reception", "pupil", 0, "confused", "money", "me", "game", "teacher", "commerce", False, "new", None, None),
    ("Year 4", "staff", 21, None, None, None, "school", None, "conduct", False, "closed", "resolved_in_school",
     "In computing, a pupil showed a group a video on their tablet with a lot of swearing in it. They said an "
     "older cousin sent it to them. I closed the tablet and said I would pass it on."),
    ("Year 6", "staff", 4, None, None, None, "home", None, "commerce", False, "acknowledged", None,
     "At break a pupil told me they had spent about £80 of their mum's money on packs in a football game and "
     "were scared to tell her. They were upset and said they couldn't stop."),
    ("Year 4", "pupil", 30, "worried", "secrets", "someone_else", "app", "anyone", "contact", True, "closed",
     "social_care", "My friend said a girl online asked her to send a photo in her pyjamas and her address. "
     "My friend said its ok but I dont think it is"),
)
DEMO_INCIDENT = ("ICT suite", "During a Year 6 research lesson an image search showed unsuitable pictures "
                 "on three screens before the teacher closed them.",
                 "Screens closed at once; pupils reassured. Search terms and site reported to IT Support, who "
                 "added the site to the filter the same day. Letter to Year 6 parents about safe searching.")


def load_demo_concerns() -> int:
    """Add the demo concerns and incident that are missing (by their fixed keys). Returns how many."""
    from . import crypto
    from .concerns.models import AuditEvent, Concern, ConcernEntry, ConcernPupil, Incident
    from .records.demo import attach_screenshot

    trust = db.session.scalar(select(Trust).where(Trust.name == TRUST_NAME))
    school = db.session.scalar(select(School).where(School.trust_id == trust.id, School.name == SCHOOL_NAME))
    staff = {s.username: s for s in db.session.scalars(select(StaffUser).where(StaffUser.school_id == school.id))}
    dsl, classes = staff["dsl.demo"], {c.name: c for c in school.classes}
    # The first few ordinary pupils of each class (never the demo pupils), the same every time.
    ordinary = {name: [p for p in c.pupils if p.username not in DEMO_PUPILS] for name, c in classes.items()}
    used: dict[str, int] = {}
    now = utcnow()
    added = 0

    def view(concern, who, when, action="concern.viewed", detail=None):
        db.session.add(AuditEvent(school_id=school.id, actor_kind="staff", actor_id=who.id, actor_name=who.display_name,
                                  action=action, target="concern", target_id=concern.id, detail=detail, created_at=when))

    def entry(concern, kind, text, when, reason=None, who=None):
        db.session.add(ConcernEntry(concern_id=concern.id, kind=kind, text_enc=crypto.encrypt(text),
                                    reason_enc=crypto.encrypt(reason) if reason else None,
                                    author_id=(who or dsl).id, created_at=when))

    for n, (cname, source, days, feeling, what, about, where, talk, category, urgent, status, outcome,
            words) in enumerate(DEMO_CONCERNS, 1):
        index = used.get(cname, 0)
        used[cname] = index + 1
        pupil = ordinary[cname][index * 3]
        key = f"demo-concern-{n:04d}"
        if db.session.scalar(select(Concern.id).where(Concern.idempotency_key == key)) is not None:
            continue
        created = now - timedelta(days=days, hours=2 + n)
        teacher = next((s for s in staff.values() if classes[cname] in s.classes and not s.has_role(Role.DSL)), dsl)
        concern = Concern(
            school_id=school.id, pupil_id=pupil.id, class_id=pupil.class_id, class_name=pupil.class_name,
            year_group=pupil.year_group, source=source,
            logged_by_id=teacher.id if source == "staff" else None, idempotency_key=key, created_at=created,
            occurred_at=created - timedelta(hours=1) if source == "staff" else None, feeling=feeling, what=what,
            about=about, location=where, talk_to=("staff" if talk in ("dsl", "teacher") else talk),
            talk_to_staff_id={"dsl": dsl.id, "teacher": teacher.id}.get(talk),
            words_enc=crypto.encrypt(words) if words else None, category=category, urgent=urgent, status=status,
            outcome=outcome, assigned_to_id=dsl.id if status != "new" else None,
            read_at=created + timedelta(minutes=40) if status != "new" else None,
            closed_at=created + timedelta(days=6) if status == "closed" else None, updated_at=created)
        db.session.add(concern)
        db.session.flush()
        db.session.add(AuditEvent(
            school_id=school.id, actor_kind="pupil" if source == "pupil" else "staff",
            actor_id=pupil.id if source == "pupil" else teacher.id,
            actor_name=pupil.full_name if source == "pupil" else teacher.display_name,
            action="concern.sent" if source == "pupil" else "concern.logged", target="concern", target_id=concern.id,
            created_at=created))
        added += 1
        if status == "new":
            continue
        seen = created + timedelta(minutes=40)
        view(concern, dsl, seen)
        entry(concern, "change", "Status: New → Acknowledged; Assigned to " + dsl.display_name, seen)
        if n == 1:
            other = ordinary[cname][1]
            db.session.add(ConcernPupil(concern_id=concern.id, pupil_id=other.id, added_by_id=dsl.id, created_at=seen))
            entry(concern, "conversation", f"Spoke with {pupil.first_name} in the library. {pupil.first_name} "
                  "showed me the messages on a tablet with a parent's help: several pupils in a game group chat.",
                  seen + timedelta(hours=3))
            entry(concern, "decision", "Speak to the pupils involved and their parents; class teacher to run "
                  "the kind-online lesson with Year 4 this week.", seen + timedelta(hours=4),
                  reason="Repeated unkind messages from a group: cyber-bullying under section 6 of the policy.")
            concern.parents_informed_on = (seen + timedelta(days=1)).date()
            entry(concern, "change", "Parents or carers informed: " + concern.parents_informed_on.strftime("%d/%m/%Y"),
                  seen + timedelta(days=1))
        elif n == 2:
            entry(concern, "action", "Spoke with the pupil at once. Screenshots of the messages kept; the account "
                  "blocked and reported in the app with a parent.", seen + timedelta(minutes=30))
            attach_screenshot(dsl, concern, seen + timedelta(minutes=30))
            entry(concern, "decision", "Refer to children's social care and inform the police.",
                  seen + timedelta(hours=1), reason="An unknown adult arranging to meet a child and asking for "
                  "secrecy: possible grooming.")
            concern.social_care_on = concern.police_on = concern.parents_informed_on = seen.date()
            entry(concern, "change", "Parents or carers informed; referral to children's social care; police "
                  "informed: " + seen.strftime("%d/%m/%Y"), seen + timedelta(hours=2))
        elif n == 5:
            entry(concern, "action", "Spoke to the pupil and to their parents at home time; the video was deleted "
                  "from the tablet.", seen + timedelta(days=1), who=dsl)
            entry(concern, "change", "Status: Acknowledged → Closed; Outcome: Resolved in school",
                  seen + timedelta(days=6), reason="Parents supportive; no further sharing seen.")
        elif n == 7:
            entry(concern, "action", "Spoke with both girls separately; the other pupil's parents called.",
                  seen + timedelta(hours=2))
            entry(concern, "change", "Status: Acknowledged → Closed; Outcome: Referred to children's social care",
                  seen + timedelta(days=6), reason="Referral accepted by children's social care; school to "
                  "support both pupils.")
            concern.social_care_on = concern.parents_informed_on = (seen + timedelta(days=1)).date()
        view(concern, dsl, seen + timedelta(days=1, hours=1))

    if db.session.scalar(select(Incident.id).where(Incident.idempotency_key == "demo-incident-0001")) is None:
        where, description, action = DEMO_INCIDENT
        teacher = staff["teacher.early"]
        when = now - timedelta(days=12)
        incident = Incident(school_id=school.id, idempotency_key="demo-incident-0001", occurred_on=when.date(),
                            location_enc=crypto.encrypt(where), description_enc=crypto.encrypt(description),
                            action_enc=crypto.encrypt(action), recorded_by_id=teacher.id, created_at=when)
        db.session.add(incident)
        db.session.flush()
        db.session.add(AuditEvent(school_id=school.id, actor_kind="staff", actor_id=teacher.id,
                                  actor_name=teacher.display_name, action="incident.recorded", target="incident",
                                  target_id=incident.id, created_at=when))
        added += 1
    db.session.flush()
    return added
