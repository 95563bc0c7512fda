"""The yardstick: plain Flask rendering a template of the same size as the lesson page."""

import os
from pathlib import Path

from flask import Flask, render_template_string

app = Flask(__name__)
# The lesson page's own HTML, wrapped in {% raw %} so Jinja renders it as one template of that size.
TEMPLATE = "{% raw %}" + Path(os.environ["BARE_TEMPLATE"]).read_text() + "{% endraw %}"


@app.get("/")
def page():
    return render_template_string(TEMPLATE)
