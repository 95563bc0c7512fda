"""coverage and administration: trust admin role, pupil imports, set-password links, rollovers

Revision ID: 0004_coverage_admin
Revises: 0003_concerns

The dashboards read quiz_attempts through indexes 0001 already has ((pupil_id, module_id) and
(school_id, finished_at)) and module_progress through a new covering index of each pupil's best
scores (checked with EXPLAIN on SQLite and PostgreSQL at trust scale); the new tables get the
indexes their own lookups need (token hashes, per-school and per-class keys).
"""
from alembic import op
import sqlalchemy as sa


revision = "0004_coverage_admin"
down_revision = "0003_concerns"
branch_labels = None
depends_on = None

OLD_ROLES = "role IN ('teacher', 'dsl', 'admin')"
NEW_ROLES = "role IN ('teacher', 'dsl', 'admin', 'trust_admin')"


def _replace_role_check(condition: str) -> None:
    # SQLite cannot alter a CHECK constraint: batch mode copies the table with the new one.
    with op.batch_alter_table("staff_roles", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_staff_roles_known_role"), type_="check")
        batch_op.create_check_constraint("known_role", condition)


def upgrade():
    _replace_role_check(NEW_ROLES)

    with op.batch_alter_table("module_progress", schema=None) as batch_op:
        batch_op.create_index("ix_module_progress_pupil_scores", ["pupil_id", "module_id", "best_score", "best_total"],
                              unique=False)

    op.create_table(
        "import_batches",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("school_id", sa.Integer(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("filename", sa.String(length=200), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("content", sa.Text(), nullable=True),
        sa.Column("status", sa.String(length=12), server_default="preview", nullable=False),
        sa.Column("applied_at", sa.DateTime(), nullable=True),
        sa.Column("summary", sa.JSON(), nullable=True),
        sa.CheckConstraint("status IN ('preview', 'applied')", name=op.f("ck_import_batches_known_status")),
        sa.ForeignKeyConstraint(["created_by_id"], ["staff_users.id"],
                                name=op.f("fk_import_batches_created_by_id_staff_users"), ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["school_id"], ["schools.id"], name=op.f("fk_import_batches_school_id_schools"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_import_batches")),
    )
    with op.batch_alter_table("import_batches", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_import_batches_school_id"), ["school_id"], unique=False)

    op.create_table(
        "staff_password_links",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.Column("used_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["created_by_id"], ["staff_users.id"],
                                name=op.f("fk_staff_password_links_created_by_id_staff_users"), ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["staff_id"], ["staff_users.id"],
                                name=op.f("fk_staff_password_links_staff_id_staff_users"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staff_password_links")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_staff_password_links_token_hash")),
    )
    with op.batch_alter_table("staff_password_links", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_staff_password_links_staff_id"), ["staff_id"], unique=False)

    op.create_table(
        "rollovers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("school_id", sa.Integer(), nullable=False),
        sa.Column("academic_year", sa.Integer(), nullable=False),
        sa.Column("performed_at", sa.DateTime(), nullable=False),
        sa.Column("performed_by_id", sa.Integer(), nullable=True),
        sa.Column("pupils_left", sa.Integer(), server_default="0", nullable=False),
        sa.ForeignKeyConstraint(["performed_by_id"], ["staff_users.id"],
                                name=op.f("fk_rollovers_performed_by_id_staff_users"), ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["school_id"], ["schools.id"], name=op.f("fk_rollovers_school_id_schools"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rollovers")),
        sa.UniqueConstraint("school_id", "academic_year", name=op.f("uq_rollovers_school_id")),
    )
    op.create_table(
        "rollover_classes",
        sa.Column("rollover_id", sa.Integer(), nullable=False),
        sa.Column("class_id", sa.Integer(), nullable=False),
        sa.Column("from_year", sa.Integer(), nullable=False),
        sa.Column("to_year", sa.Integer(), nullable=True),
        sa.Column("from_name", sa.String(length=60), nullable=False),
        sa.Column("to_name", sa.String(length=60), nullable=False),
        sa.ForeignKeyConstraint(["class_id"], ["classes.id"], name=op.f("fk_rollover_classes_class_id_classes"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["rollover_id"], ["rollovers.id"],
                                name=op.f("fk_rollover_classes_rollover_id_rollovers"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("rollover_id", "class_id", name=op.f("pk_rollover_classes")),
    )
    with op.batch_alter_table("rollover_classes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_rollover_classes_class_id"), ["class_id"], unique=False)


def downgrade():
    with op.batch_alter_table("rollover_classes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_rollover_classes_class_id"))
    op.drop_table("rollover_classes")
    op.drop_table("rollovers")
    with op.batch_alter_table("staff_password_links", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_staff_password_links_staff_id"))
    op.drop_table("staff_password_links")
    with op.batch_alter_table("import_batches", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_import_batches_school_id"))
    op.drop_table("import_batches")
    with op.batch_alter_table("module_progress", schema=None) as batch_op:
        batch_op.drop_index("ix_module_progress_pupil_scores")
    op.execute("DELETE FROM staff_roles WHERE role = 'trust_admin'")
    _replace_role_check(OLD_ROLES)
