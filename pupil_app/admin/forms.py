"""Admin forms. Length limits here are the server-side checks (the service checks content too)."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, HiddenField, PasswordField, SelectField, SelectMultipleField, StringField
from wtforms.validators import DataRequired, InputRequired, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from ..auth.service import MAX_PASSWORD
from .service import MAX_CLASS_NAME, MAX_DISPLAY_NAME, MAX_EMAIL, MAX_PERSON_NAME, MAX_SCHOOL_NAME


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def year_choices():
    return [(0, _l("Reception"))] + [(y, _l("Year %(number)s", number=y)) for y in range(1, 7)]


class SchoolForm(FlaskForm):
    name = StringField(_l("School name"), validators=[
        DataRequired(_l("Type the school's name.")),
        Length(max=MAX_SCHOOL_NAME, message=_l("Use at most %(max)d characters."))])


class ClassForm(FlaskForm):
    name = StringField(_l("Class name"), validators=[
        DataRequired(_l("Type the class's name.")),
        Length(max=MAX_CLASS_NAME, message=_l("Use at most %(max)d characters."))])
    year_group = SelectField(_l("Year group"), coerce=int, validators=[InputRequired(_l("Choose a year group."))])
    teachers = MultiCheckboxField(_l("Teachers"), coerce=int, validate_choice=True)

    def __init__(self, *args, teacher_choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.year_group.choices = year_choices()
        self.teachers.choices = list(teacher_choices)


class StaffForm(FlaskForm):
    username = StringField(_l("Username"), validators=[
        DataRequired(_l("Type a username.")), Length(max=60, message=_l("Use at most %(max)d characters."))])
    display_name = StringField(_l("Name as pupils and colleagues know it"), validators=[
        DataRequired(_l("Type the staff member's name.")),
        Length(max=MAX_DISPLAY_NAME, message=_l("Use at most %(max)d characters."))])
    email = StringField(_l("Email (optional)"), validators=[
        Optional(), Length(max=MAX_EMAIL, message=_l("Use at most %(max)d characters."))])
    roles = MultiCheckboxField(_l("Roles"), validate_choice=True)
    classes = MultiCheckboxField(_l("Classes they teach"), coerce=int, validate_choice=True)

    def __init__(self, *args, role_choices=(), class_choices=(), editing=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.roles.choices = list(role_choices)
        self.classes.choices = list(class_choices)
        if editing:
            del self.username


class PupilForm(FlaskForm):
    first_name = StringField(_l("First name"), validators=[
        DataRequired(_l("Type the first name.")),
        Length(max=MAX_PERSON_NAME, message=_l("Use at most %(max)d characters."))])
    last_name = StringField(_l("Last name"), validators=[
        DataRequired(_l("Type the last name.")),
        Length(max=MAX_PERSON_NAME, message=_l("Use at most %(max)d characters."))])
    class_id = SelectField(_l("Class"), coerce=int, validators=[InputRequired(_l("Choose a class."))])
    upn = StringField(_l("UPN (optional)"), validators=[
        Optional(), Length(max=13, message=_l("A UPN has 13 characters."))])
    language = SelectField(_l("Language of the pages"), validators=[Optional()])
    namesake_ok = BooleanField(_l("A different child with the same name"))

    def __init__(self, *args, class_choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.class_id.choices = list(class_choices)
        self.language.choices = [("", _l("As the school's default")), ("en", "English"), ("cy", "Cymraeg"),
                                 ("pl", "Polski"), ("ro", "Română"), ("ur", "اردو"), ("ar", "العربية")]


class ImportForm(FlaskForm):
    file = FileField(_l("CSV file"), validators=[FileRequired(_l("Choose the CSV file to import."))])


class ApplyImportForm(FlaskForm):
    """Apply a previewed import (the batch id is in the URL)."""


class RolloverForm(FlaskForm):
    """The rollover, confirmed by typing the year it prepares (class names and kept teachers are read
    from the preview's own fields)."""

    academic_year = HiddenField()
    typed = StringField(_l("Type the new school year, for example 2026/27, to confirm"),
                        validators=[DataRequired(_l("Type the new school year to confirm.")), Length(max=20)])


class SetPasswordForm(FlaskForm):
    password = PasswordField(_l("New password"), validators=[
        DataRequired(_l("Type a password.")), Length(max=MAX_PASSWORD, message=_l("Use at most %(max)d characters."))])
    confirm = PasswordField(_l("The same password again"), validators=[
        DataRequired(_l("Type the password again.")),
        Length(max=MAX_PASSWORD, message=_l("Use at most %(max)d characters."))])


class SearchForm(FlaskForm):
    class Meta:
        csrf = False

    q = StringField(_l("Search"), validators=[Optional(), Length(max=60)])
    class_id = SelectField(_l("Class"), coerce=int, validators=[Optional()])
    left = BooleanField(_l("Include pupils who have left"))

    def __init__(self, *args, class_choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.class_id.choices = [(0, _l("All classes"))] + list(class_choices)
