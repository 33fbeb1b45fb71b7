"""publications of modules to cohorts, groups, date overrides, effective windows, late policies, stored grades

Revision ID: b8d2f4a6c1e3
Revises: a3c6e9f1b2d4
Create Date: 2026-12-02 14:40:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b8d2f4a6c1e3'
down_revision = 'a3c6e9f1b2d4'
branch_labels = None
depends_on = None


def dates():
    return [sa.Column('opens_at', sa.DateTime(), nullable=True), sa.Column('due_at', sa.DateTime(), nullable=True),
            sa.Column('cutoff_at', sa.DateTime(), nullable=True)]


def upgrade():
    op.create_table(
        'publications',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('cohort_id', sa.Integer(), sa.ForeignKey('cohorts.id'), nullable=False),
        sa.Column('module_id', sa.Integer(), sa.ForeignKey('modules.id'), nullable=False),
        sa.Column('exercise_id', sa.Integer(), sa.ForeignKey('exercises.id'), nullable=True),
        *dates(),
        sa.Column('published_by', sa.Integer(), sa.ForeignKey('users.id'), nullable=True),
        sa.Column('published_at', sa.DateTime(), nullable=False),
        sa.CheckConstraint('due_at IS NULL OR opens_at IS NULL OR due_at > opens_at', name='ck_publications_due'),
        sa.CheckConstraint('cutoff_at IS NULL OR due_at IS NULL OR cutoff_at >= due_at',
                           name='ck_publications_cutoff'),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_publications_cohort_module', 'publications', ['cohort_id', 'module_id'])
    op.create_table(
        'cohort_groups',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('cohort_id', sa.Integer(), sa.ForeignKey('cohorts.id'), nullable=False),
        sa.Column('name', sa.String(length=80), nullable=False),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('cohort_id', 'name', name='uq_cohort_groups_name'),
    )
    op.create_index('ix_cohort_groups_cohort_id', 'cohort_groups', ['cohort_id'])
    op.create_table(
        'cohort_group_members',
        sa.Column('group_id', sa.Integer(), sa.ForeignKey('cohort_groups.id'), nullable=False),
        sa.Column('user_id', sa.Integer(), sa.ForeignKey('users.id'), nullable=False),
        sa.PrimaryKeyConstraint('group_id', 'user_id'),
    )
    op.create_index('ix_cohort_group_members_user_id', 'cohort_group_members', ['user_id'])
    op.create_table(
        'date_overrides',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('cohort_id', sa.Integer(), sa.ForeignKey('cohorts.id'), nullable=False),
        sa.Column('exercise_id', sa.Integer(), sa.ForeignKey('exercises.id'), nullable=False),
        sa.Column('group_id', sa.Integer(), sa.ForeignKey('cohort_groups.id'), nullable=True),
        sa.Column('user_id', sa.Integer(), sa.ForeignKey('users.id'), nullable=True),
        *dates(),
        sa.Column('reason', sa.String(length=500), nullable=False),
        sa.Column('granted_by', sa.Integer(), sa.ForeignKey('users.id'), nullable=True),
        sa.Column('granted_at', sa.DateTime(), nullable=False),
        sa.CheckConstraint('(group_id IS NULL) <> (user_id IS NULL)', name='ck_date_overrides_target'),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_date_overrides_cohort_exercise', 'date_overrides', ['cohort_id', 'exercise_id'])
    op.create_table(
        'effective_windows',
        sa.Column('cohort_id', sa.Integer(), sa.ForeignKey('cohorts.id'), nullable=False),
        sa.Column('user_id', sa.Integer(), sa.ForeignKey('users.id'), nullable=False),
        sa.Column('exercise_id', sa.Integer(), sa.ForeignKey('exercises.id'), nullable=False),
        *dates(),
        sa.Column('extended', sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint('cohort_id', 'user_id', 'exercise_id'),
    )
    op.create_index('ix_effective_windows_user_exercise', 'effective_windows', ['user_id', 'exercise_id'])
    op.create_table(
        'late_policies',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('cohort_id', sa.Integer(), sa.ForeignKey('cohorts.id'), nullable=False),
        sa.Column('exercise_id', sa.Integer(), sa.ForeignKey('exercises.id'), nullable=True),
        sa.Column('grace_minutes', sa.Integer(), nullable=False),
        sa.Column('penalty', sa.String(length=16), nullable=False),
        sa.Column('interval_hours', sa.Integer(), nullable=False),
        sa.Column('rate_percent', sa.Double(), nullable=False),
        sa.Column('cap_percent', sa.Double(), nullable=False),
        sa.Column('floor_percent', sa.Double(), nullable=False),
        sa.Column('steps', sa.JSON(), nullable=False),
        sa.Column('counting', sa.String(length=8), nullable=False),
        sa.Column('updated_by', sa.Integer(), sa.ForeignKey('users.id'), nullable=True),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_late_policies_cohort', 'late_policies', ['cohort_id'])
    op.create_table(
        'grades',
        sa.Column('cohort_id', sa.Integer(), sa.ForeignKey('cohorts.id'), nullable=False),
        sa.Column('user_id', sa.Integer(), sa.ForeignKey('users.id'), nullable=False),
        sa.Column('exercise_id', sa.Integer(), sa.ForeignKey('exercises.id'), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('raw', sa.Double(), nullable=True),
        sa.Column('penalty', sa.Double(), nullable=False),
        sa.Column('final', sa.Double(), nullable=True),
        sa.Column('max_score', sa.Double(), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('late_minutes', sa.Integer(), nullable=True),
        sa.Column('submission_id', sa.Integer(), sa.ForeignKey('submissions.id'), nullable=True),
        sa.Column('override', sa.Double(), nullable=True),
        sa.Column('override_reason', sa.String(length=500), nullable=True),
        sa.Column('excused_reason', sa.String(length=500), nullable=True),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint('cohort_id', 'user_id', 'exercise_id'),
    )
    op.create_index('ix_grades_user_exercise', 'grades', ['user_id', 'exercise_id'])
    op.create_table(
        'gradebook_events',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('cohort_id', sa.Integer(), sa.ForeignKey('cohorts.id'), nullable=False),
        sa.Column('actor_id', sa.Integer(), sa.ForeignKey('users.id'), nullable=True),
        sa.Column('action', sa.String(length=32), nullable=False),
        sa.Column('detail', sa.JSON(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_gradebook_events_cohort', 'gradebook_events', ['cohort_id', 'created_at'])


def downgrade():
    for table in ('gradebook_events', 'grades', 'late_policies', 'effective_windows', 'date_overrides',
                  'cohort_group_members', 'cohort_groups', 'publications'):
        op.drop_table(table)
