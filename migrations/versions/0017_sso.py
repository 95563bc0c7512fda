"""staff single sign-on: each school's Google or Microsoft (Entra ID) settings

Revision ID: 0017_sso
Revises: 0004_coverage_admin

One row per school and provider; the email domain picks the row (unique), the client secret is
encrypted with the data key (re-encrypted by `flask data-key rotate`).
"""
from alembic import op
import sqlalchemy as sa


revision = "0017_sso"
down_revision = "0004_coverage_admin"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "sso_configs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("school_id", sa.Integer(), nullable=False),
        sa.Column("provider", sa.String(length=20), nullable=False),
        sa.Column("email_domain", sa.String(length=253), nullable=False),
        sa.Column("client_id", sa.String(length=255), nullable=False),
        sa.Column("client_secret_enc", sa.Text(), nullable=False),
        sa.Column("tenant_id", sa.String(length=64), nullable=True),
        sa.Column("idp_mfa_counts", sa.Boolean(), server_default="0", nullable=False),
        sa.Column("active", sa.Boolean(), server_default="1", nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint("provider IN ('google', 'microsoft')", name=op.f("ck_sso_configs_known_provider")),
        sa.CheckConstraint("provider = 'google' OR tenant_id IS NOT NULL", name=op.f("ck_sso_configs_entra_has_tenant")),
        sa.ForeignKeyConstraint(["school_id"], ["schools.id"], name=op.f("fk_sso_configs_school_id_schools"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sso_configs")),
        sa.UniqueConstraint("email_domain", name=op.f("uq_sso_configs_email_domain")),
        sa.UniqueConstraint("school_id", "provider", name=op.f("uq_sso_configs_school_id")),
    )
    with op.batch_alter_table("sso_configs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sso_configs_school_id"), ["school_id"], unique=False)


def downgrade():
    with op.batch_alter_table("sso_configs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sso_configs_school_id"))
    op.drop_table("sso_configs")
