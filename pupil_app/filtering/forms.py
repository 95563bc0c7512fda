"""Staff forms of filtering and monitoring. Lengths here are the server-side checks (the services
check again); every select only accepts its own choices."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    DateField,
    DateTimeLocalField,
    FieldList,
    Form,
    FormField,
    HiddenField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional, Regexp

from ..concerns import labels as concern_labels
from . import labels
from .models import (
    ACTION_KINDS,
    CHECK_OUTCOMES,
    MAX_ADDRESS,
    MAX_DEVICE,
    MAX_NAME,
    MAX_SOURCE,
    MAX_TEXT,
    REQUESTS,
    STANDARDS,
)
from .reports import KEY_RE
from .triage import CONCERN_CATEGORIES

TOO_LONG = _l("That text is too long (at most %(max)d characters).")
OUT_OF_DATE = _l("This form is out of date. Please reload the page.")


def _choices(mapping: dict, keys) -> list[SelectChoice]:
    return [SelectChoice(k, mapping[k]) for k in keys]


def _int_or_none(value):
    if value in (None, "", "0"):
        return None
    return int(value)


class ReportForm(FlaskForm):
    address = StringField(_l("The website's address, or the app's name"), validators=[
        DataRequired(_l("Give the website's address (or the app's name).")), Length(max=MAX_ADDRESS, message=TOO_LONG)])
    device = StringField(_l("Device or room"), validators=[
        DataRequired(_l("Say which device or room.")), Length(max=MAX_DEVICE, message=TOO_LONG)])
    occurred_at = DateTimeLocalField(_l("When"), format="%Y-%m-%dT%H:%M", validators=[
        DataRequired(_l("Give the date and time."))])
    seen = TextAreaField(_l("What was seen"), validators=[
        DataRequired(_l("Say what was seen.")), Length(max=MAX_TEXT, message=TOO_LONG)])
    request = RadioField(_l("What should happen"), choices=_choices(labels.REQUESTS, REQUESTS),
                         validators=[DataRequired(_l("Choose whether it should be blocked or was wrongly blocked."))])
    child_involved = BooleanField(_l("A child saw it, or a child may be at risk (the DSL is told too)"))
    key = HiddenField(validators=[DataRequired(OUT_OF_DATE), Regexp(KEY_RE, message=OUT_OF_DATE)])


class ActionForm(FlaskForm):
    kind = RadioField(_l("What was done"), choices=_choices(labels.ACTIONS, ACTION_KINDS),
                      validators=[DataRequired(_l("Choose what was done from the list."))])
    done_at = DateTimeLocalField(_l("When it was done"), format="%Y-%m-%dT%H:%M", validators=[
        DataRequired(_l("Give the date and time."))])
    note = TextAreaField(_l("Note (the reason, for no change)"), validators=[
        Optional(), Length(max=MAX_TEXT, message=TOO_LONG)])


class LinkForm(FlaskForm):
    pupil = SelectField(_l("Pupil"), coerce=_int_or_none, validators=[DataRequired(_l("Choose the pupil."))])


class DismissForm(FlaskForm):
    reason = TextAreaField(_l("Reason for dismissing"), validators=[
        DataRequired(_l("Give the reason for dismissing the alert.")), Length(max=MAX_TEXT, message=TOO_LONG)])


class MakeConcernForm(FlaskForm):
    category = SelectField(_l("Category"), choices=_choices(concern_labels.CATEGORIES, CONCERN_CATEGORIES))
    key = HiddenField(validators=[DataRequired(OUT_OF_DATE), Regexp(KEY_RE, message=OUT_OF_DATE)])


class UploadForm(FlaskForm):
    source = StringField(_l("Monitoring system the log comes from"), validators=[
        DataRequired(_l("Name the monitoring system the log comes from.")), Length(max=MAX_SOURCE, message=TOO_LONG)])
    file = FileField(_l("Exported alert log (CSV)"), validators=[FileRequired(_l("Choose the CSV file."))])


class TokenForm(FlaskForm):
    label = StringField(_l("Monitoring system"), validators=[
        DataRequired(_l("Name the monitoring system (for example AB Tutor).")),
        Length(max=MAX_SOURCE, message=TOO_LONG)])


class CheckForm(Form):
    outcome = RadioField(_l("Outcome"), choices=_choices(labels.OUTCOMES, CHECK_OUTCOMES),
                         validators=[DataRequired(_l("Say for every standard whether it is met."))])
    note = TextAreaField(_l("What was checked"), validators=[Optional(), Length(max=MAX_TEXT, message=TOO_LONG)])


class ReviewActionForm(Form):
    text = StringField(_l("Action"), validators=[Optional(), Length(max=500, message=TOO_LONG)])
    owner = StringField(_l("Owner"), validators=[Optional(), Length(max=MAX_NAME, message=TOO_LONG)])
    due_on = DateField(_l("By"), validators=[Optional()])


class ReviewForm(FlaskForm):
    reviewed_on = DateField(_l("Date of the review"), validators=[DataRequired(_l("Give the date of the review."))])
    senior_leader = StringField(_l("Senior leader responsible"), validators=[
        DataRequired(_l("Name the senior leader responsible.")), Length(max=MAX_NAME, message=TOO_LONG)])
    governor = StringField(_l("Governor responsible"), validators=[
        DataRequired(_l("Name the governor responsible.")), Length(max=MAX_NAME, message=TOO_LONG)])
    checks = FieldList(FormField(CheckForm), min_entries=len(STANDARDS), max_entries=len(STANDARDS))
    actions = FieldList(FormField(ReviewActionForm), min_entries=4, max_entries=4)

    def check_values(self) -> dict[str, tuple[str, str | None]]:
        return {s: (f.outcome.data, f.note.data) for s, f in zip(STANDARDS, self.checks)}

    def action_values(self) -> list:
        return [(f.text.data, f.owner.data, f.due_on.data) for f in self.actions]
