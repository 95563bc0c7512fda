"""The rules content must follow: bands, categories, question types per band, text limits."""

from __future__ import annotations

import re

BANDS = ("ks1", "ks2", "eop")
CATEGORIES = ("content", "contact", "conduct", "commerce")
BAND_TYPES = {
    "ks1": {"pick_picture", "safe_or_not", "yes_no"},
    "ks2": {"multiple_choice", "scenario", "true_false", "order"},
    "eop": {"multiple_choice", "scenario", "true_false", "order"},
}
ID_RE = re.compile(r"^[a-z0-9][a-z0-9.-]*$")
PICTURE_RE = re.compile(r"^[a-z0-9][a-z0-9-]*\.svg$")
MAX_PICTURE_BYTES = 16 * 1024
MAX_TEXT = {"title": 80, "summary": 140, "text": 400, "alt": 200, "prompt": 300, "explain": 400, "scenario": 500,
            "discuss": 200, "notes": 400}
# Pledges: a promise fits one screen for a child; the parent statements are the policy's own sentences.
PLEDGE_IDS = ("ks1", "ks2")
PLEDGE_SIGN = ("tap", "name")
MAX_PLEDGE_TEXT = {"title": 80, "intro": 300, "text": 240, "why": 140, "alt": 200}
MAX_PARENT_TEXT = {"title": 80, "intro": 400, "text": 600}
