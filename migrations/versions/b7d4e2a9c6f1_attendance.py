"""attendance: a cohort's sessions, the marks of its learners, the cohort's threshold and late weight

Revision ID: b7d4e2a9c6f1
Revises: c4e6a8b0d2f1
Create Date: 2026-12-03 09:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b7d4e2a9c6f1'
down_revision = 'c4e6a8b0d2f1'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'attendance_policies',
        sa.Column('cohort_id', sa.Integer(), nullable=False),
        sa.Column('threshold', sa.Double(), nullable=False),
        sa.Column('late_weight', sa.Double(), nullable=False),
        sa.CheckConstraint('threshold >= 0 AND threshold <= 1', name='ck_attendance_policies_threshold'),
        sa.CheckConstraint('late_weight >= 0 AND late_weight <= 1', name='ck_attendance_policies_late_weight'),
        sa.ForeignKeyConstraint(['cohort_id'], ['cohorts.id']),
        sa.PrimaryKeyConstraint('cohort_id'),
    )
    op.create_table(
        'attendance_sessions',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('cohort_id', sa.Integer(), nullable=False),
        sa.Column('starts_at', sa.DateTime(), nullable=False),
        sa.Column('ends_at', sa.DateTime(), nullable=False),
        sa.Column('room', sa.String(length=80), nullable=False),
        sa.Column('secret', sa.String(length=64), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('created_by', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('closed_at', sa.DateTime(), nullable=True),
        sa.CheckConstraint('ends_at > starts_at', name='ck_attendance_sessions_times'),
        sa.ForeignKeyConstraint(['cohort_id'], ['cohorts.id']),
        sa.ForeignKeyConstraint(['created_by'], ['users.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('attendance_sessions', schema=None) as batch_op:
        batch_op.create_index('ix_attendance_sessions_cohort_starts', ['cohort_id', 'starts_at'], unique=False)
    op.create_table(
        'attendance_marks',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('session_id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('source', sa.String(length=16), nullable=False),
        sa.Column('marked_by', sa.Integer(), nullable=True),
        sa.Column('marked_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['session_id'], ['attendance_sessions.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['user_id'], ['users.id']),
        sa.ForeignKeyConstraint(['marked_by'], ['users.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('session_id', 'user_id', name='uq_attendance_marks_session_user'),
    )
    with op.batch_alter_table('attendance_marks', schema=None) as batch_op:
        batch_op.create_index('ix_attendance_marks_user_id', ['user_id'], unique=False)


def downgrade():
    with op.batch_alter_table('attendance_marks', schema=None) as batch_op:
        batch_op.drop_index('ix_attendance_marks_user_id')
    op.drop_table('attendance_marks')
    with op.batch_alter_table('attendance_sessions', schema=None) as batch_op:
        batch_op.drop_index('ix_attendance_sessions_cohort_starts')
    op.drop_table('attendance_sessions')
    op.drop_table('attendance_policies')
