"""import batches: uploaded learner files, their parsed lines and per-line report

Revision ID: b7d3f1a9c2e5
Revises: b7d4e2a9c6f1
Create Date: 2026-12-03 09:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b7d3f1a9c2e5'
down_revision = 'b7d4e2a9c6f1'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'import_batches',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('filename', sa.String(length=255), nullable=False),
        sa.Column('mode', sa.String(length=16), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('cohort_id', sa.Integer(), nullable=True),
        sa.Column('headers', sa.JSON(), nullable=False),
        sa.Column('rows', sa.JSON(), nullable=False),
        sa.Column('report', sa.JSON(), nullable=False),
        sa.Column('total_rows', sa.Integer(), nullable=False),
        sa.Column('valid_rows', sa.Integer(), nullable=False),
        sa.Column('error_rows', sa.Integer(), nullable=False),
        sa.Column('created_accounts', sa.Integer(), nullable=False),
        sa.Column('updated_accounts', sa.Integer(), nullable=False),
        sa.Column('enrolments', sa.Integer(), nullable=False),
        sa.Column('committed_at', sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(['user_id'], ['users.id']),
        sa.ForeignKeyConstraint(['cohort_id'], ['cohorts.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('import_batches', schema=None) as batch_op:
        batch_op.create_index('ix_import_batches_user_id', ['user_id'], unique=False)


def downgrade():
    with op.batch_alter_table('import_batches', schema=None) as batch_op:
        batch_op.drop_index('ix_import_batches_user_id')
    op.drop_table('import_batches')
