"""submission artifacts: pictures shown with the feedback (screenshots)

Revision ID: d41e5c2b7a90
Revises: a82a78c87826
Create Date: 2026-12-01 11:10:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'd41e5c2b7a90'
down_revision = 'a82a78c87826'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'submission_artifacts',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('submission_id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=64), nullable=False),
        sa.Column('content_type', sa.String(length=32), nullable=False),
        sa.Column('caption', sa.JSON(), nullable=False),
        sa.Column('data', sa.LargeBinary(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['submission_id'], ['submissions.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('submission_artifacts', schema=None) as batch_op:
        batch_op.create_index('ix_submission_artifacts_submission_name', ['submission_id', 'name'], unique=True)


def downgrade():
    with op.batch_alter_table('submission_artifacts', schema=None) as batch_op:
        batch_op.drop_index('ix_submission_artifacts_submission_name')
    op.drop_table('submission_artifacts')
