"""Forms of safeguarding records; the limits here are the server-side checks."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, SelectField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length

from .tasks import MAX_TEXT

KIND_LABELS = {"task": _l("Task"), "review": _l("Review date")}


class TaskForm(FlaskForm):
    kind = SelectField(_l("Kind"), choices=[SelectChoice(k, v) for k, v in KIND_LABELS.items()])
    text = TextAreaField(_l("What is to be done"), validators=[
        DataRequired(_l("Say what is to be done.")), Length(max=MAX_TEXT, message=_l("Use at most 500 characters."))])
    owner = SelectField(_l("Who"), coerce=int, validate_choice=False)
    due_on = DateField(_l("Due"), validators=[DataRequired(_l("Choose a date."))])
