"""content sources: each exercise belongs to the folder or repository it was imported from

Revision ID: a82a78c87826
Revises: cc8857a9e131
Create Date: 2026-12-01 08:13:55

Before sources existed every start imported the bundled exercises/ and archived the rest, so what a database holds
came from there: its exercises, tracks and modules go to a "bundled-demo" source, the name exercises/source.yaml
gives, and the next import of exercises/ recognises them (unchanged). An exercise imported from another folder
since the last start goes there too; importing that folder again then names the conflict and asks for
`--move-from bundled-demo`.
"""
from datetime import UTC, datetime

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a82a78c87826'
down_revision = 'cc8857a9e131'
branch_labels = None
depends_on = None

BUNDLED_SOURCE = 'bundled-demo'


def upgrade():
    sources = op.create_table('content_sources',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('location', sa.String(length=1024), nullable=False),
    sa.Column('git_commit', sa.String(length=64), nullable=True),
    sa.Column('imported_at', sa.DateTime(), nullable=True),
    sa.Column('imported_by', sa.String(length=120), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('moved_out', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('name')
    )
    source_tracks = op.create_table('content_source_tracks',
    sa.Column('source_id', sa.Integer(), nullable=False),
    sa.Column('track_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['source_id'], ['content_sources.id'], ),
    sa.ForeignKeyConstraint(['track_id'], ['tracks.id'], ),
    sa.PrimaryKeyConstraint('source_id', 'track_id')
    )
    with op.batch_alter_table('content_source_tracks', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_content_source_tracks_track_id'), ['track_id'], unique=False)

    source_modules = op.create_table('content_source_modules',
    sa.Column('source_id', sa.Integer(), nullable=False),
    sa.Column('module_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['module_id'], ['modules.id'], ),
    sa.ForeignKeyConstraint(['source_id'], ['content_sources.id'], ),
    sa.PrimaryKeyConstraint('source_id', 'module_id')
    )
    with op.batch_alter_table('content_source_modules', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_content_source_modules_module_id'), ['module_id'], unique=False)

    # Nullable until the existing rows have their source.
    with op.batch_alter_table('exercises', schema=None) as batch_op:
        batch_op.add_column(sa.Column('source_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_exercises_source_id'), ['source_id'], unique=False)
        batch_op.create_foreign_key('fk_exercises_source_id', 'content_sources', ['source_id'], ['id'])

    attribute_existing_content(op.get_bind(), sources, source_tracks, source_modules)

    with op.batch_alter_table('exercises', schema=None) as batch_op:
        batch_op.alter_column('source_id', existing_type=sa.Integer(), nullable=False)


def attribute_existing_content(connection, sources, source_tracks, source_modules):
    exercises = sa.table('exercises', sa.column('source_id', sa.Integer()))
    tracks = sa.table('tracks', sa.column('id', sa.Integer()), sa.column('archived', sa.Boolean()))
    modules = sa.table('modules', sa.column('id', sa.Integer()), sa.column('archived', sa.Boolean()))
    if not connection.scalar(sa.select(sa.func.count()).select_from(exercises)):
        return  # a new database: the first import creates its sources
    # Kind and location are what scripts/run.sh imports; the next import writes the real ones and its commit.
    connection.execute(sa.insert(sources).values(name=BUNDLED_SOURCE, kind='folder', location='exercises',
                                                 created_at=datetime.now(UTC).replace(tzinfo=None), moved_out=[]))
    source_id = connection.scalar(sa.select(sources.c.id).where(sources.c.name == BUNDLED_SOURCE))
    connection.execute(sa.update(exercises).values(source_id=source_id))
    # Archived tracks and modules are provided by no source.
    for table, links, column in ((tracks, source_tracks, 'track_id'), (modules, source_modules, 'module_id')):
        ids = connection.scalars(sa.select(table.c.id).where(table.c.archived == sa.false())).all()
        if ids:
            connection.execute(sa.insert(links), [{'source_id': source_id, column: row_id} for row_id in ids])


def downgrade():
    with op.batch_alter_table('exercises', schema=None) as batch_op:
        batch_op.drop_constraint('fk_exercises_source_id', type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_exercises_source_id'))
        batch_op.drop_column('source_id')

    with op.batch_alter_table('content_source_modules', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_content_source_modules_module_id'))

    op.drop_table('content_source_modules')
    with op.batch_alter_table('content_source_tracks', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_content_source_tracks_track_id'))

    op.drop_table('content_source_tracks')
    op.drop_table('content_sources')
