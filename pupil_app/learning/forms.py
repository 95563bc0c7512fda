"""Forms of the learning domain's teacher pages."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, SelectField
from wtforms.validators import DataRequired, Optional


class AssignForm(FlaskForm):
    """Set a module for a class; both dates are optional. The view fills ``module.choices``."""

    module = SelectField(_l("Module"), validators=[DataRequired(_l("Choose a module."))], validate_choice=True)
    starts_on = DateField(_l("Pupils see it from (optional)"), validators=[Optional()])
    due_on = DateField(_l("Due by (optional)"), validators=[Optional()])
