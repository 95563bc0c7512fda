"""Forms of the second-factor pages; length limits here are the server-side checks."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional

from .mfa import MAX_CODE, MAX_NAME, RESET_REASONS


class CodeForm(FlaskForm):
    code = StringField(_l("Code"), validators=[DataRequired(_l("Type the code.")),
                                               Length(max=MAX_CODE, message=_l("That code is too long."))])


class TotpSetupForm(CodeForm):
    name = StringField(_l("Name of this device (optional)"), validators=[
        Optional(), Length(max=MAX_NAME, message=_l("Use at most 60 characters."))])


RESET_REASON_LABELS = {
    "lost_device": _l("Lost or broken device"),
    "new_device": _l("New phone or computer"),
    "locked_out": _l("Locked out: no recovery codes left"),
    "other": _l("Other"),
}


class ResetForm(FlaskForm):
    reason = SelectField(_l("Why"), choices=[SelectChoice(r, RESET_REASON_LABELS[r]) for r in RESET_REASONS],
                         validators=[DataRequired()])


class TeachersSettingForm(FlaskForm):
    required = BooleanField(_l("Teachers must use a second factor too"))
