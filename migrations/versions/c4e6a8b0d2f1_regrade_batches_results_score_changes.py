"""regrades: batches run on the regrade queue, their results (a preview), and each submission's score history

Revision ID: c4e6a8b0d2f1
Revises: b8d2f4a6c1e3
Create Date: 2026-12-02 15:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c4e6a8b0d2f1'
down_revision = 'b8d2f4a6c1e3'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'regrade_batches',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('exercise_id', sa.Integer(), sa.ForeignKey('exercises.id'), nullable=False),
        sa.Column('requested_by', sa.Integer(), sa.ForeignKey('users.id'), nullable=False),
        sa.Column('content_version', sa.String(length=64), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('total', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('decided_at', sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_regrade_batches_exercise_id', 'regrade_batches', ['exercise_id'])
    op.create_table(
        'regrade_results',
        sa.Column('batch_id', sa.Integer(), sa.ForeignKey('regrade_batches.id'), nullable=False),
        sa.Column('submission_id', sa.Integer(), sa.ForeignKey('submissions.id'), nullable=False),
        sa.Column('old_score', sa.Double(), nullable=True),
        sa.Column('old_verdict', sa.String(length=32), nullable=True),
        sa.Column('new_score', sa.Double(), nullable=True),
        sa.Column('new_max_score', sa.Double(), nullable=True),
        sa.Column('new_verdict', sa.String(length=32), nullable=True),
        sa.Column('new_feedback', sa.JSON(), nullable=False),
        sa.Column('error', sa.Text(), nullable=True),
        sa.Column('finished_at', sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint('batch_id', 'submission_id'),
    )
    op.create_table(
        'score_changes',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('submission_id', sa.Integer(), sa.ForeignKey('submissions.id'), nullable=False),
        sa.Column('batch_id', sa.Integer(), sa.ForeignKey('regrade_batches.id'), nullable=True),
        sa.Column('old_score', sa.Double(), nullable=True),
        sa.Column('new_score', sa.Double(), nullable=True),
        sa.Column('old_verdict', sa.String(length=32), nullable=True),
        sa.Column('new_verdict', sa.String(length=32), nullable=True),
        sa.Column('old_content_version', sa.String(length=64), nullable=False),
        sa.Column('new_content_version', sa.String(length=64), nullable=False),
        sa.Column('changed_by', sa.Integer(), sa.ForeignKey('users.id'), nullable=True),
        sa.Column('changed_at', sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_score_changes_submission', 'score_changes', ['submission_id'])


def downgrade():
    for table in ('score_changes', 'regrade_results', 'regrade_batches'):
        op.drop_table(table)
