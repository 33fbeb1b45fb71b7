"""export logs: who took which export, of what, when

Revision ID: a3c6e9f1b2d4
Revises: f5b2d8a4c1e7
Create Date: 2026-12-02 07:05:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a3c6e9f1b2d4'
down_revision = 'f5b2d8a4c1e7'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'export_logs',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('export', sa.String(length=64), nullable=False),
        sa.Column('file_format', sa.String(length=8), nullable=False),
        sa.Column('parameters', sa.JSON(), nullable=False),
        sa.Column('rows', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['users.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('export_logs', schema=None) as batch_op:
        batch_op.create_index('ix_export_logs_user_id', ['user_id'], unique=False)


def downgrade():
    with op.batch_alter_table('export_logs', schema=None) as batch_op:
        batch_op.drop_index('ix_export_logs_user_id')
    op.drop_table('export_logs')
