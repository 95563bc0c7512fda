"""The learning blueprint, shared by the pupils' pages (views) and the teachers' (teach_views, assign_views)."""

from flask import Blueprint

bp = Blueprint("learning", __name__, url_prefix="/learn", template_folder="templates")
