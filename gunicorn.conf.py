"""gunicorn settings read by ``gunicorn wsgi:app`` from this folder: access lines without secrets.

Request paths can carry a badge, class, parent, set-password or Tell-an-adult token, and the DSL's
search words are in the query string: pupil_app.logredact.RedactingLogger writes them as [redacted]
(turn the access log on with ``--access-logfile -``).
"""

logger_class = "pupil_app.logredact.RedactingLogger"
access_log_format = '%(h)s %(t)s "%(r)s" %(s)s %(b)s %(L)ss'
