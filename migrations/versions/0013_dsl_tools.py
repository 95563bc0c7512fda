"""the DSL's daily tool: staff second factors (passkeys, authenticator apps, recovery codes), attachments, tasks,
agency references, file transfers between schools

Revision ID: 0013_dsl_tools
Revises: 0015_class_looks

Passkeys are looked up by their credential id (unique), every factor and code by its staff member
(indexed); recovery codes by their keyed hash (unique). Schools gain the "teachers too" setting.
Attachments are listed per concern (indexed) and per school; their bytes are encrypted text.
Tasks are listed per concern and per owner; the DSL's counts read (school, done, due) in one index.
"""
from alembic import op
import sqlalchemy as sa


revision = "0013_dsl_tools"
down_revision = "0015_class_looks"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("schools", schema=None) as batch_op:
        batch_op.add_column(sa.Column("mfa_for_teachers", sa.Boolean(), server_default="0", nullable=False))

    op.create_table(
        "mfa_credentials",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("name", sa.String(length=60), nullable=False),
        sa.Column("credential_id", sa.String(length=1400), nullable=True),
        sa.Column("public_key", sa.Text(), nullable=True),
        sa.Column("sign_count", sa.Integer(), server_default="0", nullable=False),
        sa.Column("totp_secret", sa.String(length=255), nullable=True),
        sa.Column("last_time_step", sa.Integer(), server_default="0", nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("last_used_at", sa.DateTime(), nullable=True),
        sa.CheckConstraint("kind IN ('passkey', 'totp')", name=op.f("ck_mfa_credentials_known_kind")),
        sa.ForeignKeyConstraint(["staff_id"], ["staff_users.id"], name=op.f("fk_mfa_credentials_staff_id_staff_users"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mfa_credentials")),
        sa.UniqueConstraint("credential_id", name=op.f("uq_mfa_credentials_credential_id")),
    )
    with op.batch_alter_table("mfa_credentials", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_mfa_credentials_staff_id"), ["staff_id"], unique=False)

    op.create_table(
        "mfa_recovery_codes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("used_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["staff_id"], ["staff_users.id"],
                                name=op.f("fk_mfa_recovery_codes_staff_id_staff_users"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mfa_recovery_codes")),
        sa.UniqueConstraint("code_hash", name=op.f("uq_mfa_recovery_codes_code_hash")),
    )
    with op.batch_alter_table("mfa_recovery_codes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_mfa_recovery_codes_staff_id"), ["staff_id"], unique=False)

    op.create_table(
        "attachments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("school_id", sa.Integer(), nullable=False),
        sa.Column("concern_id", sa.Integer(), nullable=False),
        sa.Column("mime", sa.String(length=40), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("name_enc", sa.Text(), nullable=False),
        sa.Column("content_enc", sa.Text(), nullable=False),
        sa.Column("thumb_enc", sa.Text(), nullable=True),
        sa.Column("added_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint("mime IN ('image/png', 'image/jpeg', 'application/pdf', 'text/plain')",
                           name=op.f("ck_attachments_known_mime")),
        sa.ForeignKeyConstraint(["added_by_id"], ["staff_users.id"], name=op.f("fk_attachments_added_by_id_staff_users")),
        sa.ForeignKeyConstraint(["concern_id"], ["concerns.id"], name=op.f("fk_attachments_concern_id_concerns")),
        sa.ForeignKeyConstraint(["school_id"], ["schools.id"], name=op.f("fk_attachments_school_id_schools")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_attachments")),
    )
    with op.batch_alter_table("attachments", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_attachments_concern_id"), ["concern_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_attachments_school_id"), ["school_id"], unique=False)

    op.create_table(
        "concern_tasks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("school_id", sa.Integer(), nullable=False),
        sa.Column("concern_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("text_enc", sa.Text(), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("done_at", sa.DateTime(), nullable=True),
        sa.Column("done_by_id", sa.Integer(), nullable=True),
        sa.CheckConstraint("kind IN ('task', 'review')", name=op.f("ck_concern_tasks_known_kind")),
        sa.ForeignKeyConstraint(["concern_id"], ["concerns.id"], name=op.f("fk_concern_tasks_concern_id_concerns")),
        sa.ForeignKeyConstraint(["created_by_id"], ["staff_users.id"],
                                name=op.f("fk_concern_tasks_created_by_id_staff_users")),
        sa.ForeignKeyConstraint(["done_by_id"], ["staff_users.id"], name=op.f("fk_concern_tasks_done_by_id_staff_users")),
        sa.ForeignKeyConstraint(["owner_id"], ["staff_users.id"], name=op.f("fk_concern_tasks_owner_id_staff_users")),
        sa.ForeignKeyConstraint(["school_id"], ["schools.id"], name=op.f("fk_concern_tasks_school_id_schools")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_concern_tasks")),
    )
    with op.batch_alter_table("concern_tasks", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_concern_tasks_concern_id"), ["concern_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_concern_tasks_owner_id"), ["owner_id"], unique=False)
        batch_op.create_index("ix_concern_tasks_open", ["school_id", "done_at", "due_on"], unique=False)

    op.create_table(
        "agency_references",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("school_id", sa.Integer(), nullable=False),
        sa.Column("concern_id", sa.Integer(), nullable=False),
        sa.Column("agency", sa.String(length=20), nullable=False),
        sa.Column("reference_enc", sa.Text(), nullable=True),
        sa.Column("contact_enc", sa.Text(), nullable=True),
        sa.Column("made_on", sa.Date(), nullable=False),
        sa.Column("added_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint("agency IN ('social_care', 'police', 'early_help', 'lado', 'health', 'other')",
                           name=op.f("ck_agency_references_known_agency")),
        sa.ForeignKeyConstraint(["added_by_id"], ["staff_users.id"],
                                name=op.f("fk_agency_references_added_by_id_staff_users")),
        sa.ForeignKeyConstraint(["concern_id"], ["concerns.id"], name=op.f("fk_agency_references_concern_id_concerns")),
        sa.ForeignKeyConstraint(["school_id"], ["schools.id"], name=op.f("fk_agency_references_school_id_schools")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agency_references")),
    )
    with op.batch_alter_table("agency_references", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_agency_references_concern_id"), ["concern_id"], unique=False)

    op.create_table(
        "record_transfers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("pupil_id", sa.Integer(), nullable=False),
        sa.Column("from_school_id", sa.Integer(), nullable=False),
        sa.Column("to_school_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=10), server_default="sent", nullable=False),
        sa.Column("file_enc", sa.Text(), nullable=False),
        sa.Column("sent_by_id", sa.Integer(), nullable=True),
        sa.Column("sent_at", sa.DateTime(), nullable=False),
        sa.Column("viewed_at", sa.DateTime(), nullable=True),
        sa.Column("decided_at", sa.DateTime(), nullable=True),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("return_reason_enc", sa.Text(), nullable=True),
        sa.Column("reminded_at", sa.DateTime(), nullable=True),
        sa.CheckConstraint("status IN ('sent', 'viewed', 'accepted', 'returned')",
                           name=op.f("ck_record_transfers_known_status")),
        sa.ForeignKeyConstraint(["decided_by_id"], ["staff_users.id"],
                                name=op.f("fk_record_transfers_decided_by_id_staff_users")),
        sa.ForeignKeyConstraint(["from_school_id"], ["schools.id"], name=op.f("fk_record_transfers_from_school_id_schools")),
        sa.ForeignKeyConstraint(["pupil_id"], ["pupils.id"], name=op.f("fk_record_transfers_pupil_id_pupils")),
        sa.ForeignKeyConstraint(["sent_by_id"], ["staff_users.id"], name=op.f("fk_record_transfers_sent_by_id_staff_users")),
        sa.ForeignKeyConstraint(["to_school_id"], ["schools.id"], name=op.f("fk_record_transfers_to_school_id_schools")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_record_transfers")),
    )
    with op.batch_alter_table("record_transfers", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_record_transfers_from_school_id"), ["from_school_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_record_transfers_pupil_id"), ["pupil_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_record_transfers_to_school_id"), ["to_school_id"], unique=False)


def downgrade():
    with op.batch_alter_table("record_transfers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_record_transfers_to_school_id"))
        batch_op.drop_index(batch_op.f("ix_record_transfers_pupil_id"))
        batch_op.drop_index(batch_op.f("ix_record_transfers_from_school_id"))
    op.drop_table("record_transfers")
    with op.batch_alter_table("agency_references", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_agency_references_concern_id"))
    op.drop_table("agency_references")
    with op.batch_alter_table("concern_tasks", schema=None) as batch_op:
        batch_op.drop_index("ix_concern_tasks_open")
        batch_op.drop_index(batch_op.f("ix_concern_tasks_owner_id"))
        batch_op.drop_index(batch_op.f("ix_concern_tasks_concern_id"))
    op.drop_table("concern_tasks")
    with op.batch_alter_table("attachments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_attachments_school_id"))
        batch_op.drop_index(batch_op.f("ix_attachments_concern_id"))
    op.drop_table("attachments")
    with op.batch_alter_table("mfa_recovery_codes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_mfa_recovery_codes_staff_id"))
    op.drop_table("mfa_recovery_codes")
    with op.batch_alter_table("mfa_credentials", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_mfa_credentials_staff_id"))
    op.drop_table("mfa_credentials")
    with op.batch_alter_table("schools", schema=None) as batch_op:
        batch_op.drop_column("mfa_for_teachers")
