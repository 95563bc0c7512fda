"""security: a Tell-an-adult draft belongs to one session; interrupted messages are marked

Revision ID: 0010_security
Revises: 0018_filtering

``concern_drafts.session_hash`` binds a draft to the session that started it (a keyed hash of that
session's random id); ``send_requested_at`` goes (a post after the session ended is no longer kept:
it was a way to rewrite a child's message). ``concerns.interrupted`` marks a message the child did
not send because their session ended; the DSL sees what they had chosen, marked as such.
Existing unsent drafts have no session: the next `flask concerns end-drafts` delivers them.
``classes.signin_open_until``: the class page takes picture sign-ins only while a teacher has opened
the class for a lesson (closed by default).
"""
from alembic import op
import sqlalchemy as sa


revision = "0010_security"
down_revision = "0018_filtering"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("classes", schema=None) as batch_op:
        batch_op.add_column(sa.Column("signin_open_until", sa.DateTime(), nullable=True))
    with op.batch_alter_table("concern_drafts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("session_hash", sa.String(length=64), nullable=True))
        batch_op.drop_column("send_requested_at")
    with op.batch_alter_table("concerns", schema=None) as batch_op:
        batch_op.add_column(sa.Column("interrupted", sa.Boolean(), server_default="0", nullable=False))


def downgrade():
    with op.batch_alter_table("classes", schema=None) as batch_op:
        batch_op.drop_column("signin_open_until")
    with op.batch_alter_table("concerns", schema=None) as batch_op:
        batch_op.drop_column("interrupted")
    with op.batch_alter_table("concern_drafts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("send_requested_at", sa.DateTime(), nullable=True))
        batch_op.drop_column("session_hash")
