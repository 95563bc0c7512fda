"""Pledge forms. The rules that matter (whose signature, which version, every tick) live in service.py;
these forms carry the CSRF token and the size limits, which the HTML repeats as hints."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, HiddenField, RadioField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, Optional

from .rules import MAX_NOTE, MAX_PARENT_NAME, MAX_TYPED_NAME, RELATIONSHIPS


class PromiseForm(FlaskForm):
    """'I promise' on one screen: which promise of which version."""

    promise = HiddenField()
    version = HiddenField()


class SignForm(FlaskForm):
    """The last screen: KS2 pupils type their first name; EYFS/KS1 pupils tap the big button."""

    version = HiddenField()
    text_hash = HiddenField()
    pupil = HiddenField()
    name = StringField(_l("Your first name"), validators=[Optional(), Length(max=MAX_TYPED_NAME)])


class ParentForm(FlaskForm):
    parent_name = StringField(_l("Your name"), validators=[Optional(), Length(max=MAX_PARENT_NAME)])
    relationship = SelectField(_l("You are the child's"), validate_choice=False, choices=[
        SelectChoice("", _l("Choose...")), *(SelectChoice(value, label) for value, label in RELATIONSHIPS.items())])


class PublishForm(FlaskForm):
    change = RadioField(_l("What kind of change is this?"), validate_choice=False, choices=[
        SelectChoice("minor", _l("A small wording fix: pupils who have signed do not sign again")),
        SelectChoice("major", _l("A real change: every pupil using this pledge signs again at their next sign-in")),
    ])
    note = StringField(_l("What changed (optional, for your records)"), validators=[Optional(), Length(max=MAX_NOTE)])


class ResignForm(FlaskForm):
    resign_from = DateField(_l("Every pupil signs again from"), validators=[Optional()])
