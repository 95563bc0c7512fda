"""trust scale: staff single sign-on settings; quiz figures per pupil, module and term

Revision ID: 0017_sso_aggregates
Revises: 0014_assignments

sso_configs: one row per school and provider; the email domain picks the row (unique), the client
secret is encrypted with the data key (re-encrypted by `flask data-key rotate`).

pupil_term_quizzes: finished quizzes and passes per pupil, module and term, kept by the app as
quizzes finish (pupil_app/coverage/aggregates.py); filled here from the attempts already made.
"""
from alembic import op
import sqlalchemy as sa


revision = "0017_sso_aggregates"
down_revision = "0014_assignments"
branch_labels = None
depends_on = None

PASS_PERCENT = 60  # pupil_app.coverage.service.PASS_PERCENT when this migration was written


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

    op.create_table(
        "pupil_term_quizzes",
        sa.Column("pupil_id", sa.Integer(), nullable=False),
        sa.Column("module_id", sa.String(length=60), nullable=False),
        sa.Column("term_start", sa.Date(), nullable=False),
        sa.Column("school_id", sa.Integer(), nullable=False),
        sa.Column("quizzes", sa.Integer(), server_default="0", nullable=False),
        sa.Column("passed", sa.Integer(), server_default="0", nullable=False),
        sa.ForeignKeyConstraint(["pupil_id"], ["pupils.id"], name=op.f("fk_pupil_term_quizzes_pupil_id_pupils"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["school_id"], ["schools.id"], name=op.f("fk_pupil_term_quizzes_school_id_schools"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("pupil_id", "module_id", "term_start", name=op.f("pk_pupil_term_quizzes")),
    )
    with op.batch_alter_table("pupil_term_quizzes", schema=None) as batch_op:
        batch_op.create_index("ix_pupil_term_quizzes_school_term", ["school_id", "term_start"], unique=False)
    _fill_term_quizzes()

    op.create_table(
        "pupil_question_stats",
        sa.Column("pupil_id", sa.Integer(), nullable=False),
        sa.Column("module_id", sa.String(length=60), nullable=False),
        sa.Column("question_id", sa.String(length=60), nullable=False),
        sa.Column("asked", sa.Integer(), server_default="0", nullable=False),
        sa.Column("missed", sa.Integer(), server_default="0", nullable=False),
        sa.Column("right", sa.Integer(), server_default="0", nullable=False),
        sa.ForeignKeyConstraint(["pupil_id"], ["pupils.id"], name=op.f("fk_pupil_question_stats_pupil_id_pupils"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("pupil_id", "module_id", "question_id", name=op.f("pk_pupil_question_stats")),
    )
    op.create_table(
        "pupil_wrong_answers",
        sa.Column("pupil_id", sa.Integer(), nullable=False),
        sa.Column("module_id", sa.String(length=60), nullable=False),
        sa.Column("question_id", sa.String(length=60), nullable=False),
        sa.Column("answer", sa.String(length=400), nullable=False),
        sa.Column("times", sa.Integer(), server_default="0", nullable=False),
        sa.ForeignKeyConstraint(["pupil_id"], ["pupils.id"], name=op.f("fk_pupil_wrong_answers_pupil_id_pupils"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("pupil_id", "module_id", "question_id", "answer", name=op.f("pk_pupil_wrong_answers")),
    )
    _fill_question_stats()


def _fill_term_quizzes():
    """Count the attempts already made (autumn from September, spring January, summer April)."""
    if op.get_bind().dialect.name == "postgresql":
        month = "extract(month from finished_at)"
        term = (f"make_date(extract(year from finished_at)::int, "
                f"CASE WHEN {month} >= 9 THEN 9 WHEN {month} <= 3 THEN 1 ELSE 4 END, 1)")
    else:
        month = "CAST(strftime('%m', finished_at) AS INTEGER)"
        term = (f"strftime('%Y', finished_at) || "
                f"CASE WHEN {month} >= 9 THEN '-09-01' WHEN {month} <= 3 THEN '-01-01' ELSE '-04-01' END")
    op.execute(
        "INSERT INTO pupil_term_quizzes (pupil_id, module_id, term_start, school_id, quizzes, passed) "
        f"SELECT pupil_id, module_id, {term}, min(school_id), count(*), "
        f"sum(CASE WHEN total > 0 AND score * 100 >= total * {PASS_PERCENT} THEN 1 ELSE 0 END) "
        f"FROM quiz_attempts WHERE finished_at IS NOT NULL GROUP BY pupil_id, module_id, {term}")


def _fill_question_stats():
    """Count the answers already given. Judging an answer needs the quiz content, which the app
    loaded before running this migration (`flask db upgrade`)."""
    from flask import current_app, has_app_context

    if not has_app_context() or "content" not in current_app.extensions:
        raise RuntimeError("Run this migration with `flask db upgrade` (it needs the app's content).")
    from pupil_app.coverage import question_stats

    question_stats.rebuild(op.get_bind(), current_app.extensions["content"].modules)


def downgrade():
    op.drop_table("pupil_wrong_answers")
    op.drop_table("pupil_question_stats")
    with op.batch_alter_table("pupil_term_quizzes", schema=None) as batch_op:
        batch_op.drop_index("ix_pupil_term_quizzes_school_term")
    op.drop_table("pupil_term_quizzes")
    with op.batch_alter_table("sso_configs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sso_configs_school_id"))
    op.drop_table("sso_configs")
