"""Attachments: a screenshot, a letter or a note kept with a concern, testable without a request.

A file's type is found from its content, never from its name or the browser's word for it: PNG,
JPEG, PDF (without script or launch actions) or plain UTF-8 text that holds no markup. Anything else
(HTML, SVG, archives, programs, a PNG that does not decode) is refused with a reason. Images are
decoded by Pillow, and the DSL sees a thumbnail made here (re-encoded as PNG, so nothing of the
original file reaches the page). Bytes, name and thumbnail are encrypted with the data key; every
addition and every view writes an audit row.

Size: at most 8 MB a file. A phone screenshot is 0.2-4 MB as PNG and a scanned letter as PDF a few
MB; 8 MB keeps all of these while bounding what one upload costs the database (the encrypted text
is 4/3 of the file) and the worker's memory.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import unicodedata
from dataclasses import dataclass

from flask import abort
from flask_babel import lazy_gettext as _l
from PIL import Image, UnidentifiedImageError
from sqlalchemy import select

from .. import crypto
from ..concerns import audit
from ..concerns.models import Concern
from ..extensions import db
from ..schools.models import StaffUser
from .models import Attachment

MAX_BYTES = 8 * 1024 * 1024
MAX_PIXELS = 40_000_000  # a 4K screenshot is 8.3 million; more is a decompression bomb
THUMB_SIZE = (320, 320)
MAX_NAME = 120
EXTENSIONS = {"image/png": ".png", "image/jpeg": ".jpg", "application/pdf": ".pdf", "text/plain": ".txt"}
_MARKUP = re.compile(rb"<\s*(!doctype|html|head|body|script|svg|iframe|object|embed|\?xml|a\s|img\s|meta|style|link)",
                     re.IGNORECASE)
_PDF_ACTIVE = re.compile(rb"/(JavaScript|JS|Launch|EmbeddedFile|RichMedia|XFA)\b")


class Refused(ValueError):
    """A file that cannot be kept, with the reason to show (an English message id for _())."""


@dataclass(frozen=True)
class Checked:
    mime: str
    thumbnail: bytes | None


def _image(data: bytes, fmt: str) -> bytes:
    """Decode an image fully and return a PNG thumbnail; any fault refuses the file."""
    try:
        with Image.open(io.BytesIO(data)) as probe:
            if probe.format != fmt or probe.width * probe.height > MAX_PIXELS:
                raise Refused(_l("That picture could not be read."))
            probe.verify()
        with Image.open(io.BytesIO(data)) as img:
            img.load()
            img.thumbnail(THUMB_SIZE)
            out = io.BytesIO()
            img.convert("RGBA" if img.mode in ("RGBA", "LA", "P") else "RGB").save(out, "PNG")
            return out.getvalue()
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError) as exc:
        if isinstance(exc, Refused):
            raise
        raise Refused(_l("That picture could not be read.")) from exc


def _plain_text(data: bytes) -> bool:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return False
    if any(unicodedata.category(ch) == "Cc" and ch not in "\t\n\r\f" for ch in text):
        return False
    return _MARKUP.search(data) is None


def check(data: bytes) -> Checked:
    """What the file really is, from its bytes; ``Refused`` for anything not kept."""
    if not data:
        raise Refused(_l("That file is empty."))
    if len(data) > MAX_BYTES:
        raise Refused(_l("That file is bigger than 8 MB."))
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return Checked("image/png", _image(data, "PNG"))
    if data.startswith(b"\xff\xd8\xff"):
        return Checked("image/jpeg", _image(data, "JPEG"))
    if data.startswith(b"%PDF-"):
        if _PDF_ACTIVE.search(data):
            raise Refused(_l("That PDF contains scripts or embedded files, so it is not kept."))
        return Checked("application/pdf", None)
    if _plain_text(data):
        return Checked("text/plain", None)
    raise Refused(_l("Only pictures (PNG, JPEG), PDF and plain text files can be kept. Web pages and SVG cannot."))


def clean_name(name: str | None, mime: str) -> str:
    """The uploaded file's name, shortened, without folders or control characters, ending as its type."""
    base = os.path.basename((name or "").replace("\\", "/"))
    base = "".join(ch for ch in base if unicodedata.category(ch)[0] != "C").strip(" .")
    stem = os.path.splitext(base)[0][:MAX_NAME - 5].strip() or "attachment"
    return stem + EXTENSIONS[mime]


def add(staff: StaffUser, concern: Concern, filename: str | None, data: bytes) -> Attachment:
    checked = check(data)
    name = clean_name(filename, checked.mime)
    attachment = Attachment(
        school_id=concern.school_id, concern_id=concern.id, mime=checked.mime, size=len(data),
        sha256=hashlib.sha256(data).hexdigest(), name_enc=crypto.encrypt(name),
        content_enc=crypto.encrypt_bytes(data),
        thumb_enc=crypto.encrypt_bytes(checked.thumbnail) if checked.thumbnail else None, added_by_id=staff.id)
    db.session.add(attachment)
    db.session.flush()
    audit.record(staff, "attachment.added", "concern", concern.id, f"attachment #{attachment.id}, {checked.mime}, "
                                                                   f"{len(data)} bytes")
    return attachment


def of_concern(concern_id: int) -> list[Attachment]:
    return list(db.session.scalars(select(Attachment).where(Attachment.concern_id == concern_id)
                                   .order_by(Attachment.id)))


def name_of(attachment: Attachment) -> str:
    return crypto.decrypt(attachment.name_enc) or f"attachment-{attachment.id}{EXTENSIONS[attachment.mime]}"


def load(staff: StaffUser, attachment_id: int) -> Attachment:
    """An attachment of the staff member's own school; any other number is a 404, audited."""
    attachment = db.session.get(Attachment, attachment_id) if 0 < attachment_id < 2**31 else None
    if attachment is None or attachment.school_id != staff.school_id:
        db.session.rollback()
        audit.record(staff, "attachment.refused", "attachment", attachment_id if attachment_id < 2**31 else None,
                     "not an attachment of this school")
        db.session.commit()
        abort(404)
    return attachment


def open_file(staff: StaffUser, attachment: Attachment) -> bytes:
    """The file's bytes, for download; audited as a view of the concern."""
    data = crypto.decrypt_bytes(attachment.content_enc)
    if data is None:
        raise RuntimeError(f"attachment {attachment.id} cannot be decrypted with the configured data key")
    audit.record(staff, "attachment.viewed", "concern", attachment.concern_id, f"attachment #{attachment.id}")
    db.session.flush()
    return data


def open_thumbnail(staff: StaffUser, attachment: Attachment) -> bytes | None:
    if not attachment.thumb_enc:
        return None
    data = crypto.decrypt_bytes(attachment.thumb_enc)
    audit.record(staff, "attachment.thumbnail", "concern", attachment.concern_id, f"attachment #{attachment.id}")
    db.session.flush()
    return data
