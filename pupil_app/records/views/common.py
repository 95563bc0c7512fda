"""The ``records`` blueprint: a concern's files, tasks and reviews, and the DSL's safeguarding home."""

from flask import Blueprint

bp = Blueprint("records", __name__, template_folder="../templates")
