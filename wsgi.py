"""WSGI entry point: ``gunicorn wsgi:app`` runs the production settings, always.

Production refuses to start without SECRET_KEY, DATABASE_URL and APP_BASE_URL. Development is
chosen explicitly: ``make run`` (``flask --app pupil_app``) and the tests call ``create_app`` with
their own settings.
"""

from pupil_app import create_app

app = create_app("production")
