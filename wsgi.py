"""WSGI entry point: ``gunicorn wsgi:app``."""

from pupil_app import create_app

app = create_app()
