"""ctf-flag: artifact downloads, hint openings, reports of flags handed in by a learner they were not made for

Revision ID: c9f3a7e1d5b8
Revises: a3c5e7f9b1d4
Create Date: 2026-12-03 09:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c9f3a7e1d5b8'
down_revision = 'a3c5e7f9b1d4'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'ctf_artifact_downloads',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('exercise_id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('downloaded_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['exercise_id'], ['exercises.id']),
        sa.ForeignKeyConstraint(['user_id'], ['users.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('ctf_artifact_downloads', schema=None) as batch_op:
        batch_op.create_index('ix_ctf_artifact_downloads_exercise_user', ['exercise_id', 'user_id'], unique=False)
    op.create_table(
        'ctf_hint_openings',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('exercise_id', sa.Integer(), nullable=False),
        sa.Column('hint_id', sa.String(length=64), nullable=False),
        sa.Column('opened_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['exercise_id'], ['exercises.id']),
        sa.ForeignKeyConstraint(['user_id'], ['users.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('user_id', 'exercise_id', 'hint_id', name='uq_ctf_hint_openings'),
    )
    with op.batch_alter_table('ctf_hint_openings', schema=None) as batch_op:
        batch_op.create_index('ix_ctf_hint_openings_exercise_id', ['exercise_id'], unique=False)
    op.create_table(
        'ctf_shared_flag_reports',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('submission_id', sa.Integer(), nullable=False),
        sa.Column('exercise_id', sa.Integer(), nullable=False),
        sa.Column('submitter_id', sa.Integer(), nullable=False),
        sa.Column('owner_id', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['submission_id'], ['submissions.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['exercise_id'], ['exercises.id']),
        sa.ForeignKeyConstraint(['submitter_id'], ['users.id']),
        sa.ForeignKeyConstraint(['owner_id'], ['users.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('submission_id'),
    )
    with op.batch_alter_table('ctf_shared_flag_reports', schema=None) as batch_op:
        batch_op.create_index('ix_ctf_shared_flag_reports_exercise_id', ['exercise_id'], unique=False)
        batch_op.create_index('ix_ctf_shared_flag_reports_submitter_id', ['submitter_id'], unique=False)
        batch_op.create_index('ix_ctf_shared_flag_reports_owner_id', ['owner_id'], unique=False)


def downgrade():
    with op.batch_alter_table('ctf_shared_flag_reports', schema=None) as batch_op:
        batch_op.drop_index('ix_ctf_shared_flag_reports_owner_id')
        batch_op.drop_index('ix_ctf_shared_flag_reports_submitter_id')
        batch_op.drop_index('ix_ctf_shared_flag_reports_exercise_id')
    op.drop_table('ctf_shared_flag_reports')
    with op.batch_alter_table('ctf_hint_openings', schema=None) as batch_op:
        batch_op.drop_index('ix_ctf_hint_openings_exercise_id')
    op.drop_table('ctf_hint_openings')
    with op.batch_alter_table('ctf_artifact_downloads', schema=None) as batch_op:
        batch_op.drop_index('ix_ctf_artifact_downloads_exercise_user')
    op.drop_table('ctf_artifact_downloads')
