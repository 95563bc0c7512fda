"""Forms shared by every domain."""

from flask_wtf import FlaskForm


class ConfirmForm(FlaskForm):
    """A form that posts only its CSRF token plus buttons read from the request (picture taps, 'That's me')."""
