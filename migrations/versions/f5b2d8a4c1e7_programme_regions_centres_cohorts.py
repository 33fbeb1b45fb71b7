"""programme: Morocco's twelve regions, training centres, cohorts, enrolments, scoped role grants

Revision ID: f5b2d8a4c1e7
Revises: e7a1c9d3b5f2
Create Date: 2026-12-02 06:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'f5b2d8a4c1e7'
down_revision = 'e7a1c9d3b5f2'
branch_labels = None
depends_on = None

# The twelve regions of the 2015 division, north to south: reference data, written with the table.
REGIONS = [
    ("tanger-tetouan-al-hoceima", "Tanger-Tétouan-Al Hoceïma", "طنجة تطوان الحسيمة", "Tangier-Tetouan-Al Hoceima"),
    ("oriental", "L'Oriental", "الشرق", "Oriental"),
    ("fes-meknes", "Fès-Meknès", "فاس مكناس", "Fez-Meknes"),
    ("rabat-sale-kenitra", "Rabat-Salé-Kénitra", "الرباط سلا القنيطرة", "Rabat-Sale-Kenitra"),
    ("beni-mellal-khenifra", "Béni Mellal-Khénifra", "بني ملال خنيفرة", "Beni Mellal-Khenifra"),
    ("casablanca-settat", "Casablanca-Settat", "الدار البيضاء سطات", "Casablanca-Settat"),
    ("marrakech-safi", "Marrakech-Safi", "مراكش آسفي", "Marrakesh-Safi"),
    ("draa-tafilalet", "Drâa-Tafilalet", "درعة تافيلالت", "Draa-Tafilalet"),
    ("souss-massa", "Souss-Massa", "سوس ماسة", "Souss-Massa"),
    ("guelmim-oued-noun", "Guelmim-Oued Noun", "كلميم واد نون", "Guelmim-Oued Noun"),
    ("laayoune-sakia-el-hamra", "Laâyoune-Sakia El Hamra", "العيون الساقية الحمراء", "Laayoune-Sakia El Hamra"),
    ("dakhla-oued-ed-dahab", "Dakhla-Oued Ed-Dahab", "الداخلة وادي الذهب", "Dakhla-Oued Ed-Dahab"),
]


def upgrade():
    regions = op.create_table(
        'regions',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('code', sa.String(length=40), nullable=False),
        sa.Column('name', sa.JSON(), nullable=False),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('code'),
    )
    op.bulk_insert(regions, [{"code": code, "name": {"fr": fr, "ar": ar, "en": en}, "position": i}
                             for i, (code, fr, ar, en) in enumerate(REGIONS, start=1)])
    op.create_table(
        'centres',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('region_id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=120), nullable=False),
        sa.Column('city', sa.String(length=80), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['region_id'], ['regions.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('region_id', 'name', name='uq_centres_region_name'),
    )
    with op.batch_alter_table('centres', schema=None) as batch_op:
        batch_op.create_index('ix_centres_region_id', ['region_id'], unique=False)
    op.create_table(
        'cohorts',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=120), nullable=False),
        sa.Column('track_id', sa.Integer(), nullable=False),
        sa.Column('centre_id', sa.Integer(), nullable=False),
        sa.Column('starts_on', sa.Date(), nullable=False),
        sa.Column('ends_on', sa.Date(), nullable=False),
        sa.Column('capacity', sa.Integer(), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.CheckConstraint('capacity > 0', name='ck_cohorts_capacity'),
        sa.CheckConstraint('ends_on > starts_on', name='ck_cohorts_dates'),
        sa.ForeignKeyConstraint(['centre_id'], ['centres.id']),
        sa.ForeignKeyConstraint(['track_id'], ['tracks.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('centre_id', 'name', name='uq_cohorts_centre_name'),
    )
    with op.batch_alter_table('cohorts', schema=None) as batch_op:
        batch_op.create_index('ix_cohorts_centre_id', ['centre_id'], unique=False)
        batch_op.create_index('ix_cohorts_track_id', ['track_id'], unique=False)
    op.create_table(
        'enrolments',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('cohort_id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('enrolled_at', sa.DateTime(), nullable=False),
        sa.Column('withdrawn_at', sa.DateTime(), nullable=True),
        sa.Column('withdrawal_reason', sa.String(length=500), nullable=True),
        sa.ForeignKeyConstraint(['cohort_id'], ['cohorts.id']),
        sa.ForeignKeyConstraint(['user_id'], ['users.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('cohort_id', 'user_id', name='uq_enrolments_cohort_user'),
    )
    with op.batch_alter_table('enrolments', schema=None) as batch_op:
        batch_op.create_index('ix_enrolments_cohort_id', ['cohort_id'], unique=False)
        batch_op.create_index('ix_enrolments_user_id', ['user_id'], unique=False)
    op.create_table(
        'role_grants',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('role', sa.String(length=32), nullable=False),
        sa.Column('region_id', sa.Integer(), nullable=True),
        sa.Column('centre_id', sa.Integer(), nullable=True),
        sa.Column('cohort_id', sa.Integer(), nullable=True),
        sa.Column('granted_at', sa.DateTime(), nullable=False),
        sa.Column('granted_by', sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "(role = 'instructor' AND cohort_id IS NOT NULL AND centre_id IS NULL AND region_id IS NULL)"
            " OR (role = 'centre_manager' AND centre_id IS NOT NULL AND cohort_id IS NULL AND region_id IS NULL)"
            " OR (role = 'regional_coordinator' AND region_id IS NOT NULL AND cohort_id IS NULL"
            " AND centre_id IS NULL)"
            " OR (role = 'programme_staff' AND region_id IS NULL AND centre_id IS NULL AND cohort_id IS NULL)",
            name='ck_role_grants_scope'),
        sa.ForeignKeyConstraint(['centre_id'], ['centres.id']),
        sa.ForeignKeyConstraint(['cohort_id'], ['cohorts.id']),
        sa.ForeignKeyConstraint(['granted_by'], ['users.id']),
        sa.ForeignKeyConstraint(['region_id'], ['regions.id']),
        sa.ForeignKeyConstraint(['user_id'], ['users.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('role_grants', schema=None) as batch_op:
        batch_op.create_index('ix_role_grants_user', ['user_id'], unique=False)
        batch_op.create_index('ix_role_grants_region_id', ['region_id'], unique=False)
        batch_op.create_index('ix_role_grants_centre_id', ['centre_id'], unique=False)
        batch_op.create_index('ix_role_grants_cohort_id', ['cohort_id'], unique=False)


def downgrade():
    op.drop_table('role_grants')
    op.drop_table('enrolments')
    op.drop_table('cohorts')
    op.drop_table('centres')
    op.drop_table('regions')
