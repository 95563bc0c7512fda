"""initial schema: trusts, schools, classes, people, badges, quiz attempts, progress

Revision ID: 0001_initial
Revises: 
Create Date: 2026-11-24 01:38:12.918029

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0001_initial"
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('trusts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_trusts')),
    sa.UniqueConstraint('name', name=op.f('uq_trusts_name'))
    )
    op.create_table('schools',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('trust_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['trust_id'], ['trusts.id'], name=op.f('fk_schools_trust_id_trusts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_schools')),
    sa.UniqueConstraint('trust_id', 'name', name=op.f('uq_schools_trust_id'))
    )
    with op.batch_alter_table('schools', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_schools_trust_id'), ['trust_id'], unique=False)

    op.create_table('classes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('school_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=60), nullable=False),
    sa.Column('year_group', sa.Integer(), nullable=False),
    sa.Column('signin_token', sa.String(length=64), nullable=False),
    sa.Column('active', sa.Boolean(), server_default='1', nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint('year_group >= 0 AND year_group <= 6', name=op.f('ck_classes_year_group_range')),
    sa.ForeignKeyConstraint(['school_id'], ['schools.id'], name=op.f('fk_classes_school_id_schools')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_classes')),
    sa.UniqueConstraint('school_id', 'name', name=op.f('uq_classes_school_id')),
    sa.UniqueConstraint('signin_token', name=op.f('uq_classes_signin_token'))
    )
    with op.batch_alter_table('classes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_classes_school_id'), ['school_id'], unique=False)

    op.create_table('staff_users',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('school_id', sa.Integer(), nullable=False),
    sa.Column('username', sa.String(length=60), nullable=False),
    sa.Column('display_name', sa.String(length=120), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=True),
    sa.Column('password_hash', sa.String(length=255), nullable=False),
    sa.Column('active', sa.Boolean(), server_default='1', nullable=False),
    sa.Column('session_version', sa.Integer(), server_default='1', nullable=False),
    sa.Column('failed_signins', sa.Integer(), server_default='0', nullable=False),
    sa.Column('locked_until', sa.DateTime(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['school_id'], ['schools.id'], name=op.f('fk_staff_users_school_id_schools')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_staff_users')),
    sa.UniqueConstraint('username', name=op.f('uq_staff_users_username'))
    )
    with op.batch_alter_table('staff_users', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_staff_users_school_id'), ['school_id'], unique=False)

    op.create_table('class_teachers',
    sa.Column('class_id', sa.Integer(), nullable=False),
    sa.Column('staff_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['class_id'], ['classes.id'], name=op.f('fk_class_teachers_class_id_classes'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['staff_id'], ['staff_users.id'], name=op.f('fk_class_teachers_staff_id_staff_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('class_id', 'staff_id', name=op.f('pk_class_teachers'))
    )
    with op.batch_alter_table('class_teachers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_class_teachers_staff_id'), ['staff_id'], unique=False)

    op.create_table('pupils',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('school_id', sa.Integer(), nullable=False),
    sa.Column('class_id', sa.Integer(), nullable=True),
    sa.Column('first_name', sa.String(length=60), nullable=False),
    sa.Column('last_name', sa.String(length=60), nullable=False),
    sa.Column('username', sa.String(length=60), nullable=False),
    sa.Column('upn', sa.String(length=13), nullable=True),
    sa.Column('password_hash', sa.String(length=255), nullable=True),
    sa.Column('picture_password', sa.String(length=255), nullable=True),
    sa.Column('avatar', sa.String(length=60), nullable=False),
    sa.Column('language', sa.String(length=10), nullable=True),
    sa.Column('active', sa.Boolean(), server_default='1', nullable=False),
    sa.Column('session_version', sa.Integer(), server_default='1', nullable=False),
    sa.Column('failed_signins', sa.Integer(), server_default='0', nullable=False),
    sa.Column('locked_until', sa.DateTime(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['class_id'], ['classes.id'], name=op.f('fk_pupils_class_id_classes')),
    sa.ForeignKeyConstraint(['school_id'], ['schools.id'], name=op.f('fk_pupils_school_id_schools')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pupils')),
    sa.UniqueConstraint('school_id', 'upn', name=op.f('uq_pupils_school_id')),
    sa.UniqueConstraint('username', name=op.f('uq_pupils_username'))
    )
    with op.batch_alter_table('pupils', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_pupils_class_id'), ['class_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_pupils_school_id'), ['school_id'], unique=False)

    op.create_table('staff_roles',
    sa.Column('staff_id', sa.Integer(), nullable=False),
    sa.Column('role', sa.String(length=20), nullable=False),
    sa.CheckConstraint("role IN ('teacher', 'dsl', 'admin')", name=op.f('ck_staff_roles_known_role')),
    sa.ForeignKeyConstraint(['staff_id'], ['staff_users.id'], name=op.f('fk_staff_roles_staff_id_staff_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('staff_id', 'role', name=op.f('pk_staff_roles'))
    )
    op.create_table('badges',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('pupil_id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('expires_at', sa.DateTime(), nullable=False),
    sa.Column('revoked_at', sa.DateTime(), nullable=True),
    sa.Column('last_used_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['created_by_id'], ['staff_users.id'], name=op.f('fk_badges_created_by_id_staff_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['pupil_id'], ['pupils.id'], name=op.f('fk_badges_pupil_id_pupils'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_badges')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_badges_token_hash'))
    )
    with op.batch_alter_table('badges', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_badges_pupil_id'), ['pupil_id'], unique=False)

    op.create_table('module_progress',
    sa.Column('pupil_id', sa.Integer(), nullable=False),
    sa.Column('module_id', sa.String(length=60), nullable=False),
    sa.Column('school_id', sa.Integer(), nullable=False),
    sa.Column('started_at', sa.DateTime(), nullable=False),
    sa.Column('completed_at', sa.DateTime(), nullable=True),
    sa.Column('best_score', sa.Integer(), nullable=True),
    sa.Column('best_total', sa.Integer(), nullable=True),
    sa.Column('attempts', sa.Integer(), server_default='0', nullable=False),
    sa.Column('last_activity_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['pupil_id'], ['pupils.id'], name=op.f('fk_module_progress_pupil_id_pupils'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['school_id'], ['schools.id'], name=op.f('fk_module_progress_school_id_schools')),
    sa.PrimaryKeyConstraint('pupil_id', 'module_id', name=op.f('pk_module_progress'))
    )
    with op.batch_alter_table('module_progress', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_module_progress_school_id'), ['school_id'], unique=False)

    op.create_table('quiz_attempts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('pupil_id', sa.Integer(), nullable=False),
    sa.Column('school_id', sa.Integer(), nullable=False),
    sa.Column('class_id', sa.Integer(), nullable=True),
    sa.Column('module_id', sa.String(length=60), nullable=False),
    sa.Column('content_version', sa.Integer(), nullable=False),
    sa.Column('answers', sa.JSON(), nullable=False),
    sa.Column('score', sa.Integer(), nullable=True),
    sa.Column('total', sa.Integer(), nullable=False),
    sa.Column('started_at', sa.DateTime(), nullable=False),
    sa.Column('finished_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['class_id'], ['classes.id'], name=op.f('fk_quiz_attempts_class_id_classes'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['pupil_id'], ['pupils.id'], name=op.f('fk_quiz_attempts_pupil_id_pupils'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['school_id'], ['schools.id'], name=op.f('fk_quiz_attempts_school_id_schools')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_quiz_attempts'))
    )
    with op.batch_alter_table('quiz_attempts', schema=None) as batch_op:
        batch_op.create_index('ix_quiz_attempts_class_module', ['class_id', 'module_id'], unique=False)
        batch_op.create_index('ix_quiz_attempts_pupil_module', ['pupil_id', 'module_id'], unique=False)
        batch_op.create_index('ix_quiz_attempts_school_finished', ['school_id', 'finished_at'], unique=False)



def downgrade():
    with op.batch_alter_table('quiz_attempts', schema=None) as batch_op:
        batch_op.drop_index('ix_quiz_attempts_school_finished')
        batch_op.drop_index('ix_quiz_attempts_pupil_module')
        batch_op.drop_index('ix_quiz_attempts_class_module')

    op.drop_table('quiz_attempts')
    with op.batch_alter_table('module_progress', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_module_progress_school_id'))

    op.drop_table('module_progress')
    with op.batch_alter_table('badges', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_badges_pupil_id'))

    op.drop_table('badges')
    op.drop_table('staff_roles')
    with op.batch_alter_table('pupils', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_pupils_school_id'))
        batch_op.drop_index(batch_op.f('ix_pupils_class_id'))

    op.drop_table('pupils')
    with op.batch_alter_table('class_teachers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_class_teachers_staff_id'))

    op.drop_table('class_teachers')
    with op.batch_alter_table('staff_users', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_staff_users_school_id'))

    op.drop_table('staff_users')
    with op.batch_alter_table('classes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_classes_school_id'))

    op.drop_table('classes')
    with op.batch_alter_table('schools', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_schools_trust_id'))

    op.drop_table('schools')
    op.drop_table('trusts')
