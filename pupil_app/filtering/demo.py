"""The demo school's filtering and monitoring: the filtering lead (``it.demo``), two websites reported
(one blocked, one waiting), three monitoring alerts and last year's review. Idempotent: each piece is
added only when missing (fixed keys), so loading the demo again changes nothing."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from .. import crypto
from ..auth import service as auth_service
from ..extensions import db
from ..schools.models import Role, School, StaffRole, StaffUser
from ..timeutil import utcnow
from .models import FilterAction, FilteringReview, FilterReport, MonitoringAlert, ReviewAction, ReviewCheck
from .review import next_due

IT_USERNAME = "it.demo"
REPORTS = (
    # key, reporter, days ago, address, device, seen, request, child involved, action (kind, note) or None
    ("demo-filter-report-1", "teacher.demo", 12, "https://free-games-unblocked.example/zombie", "Year 4 laptop trolley",
     "A game site with gory adverts opened from a search for 'maths games'. Two children saw the advert.", "block",
     True, ("blocked", "Added the domain to the Smoothwall block list; category 'games - violent' checked.")),
    ("demo-filter-report-2", "teacher.early", 3, "https://www.woodlandtrust.example/kids/minibeasts",
     "Year 6 classroom PC", "The Woodland Trust minibeast pages are blocked as 'social networking'; needed for "
     "science next week.", "unblock", False, None),
)
ALERTS = (
    # source id, hours ago, severity, device, user, category, summary
    ("ABT-20460", 5, "high", "Y6-PC-04", "y6.demo", "Keyword: self-harm", "Search typed: 'how to hurt yourself'"),
    ("ABT-20458", 30, "medium", "ICT-SUITE-11", "ks2.demo", "Website: chat", "Visited an anonymous chat site"),
    ("ABT-20431", 80, "low", "HALL-TABLET-2", "teacher.demo", "Keyword: violence",
     "Typed 'war' while researching the Second World War"),
)


def _it_lead(school: School, password_hash: str) -> StaffUser:
    staff = db.session.scalar(select(StaffUser).where(StaffUser.username == IT_USERNAME))
    if staff is None:
        staff = StaffUser(school_id=school.id, username=IT_USERNAME, display_name="Mr Gareth Lloyd (IT support)",
                          email=f"{IT_USERNAME}@demo-primary.example", password_hash=password_hash)
        staff.role_rows = [StaffRole(role=Role.FILTERING_LEAD.value)]
        db.session.add(staff)
        db.session.flush()
    return staff


def load(school: School, password: str) -> int:
    """Add what is missing; returns how many pieces were added."""
    staff = {s.username: s for s in db.session.scalars(select(StaffUser).where(StaffUser.school_id == school.id))}
    added = 0
    if IT_USERNAME not in staff:
        staff[IT_USERNAME] = _it_lead(school, auth_service.hash_password(password))
        added += 1
    it, now = staff[IT_USERNAME], utcnow()
    for key, reporter, days, address, device, seen, request, child, action in REPORTS:
        if db.session.scalar(select(FilterReport.id).where(FilterReport.idempotency_key == key)) is not None:
            continue
        when = now - timedelta(days=days)
        report = FilterReport(school_id=school.id, source="staff", reported_by_id=staff[reporter].id,
                              idempotency_key=key, address_enc=crypto.encrypt(address), device=device,
                              occurred_at=when, seen_enc=crypto.encrypt(seen), request=request, child_involved=child,
                              created_at=when + timedelta(minutes=10))
        db.session.add(report)
        db.session.flush()
        if action:
            db.session.add(FilterAction(report_id=report.id, kind=action[0], done_at=when + timedelta(hours=2),
                                        note_enc=crypto.encrypt(action[1]), recorded_by_id=it.id,
                                        created_at=when + timedelta(hours=2)))
        added += 1
    for source_id, hours, severity, device, user, category, summary in ALERTS:
        if db.session.scalar(select(MonitoringAlert.id).where(
                MonitoringAlert.school_id == school.id, MonitoringAlert.source == "AB Tutor",
                MonitoringAlert.source_id == source_id)) is not None:
            continue
        when = now - timedelta(hours=hours)
        db.session.add(MonitoringAlert(school_id=school.id, source="AB Tutor", source_id=source_id, severity=severity,
                                       occurred_at=when, device=device, user_enc=crypto.encrypt(user),
                                       category=category, summary_enc=crypto.encrypt(summary), via="api",
                                       received_at=when + timedelta(minutes=1)))
        added += 1
    if db.session.scalar(select(FilteringReview.id).where(FilteringReview.school_id == school.id)) is None:
        reviewed = (now - timedelta(days=340)).date()
        db.session.add(FilteringReview(
            school_id=school.id, reviewed_on=reviewed, senior_leader="Mrs Sarah Whitfield (headteacher)",
            governor="Mr Rajesh Patel (safeguarding governor)", next_due_on=next_due(reviewed),
            recorded_by_id=it.id,
            checks=[ReviewCheck(standard="roles", outcome="met", note="DSL, filtering lead and governor named."),
                    ReviewCheck(standard="review", outcome="met", note="This review."),
                    ReviewCheck(standard="filtering", outcome="partly",
                                note="Smoothwall tested with the SWGfL test site; YouTube restricted mode off in KS2."),
                    ReviewCheck(standard="monitoring", outcome="met", note="AB Tutor alerts reach the DSL daily.")],
            actions=[ReviewAction(text="Turn on YouTube restricted mode for KS2 devices", owner="IT support",
                                  due_on=reviewed + timedelta(days=30), done_on=reviewed + timedelta(days=12)),
                     ReviewAction(text="Train lunchtime staff to report a website", owner="Online safety lead",
                                  due_on=reviewed + timedelta(days=400))]))
        added += 1
    db.session.flush()
    return added
