"""Sign-in forms. Length limits here are the server-side checks; the HTML repeats them as hints."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length

from .service import MAX_PASSWORD, MAX_USERNAME


class PasswordSignInForm(FlaskForm):
    username = StringField(_l("Username"), validators=[
        DataRequired(_l("Type your username.")),
        Length(max=MAX_USERNAME, message=_l("That username is too long.")),
    ])
    password = PasswordField(_l("Password"), validators=[
        DataRequired(_l("Type your password.")),
        Length(max=MAX_PASSWORD, message=_l("That password is too long.")),
    ])

