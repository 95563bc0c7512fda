"""Sign-in forms. Length limits here are the server-side checks; the HTML repeats them as hints."""

from flask_babel import lazy_gettext as _l, lazy_pgettext
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


class SsoStartForm(FlaskForm):
    """Staff single sign-on: the school email address picks the school's Google or Microsoft sign-in."""

    email = StringField(_l("Your school email address"), validators=[
        DataRequired(_l("Type your school email address.")),
        Length(max=254, message=_l("That email address is too long.")),
    ])


class StaffSignInForm(FlaskForm):
    """The staff sign-in form: the same words in English, addressed to an adult in Welsh ("chi")."""

    username = StringField(lazy_pgettext("staff", "Username"), validators=[
        DataRequired(lazy_pgettext("staff", "Type your username.")),
        Length(max=MAX_USERNAME, message=lazy_pgettext("staff", "That username is too long.")),
    ])
    password = PasswordField(lazy_pgettext("staff", "Password"), validators=[
        DataRequired(lazy_pgettext("staff", "Type your password.")),
        Length(max=MAX_PASSWORD, message=lazy_pgettext("staff", "That password is too long.")),
    ])
