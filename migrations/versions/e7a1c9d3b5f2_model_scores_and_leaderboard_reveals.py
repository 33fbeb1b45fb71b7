"""model scores and leaderboard reveals: the ranked kind's public and sealed private scores per submission

Revision ID: e7a1c9d3b5f2
Revises: d41e5c2b7a90
Create Date: 2026-12-01 21:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'e7a1c9d3b5f2'
down_revision = 'd41e5c2b7a90'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'model_scores',
        sa.Column('submission_id', sa.Integer(), nullable=False),
        sa.Column('exercise_id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('metric', sa.String(length=16), nullable=False),
        sa.Column('higher_is_better', sa.Boolean(), nullable=False),
        sa.Column('threshold', sa.Double(), nullable=False),
        sa.Column('public_score', sa.Double(), nullable=False),
        sa.Column('private_score', sa.Double(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['submission_id'], ['submissions.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['exercise_id'], ['exercises.id']),
        sa.ForeignKeyConstraint(['user_id'], ['users.id']),
        sa.PrimaryKeyConstraint('submission_id'),
    )
    with op.batch_alter_table('model_scores', schema=None) as batch_op:
        batch_op.create_index('ix_model_scores_exercise_user', ['exercise_id', 'user_id'], unique=False)
    op.create_table(
        'leaderboard_reveals',
        sa.Column('exercise_id', sa.Integer(), nullable=False),
        sa.Column('revealed_at', sa.DateTime(), nullable=False),
        sa.Column('revealed_by', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['exercise_id'], ['exercises.id']),
        sa.ForeignKeyConstraint(['revealed_by'], ['users.id']),
        sa.PrimaryKeyConstraint('exercise_id'),
    )


def downgrade():
    op.drop_table('leaderboard_reveals')
    with op.batch_alter_table('model_scores', schema=None) as batch_op:
        batch_op.drop_index('ix_model_scores_exercise_user')
    op.drop_table('model_scores')
