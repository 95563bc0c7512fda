"""filtering and monitoring: online safety lead and filtering lead roles, filtering reports and the
filtering lead's append-only actions, monitoring tokens and alerts, alert-log uploads, yearly reviews

Revision ID: 0018_filtering
Revises: 0012_school_year
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0018_filtering'
down_revision = "0012_school_year"
branch_labels = None
depends_on = None


OLD_ROLES = "role IN ('teacher', 'dsl', 'admin', 'trust_admin')"
NEW_ROLES = "role IN ('teacher', 'dsl', 'admin', 'trust_admin', 'online_safety_lead', 'filtering_lead')"


def _replace_role_check(condition: str) -> None:
    # SQLite cannot alter a CHECK constraint: batch mode copies the table with the new one.
    with op.batch_alter_table("staff_roles", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_staff_roles_known_role"), type_="check")
        batch_op.create_check_constraint("known_role", condition)


def upgrade():
    _replace_role_check(NEW_ROLES)
    op.create_table('alert_uploads',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('school_id', sa.Integer(), nullable=False),
    sa.Column('uploaded_by_id', sa.Integer(), nullable=False),
    sa.Column('filename', sa.String(length=200), nullable=False),
    sa.Column('source', sa.String(length=60), nullable=False),
    sa.Column('content_enc', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('loaded_at', sa.DateTime(), nullable=True),
    sa.Column('loaded_count', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['school_id'], ['schools.id'], name=op.f('fk_alert_uploads_school_id_schools')),
    sa.ForeignKeyConstraint(['uploaded_by_id'], ['staff_users.id'], name=op.f('fk_alert_uploads_uploaded_by_id_staff_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_alert_uploads'))
    )
    with op.batch_alter_table('alert_uploads', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_alert_uploads_school_id'), ['school_id'], unique=False)

    op.create_table('filtering_reviews',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('school_id', sa.Integer(), nullable=False),
    sa.Column('reviewed_on', sa.Date(), nullable=False),
    sa.Column('senior_leader', sa.String(length=120), nullable=False),
    sa.Column('governor', sa.String(length=120), nullable=False),
    sa.Column('next_due_on', sa.Date(), nullable=False),
    sa.Column('recorded_by_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('reminder_sent_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['staff_users.id'], name=op.f('fk_filtering_reviews_recorded_by_id_staff_users')),
    sa.ForeignKeyConstraint(['school_id'], ['schools.id'], name=op.f('fk_filtering_reviews_school_id_schools')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_filtering_reviews'))
    )
    with op.batch_alter_table('filtering_reviews', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_filtering_reviews_school_id'), ['school_id'], unique=False)

    op.create_table('monitoring_tokens',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('school_id', sa.Integer(), nullable=False),
    sa.Column('label', sa.String(length=60), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('last_used_at', sa.DateTime(), nullable=True),
    sa.Column('revoked_at', sa.DateTime(), nullable=True),
    sa.Column('revoked_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['created_by_id'], ['staff_users.id'], name=op.f('fk_monitoring_tokens_created_by_id_staff_users')),
    sa.ForeignKeyConstraint(['revoked_by_id'], ['staff_users.id'], name=op.f('fk_monitoring_tokens_revoked_by_id_staff_users')),
    sa.ForeignKeyConstraint(['school_id'], ['schools.id'], name=op.f('fk_monitoring_tokens_school_id_schools')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_monitoring_tokens')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_monitoring_tokens_token_hash'))
    )
    with op.batch_alter_table('monitoring_tokens', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_monitoring_tokens_school_id'), ['school_id'], unique=False)

    op.create_table('review_actions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('review_id', sa.Integer(), nullable=False),
    sa.Column('text', sa.String(length=500), nullable=False),
    sa.Column('owner', sa.String(length=120), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.Column('done_on', sa.Date(), nullable=True),
    sa.Column('done_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['done_by_id'], ['staff_users.id'], name=op.f('fk_review_actions_done_by_id_staff_users')),
    sa.ForeignKeyConstraint(['review_id'], ['filtering_reviews.id'], name=op.f('fk_review_actions_review_id_filtering_reviews'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_review_actions'))
    )
    with op.batch_alter_table('review_actions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_review_actions_review_id'), ['review_id'], unique=False)

    op.create_table('review_checks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('review_id', sa.Integer(), nullable=False),
    sa.Column('standard', sa.String(length=20), nullable=False),
    sa.Column('outcome', sa.String(length=10), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.CheckConstraint("outcome IN ('met', 'partly', 'not_met')", name=op.f('ck_review_checks_outcome')),
    sa.CheckConstraint("standard IN ('roles', 'review', 'filtering', 'monitoring')", name=op.f('ck_review_checks_standard')),
    sa.ForeignKeyConstraint(['review_id'], ['filtering_reviews.id'], name=op.f('fk_review_checks_review_id_filtering_reviews'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_review_checks')),
    sa.UniqueConstraint('review_id', 'standard', name=op.f('uq_review_checks_review_id'))
    )
    with op.batch_alter_table('review_checks', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_review_checks_review_id'), ['review_id'], unique=False)

    op.create_table('filter_reports',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('school_id', sa.Integer(), nullable=False),
    sa.Column('source', sa.String(length=10), nullable=False),
    sa.Column('reported_by_id', sa.Integer(), nullable=True),
    sa.Column('concern_id', sa.Integer(), nullable=True),
    sa.Column('idempotency_key', sa.String(length=64), nullable=False),
    sa.Column('address_enc', sa.Text(), nullable=True),
    sa.Column('device', sa.String(length=120), nullable=False),
    sa.Column('occurred_at', sa.DateTime(), nullable=False),
    sa.Column('seen_enc', sa.Text(), nullable=True),
    sa.Column('request', sa.String(length=10), nullable=False),
    sa.Column('child_involved', sa.Boolean(), server_default='0', nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("(source = 'staff') = (reported_by_id IS NOT NULL)", name=op.f('ck_filter_reports_reporter')),
    sa.CheckConstraint("request IN ('block', 'unblock')", name=op.f('ck_filter_reports_request')),
    sa.CheckConstraint("source IN ('staff', 'pupil')", name=op.f('ck_filter_reports_source')),
    sa.ForeignKeyConstraint(['concern_id'], ['concerns.id'], name=op.f('fk_filter_reports_concern_id_concerns')),
    sa.ForeignKeyConstraint(['reported_by_id'], ['staff_users.id'], name=op.f('fk_filter_reports_reported_by_id_staff_users')),
    sa.ForeignKeyConstraint(['school_id'], ['schools.id'], name=op.f('fk_filter_reports_school_id_schools')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_filter_reports')),
    sa.UniqueConstraint('concern_id', name=op.f('uq_filter_reports_concern_id')),
    sa.UniqueConstraint('idempotency_key', name=op.f('uq_filter_reports_idempotency_key'))
    )
    with op.batch_alter_table('filter_reports', schema=None) as batch_op:
        batch_op.create_index('ix_filter_reports_school_created', ['school_id', 'created_at'], unique=False)

    op.create_table('monitoring_alerts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('school_id', sa.Integer(), nullable=False),
    sa.Column('source', sa.String(length=60), nullable=False),
    sa.Column('source_id', sa.String(length=120), nullable=False),
    sa.Column('severity', sa.String(length=10), nullable=False),
    sa.Column('occurred_at', sa.DateTime(), nullable=False),
    sa.Column('device', sa.String(length=120), nullable=True),
    sa.Column('user_enc', sa.Text(), nullable=True),
    sa.Column('category', sa.String(length=60), nullable=True),
    sa.Column('summary_enc', sa.Text(), nullable=True),
    sa.Column('via', sa.String(length=5), nullable=False),
    sa.Column('received_at', sa.DateTime(), nullable=False),
    sa.Column('status', sa.String(length=10), server_default='new', nullable=False),
    sa.Column('pupil_id', sa.Integer(), nullable=True),
    sa.Column('concern_id', sa.Integer(), nullable=True),
    sa.Column('dismiss_reason_enc', sa.Text(), nullable=True),
    sa.Column('triaged_by_id', sa.Integer(), nullable=True),
    sa.Column('triaged_at', sa.DateTime(), nullable=True),
    sa.CheckConstraint("severity IN ('low', 'medium', 'high', 'critical')", name=op.f('ck_monitoring_alerts_severity')),
    sa.CheckConstraint("status IN ('new', 'linked', 'dismissed', 'concern')", name=op.f('ck_monitoring_alerts_status')),
    sa.CheckConstraint("via IN ('api', 'csv')", name=op.f('ck_monitoring_alerts_via')),
    sa.ForeignKeyConstraint(['concern_id'], ['concerns.id'], name=op.f('fk_monitoring_alerts_concern_id_concerns')),
    sa.ForeignKeyConstraint(['pupil_id'], ['pupils.id'], name=op.f('fk_monitoring_alerts_pupil_id_pupils')),
    sa.ForeignKeyConstraint(['school_id'], ['schools.id'], name=op.f('fk_monitoring_alerts_school_id_schools')),
    sa.ForeignKeyConstraint(['triaged_by_id'], ['staff_users.id'], name=op.f('fk_monitoring_alerts_triaged_by_id_staff_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_monitoring_alerts')),
    sa.UniqueConstraint('school_id', 'source', 'source_id', name='one_per_source_id')
    )
    with op.batch_alter_table('monitoring_alerts', schema=None) as batch_op:
        batch_op.create_index('ix_monitoring_alerts_school_status', ['school_id', 'status', 'occurred_at'], unique=False)

    op.create_table('filter_actions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('report_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('done_at', sa.DateTime(), nullable=False),
    sa.Column('note_enc', sa.Text(), nullable=True),
    sa.Column('recorded_by_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("kind != 'no_change' OR note_enc IS NOT NULL", name=op.f('ck_filter_actions_no_change_reason')),
    sa.CheckConstraint("kind IN ('blocked', 'allowed', 'provider', 'no_change')", name=op.f('ck_filter_actions_kind')),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['staff_users.id'], name=op.f('fk_filter_actions_recorded_by_id_staff_users')),
    sa.ForeignKeyConstraint(['report_id'], ['filter_reports.id'], name=op.f('fk_filter_actions_report_id_filter_reports')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_filter_actions'))
    )
    with op.batch_alter_table('filter_actions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_filter_actions_report_id'), ['report_id'], unique=False)



def downgrade():
    op.execute("DELETE FROM staff_roles WHERE role IN ('online_safety_lead', 'filtering_lead')")
    _replace_role_check(OLD_ROLES)
    with op.batch_alter_table('filter_actions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_filter_actions_report_id'))

    op.drop_table('filter_actions')
    with op.batch_alter_table('monitoring_alerts', schema=None) as batch_op:
        batch_op.drop_index('ix_monitoring_alerts_school_status')

    op.drop_table('monitoring_alerts')
    with op.batch_alter_table('filter_reports', schema=None) as batch_op:
        batch_op.drop_index('ix_filter_reports_school_created')

    op.drop_table('filter_reports')
    with op.batch_alter_table('review_checks', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_review_checks_review_id'))

    op.drop_table('review_checks')
    with op.batch_alter_table('review_actions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_review_actions_review_id'))

    op.drop_table('review_actions')
    with op.batch_alter_table('monitoring_tokens', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_monitoring_tokens_school_id'))

    op.drop_table('monitoring_tokens')
    with op.batch_alter_table('filtering_reviews', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_filtering_reviews_school_id'))

    op.drop_table('filtering_reviews')
    with op.batch_alter_table('alert_uploads', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_alert_uploads_school_id'))

    op.drop_table('alert_uploads')
