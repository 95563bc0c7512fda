"""assignments: modules a teacher sets for a class, with optional start and due dates

Revision ID: 0014_assignments
Revises: 0010_security

One row per class and module (unique); a class's assignments are read by class id (the unique
index), a school's by school id.
"""
from alembic import op
import sqlalchemy as sa


revision = "0014_assignments"
down_revision = "0010_security"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('assignments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('school_id', sa.Integer(), nullable=False),
    sa.Column('class_id', sa.Integer(), nullable=False),
    sa.Column('module_id', sa.String(length=60), nullable=False),
    sa.Column('starts_on', sa.Date(), nullable=True),
    sa.Column('due_on', sa.Date(), nullable=True),
    sa.Column('assigned_by', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint('due_on IS NULL OR starts_on IS NULL OR due_on >= starts_on', name=op.f('ck_assignments_due_after_start')),
    sa.ForeignKeyConstraint(['assigned_by'], ['staff_users.id'], name=op.f('fk_assignments_assigned_by_staff_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['class_id'], ['classes.id'], name=op.f('fk_assignments_class_id_classes'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['school_id'], ['schools.id'], name=op.f('fk_assignments_school_id_schools')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_assignments')),
    sa.UniqueConstraint('class_id', 'module_id', name='one_per_module')
    )
    with op.batch_alter_table('assignments', schema=None) as batch_op:
        batch_op.create_index('ix_assignments_school', ['school_id'], unique=False)



def downgrade():
    with op.batch_alter_table('assignments', schema=None) as batch_op:
        batch_op.drop_index('ix_assignments_school')

    op.drop_table('assignments')
