"""class page looks: every pupil gets a picture and colour that no active classmate shares

Revision ID: 0015_class_looks
Revises: 0016_languages

Adds pupils.avatar_colour and repairs existing classes: the first pupil (by id) with a look keeps
it; each later pupil who shares it, or has a picture that is no longer offered, gets one of the
least-used pictures of the class in a free colour. Downgrade drops the colour (pictures stay).
"""
from collections import Counter

import sqlalchemy as sa
from alembic import op

revision = "0015_class_looks"
down_revision = "0016_languages"
branch_labels = None
depends_on = None

# A copy of schools/looks.py at the time of this migration (migrations never import the app).
PICTURES = (
    "fox", "owl", "bear", "rabbit", "frog", "panda", "lion", "penguin", "tiger", "koala", "mouse", "elephant",
    "pig", "cow", "sheep", "duck", "chick", "hedgehog", "monkey", "hippo", "zebra", "horse", "unicorn", "dragon",
    "snail", "bee", "ladybird", "butterfly", "whale", "octopus", "crab", "turtle", "snake", "squirrel", "deer",
    "hamster", "bat", "seal", "parrot", "giraffe",
)
COLOURS = ("blue", "red", "green", "yellow", "purple", "orange", "pink", "grey")


def _free(taken: set, n: int) -> tuple[str, str]:
    used = Counter(p for p, _ in taken)
    fewest = min(used.get(p, 0) for p in PICTURES)
    candidates = [p for p in PICTURES if used.get(p, 0) == fewest]
    picture = candidates[n % len(candidates)]  # deterministic: the same database fixes the same way
    colours = [c for c in COLOURS if (picture, c) not in taken]
    return picture, (colours[n % len(colours)] if colours else COLOURS[0])


def upgrade():
    with op.batch_alter_table("pupils", schema=None) as batch_op:
        batch_op.add_column(sa.Column("avatar_colour", sa.String(length=20), server_default="blue", nullable=False))
    conn = op.get_bind()
    pupils = sa.table("pupils", sa.column("id", sa.Integer), sa.column("class_id", sa.Integer),
                      sa.column("active", sa.Boolean), sa.column("avatar", sa.String),
                      sa.column("avatar_colour", sa.String))
    rows = conn.execute(sa.select(pupils.c.id, pupils.c.class_id, pupils.c.avatar)
                        .where(pupils.c.active.is_(True), pupils.c.class_id.is_not(None))
                        .order_by(pupils.c.class_id, pupils.c.id)).all()
    taken: dict[int, set] = {}
    for n, (pupil_id, class_id, avatar) in enumerate(rows):
        seen = taken.setdefault(class_id, set())
        look = (avatar, "blue")
        if look in seen or avatar not in PICTURES:
            look = _free(seen, n)
            conn.execute(sa.update(pupils).where(pupils.c.id == pupil_id)
                         .values(avatar=look[0], avatar_colour=look[1]))
        seen.add(look)


def downgrade():
    with op.batch_alter_table("pupils", schema=None) as batch_op:
        batch_op.drop_column("avatar_colour")
