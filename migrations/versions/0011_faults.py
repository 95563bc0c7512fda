"""faults never silence a child: the data key check value

Revision ID: 0011_faults
Revises: 0013_dsl_tools

One row holding a fixed text encrypted with the data key the deployment writes with. Start-up
refuses when no configured key opens it (see pupil_app/datakey.py); the app writes it at first run.
"""
from alembic import op
import sqlalchemy as sa


revision = "0011_faults"
down_revision = "0013_dsl_tools"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "data_key_check",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_data_key_check")),
    )


def downgrade():
    op.drop_table("data_key_check")
