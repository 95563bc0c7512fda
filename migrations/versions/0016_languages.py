"""languages: which languages a school's pupils see and its review of each catalogue; whether a
pupil's language was chosen by the child

Revision ID: 0016_languages
Revises: 0017_sso_aggregates

A pupil who already has a language may have tapped it: we cannot tell, so the migration counts it as
the child's own choice, which an MIS import never overwrites.
"""
from alembic import op
import sqlalchemy as sa


revision = "0016_languages"
down_revision = "0017_sso_aggregates"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "school_languages",
        sa.Column("school_id", sa.Integer(), nullable=False),
        sa.Column("language", sa.String(length=10), nullable=False),
        sa.Column("offered", sa.Boolean(), server_default="0", nullable=False),
        sa.Column("reviewed_at", sa.DateTime(), nullable=True),
        sa.Column("reviewed_by", sa.String(length=120), nullable=True),
        sa.ForeignKeyConstraint(["school_id"], ["schools.id"], name=op.f("fk_school_languages_school_id_schools"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("school_id", "language", name=op.f("pk_school_languages")),
    )
    with op.batch_alter_table("pupils", schema=None) as batch_op:
        batch_op.add_column(sa.Column("language_chosen_by_child", sa.Boolean(), server_default="0", nullable=False))
    pupils = sa.table("pupils", sa.column("language", sa.String()), sa.column("language_chosen_by_child", sa.Boolean()))
    op.execute(pupils.update().where(pupils.c.language.is_not(None)).values(language_chosen_by_child=True))


def downgrade():
    with op.batch_alter_table("pupils", schema=None) as batch_op:
        batch_op.drop_column("language_chosen_by_child")
    op.drop_table("school_languages")
