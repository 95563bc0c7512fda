"""The ``auth`` blueprint: signing in and out, and the sign-in cards and posters staff print."""

from flask import Blueprint

bp = Blueprint("auth", __name__, template_folder="../templates")
