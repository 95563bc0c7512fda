"""The demo concern's screenshot: a made-up chat drawn with Pillow (no real person, no real app)."""

from __future__ import annotations

import io
from datetime import datetime

from PIL import Image, ImageDraw

from ..concerns.models import Concern
from ..schools.models import StaffUser
from . import attachments

LINES = (
    ("them", "hey its Jay from the game :)"),
    ("them", "ur really good at it. how old r u?"),
    ("me", "9"),
    ("them", "cool. dont tell ur mum we talk ok"),
    ("them", "i can get u free coins. meet me at the park sat?"),
)


def screenshot() -> bytes:
    img = Image.new("RGB", (540, 420), (236, 239, 244))
    draw = ImageDraw.Draw(img)
    draw.rectangle((0, 0, 540, 48), fill=(52, 73, 110))
    draw.text((16, 16), "GameChat  -  Jay_2011 (not a real account: demo picture)", fill=(255, 255, 255))
    y = 64
    for who, text in LINES:
        width = 12 + int(draw.textlength(text)) + 12
        x = 520 - width if who == "me" else 20
        draw.rounded_rectangle((x, y, x + width, y + 40), radius=10,
                               fill=(200, 230, 201) if who == "me" else (255, 255, 255), outline=(180, 186, 196))
        draw.text((x + 12, y + 13), text, fill=(20, 24, 32))
        y += 64
    out = io.BytesIO()
    img.save(out, "PNG")
    return out.getvalue()


def attach_screenshot(dsl: StaffUser, concern: Concern, when: datetime) -> None:
    attachment = attachments.add(dsl, concern, "game-chat-screenshot.png", screenshot())
    attachment.created_at = when
