"""Staff forms for concerns. Pupils' screens post plain buttons checked by the service (no typing needed).

Limits here are the server-side checks (the service checks again); the HTML repeats them as hints.
Every select only accepts its own choices, so a forged value is refused before it reaches the service.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, DateTimeLocalField, HiddenField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional, Regexp

from . import labels
from .models import CATEGORIES, ENTRY_KINDS, MARKERS, OUTCOMES, STAFF_LOCATIONS, STATUSES
from .service import KEY_RE, MAX_ENTRY, MAX_INCIDENT_LOCATION, MAX_REASON, MAX_STAFF_TEXT

_key = [DataRequired(_l("This form is out of date. Please reload the page.")),
        Regexp(KEY_RE, message=_l("This form is out of date. Please reload the page."))]


def _choices(mapping: dict, keys) -> list[SelectChoice]:
    return [SelectChoice(k, mapping[k]) for k in keys]


def _coerce_int_or_none(value):
    if value in (None, "", "0"):
        return None
    return int(value)


class LogConcernForm(FlaskForm):
    pupil = SelectField(_l("Pupil"), coerce=_coerce_int_or_none, validators=[DataRequired(_l("Choose the pupil."))])
    category = SelectField(_l("What kind of concern"), choices=_choices(labels.CATEGORIES, CATEGORIES))
    location = SelectField(_l("Where it happened"), choices=_choices(labels.LOCATIONS, STAFF_LOCATIONS))
    occurred_at = DateTimeLocalField(_l("When it happened"), format="%Y-%m-%dT%H:%M", validators=[Optional()])
    account = TextAreaField(_l("What you saw or heard"), validators=[
        DataRequired(_l("Say what you saw or heard.")),
        Length(max=MAX_STAFF_TEXT, message=_l("That text is too long (at most %(max)d characters).")),
    ])
    urgent = BooleanField(_l("Urgent: a child may be at risk of harm now"))
    key = HiddenField(validators=_key)


class IncidentForm(FlaskForm):
    occurred_on = DateField(_l("Date of the incident"), validators=[DataRequired(_l("Give the date."))])
    location = StringField(_l("Where the incident took place"), validators=[
        DataRequired(_l("Say where it happened.")),
        Length(max=MAX_INCIDENT_LOCATION, message=_l("That text is too long (at most %(max)d characters).")),
    ])
    description = TextAreaField(_l("Description of the incident"), validators=[
        DataRequired(_l("Describe the incident.")),
        Length(max=MAX_STAFF_TEXT, message=_l("That text is too long (at most %(max)d characters).")),
    ])
    action = TextAreaField(_l("Action taken"), validators=[
        Optional(), Length(max=MAX_STAFF_TEXT, message=_l("That text is too long (at most %(max)d characters).")),
    ])
    key = HiddenField(validators=_key)


class EntryForm(FlaskForm):
    kind = SelectField(_l("Kind"), choices=_choices(labels.ENTRY_KINDS, [k for k in ENTRY_KINDS if k != "change"]))
    text = TextAreaField(_l("What was done, said or decided"), validators=[
        DataRequired(_l("Write what was done or decided.")),
        Length(max=MAX_ENTRY, message=_l("That text is too long (at most %(max)d characters).")),
    ])
    reason = TextAreaField(_l("Reason (a decision needs one)"), validators=[
        Optional(), Length(max=MAX_REASON, message=_l("That text is too long (at most %(max)d characters).")),
    ])
    happened_at = DateTimeLocalField(_l("When it happened (leave empty for now)"), validators=[Optional()],
                                     format="%Y-%m-%dT%H:%M")
    corrects = SelectField(_l("This entry corrects"), coerce=_coerce_int_or_none, validators=[Optional()])


class HandlingForm(FlaskForm):
    status = SelectField(_l("Status"), choices=_choices(labels.STATUSES, STATUSES))
    outcome = SelectField(_l("Outcome (when closing)"), choices=[SelectChoice("", "—")] + _choices(labels.OUTCOMES, OUTCOMES))
    assigned_to = SelectField(_l("Assigned DSL"), coerce=_coerce_int_or_none)
    category = SelectField(_l("Category"), choices=_choices(labels.CATEGORIES, CATEGORIES))
    urgent = BooleanField(_l("Urgent"))
    reason = TextAreaField(_l("Reason for the change"), validators=[
        Optional(), Length(max=MAX_REASON, message=_l("That text is too long (at most %(max)d characters).")),
    ])


class MarkersForm(FlaskForm):
    parents_informed_on = DateField(labels.MARKERS["parents_informed_on"], validators=[Optional()])
    social_care_on = DateField(labels.MARKERS["social_care_on"], validators=[Optional()])
    police_on = DateField(labels.MARKERS["police_on"], validators=[Optional()])
    early_help_on = DateField(labels.MARKERS["early_help_on"], validators=[Optional()])
    reason = TextAreaField(_l("Note (optional)"), validators=[
        Optional(), Length(max=MAX_REASON, message=_l("That text is too long (at most %(max)d characters).")),
    ])

    def values(self) -> dict:
        return {m: getattr(self, m).data for m in MARKERS}


class LinkPupilForm(FlaskForm):
    pupil = SelectField(_l("Another pupil involved"), coerce=_coerce_int_or_none,
                        validators=[DataRequired(_l("Choose the pupil."))])
