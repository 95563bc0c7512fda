"""The school year: records keep the class and year group of their day; rollovers can be undone;
pupils keep their legal name and date of birth from the MIS

Revision ID: 0012_school_year
Revises: 0004_coverage_admin
"""

import sqlalchemy as sa
from alembic import op

revision = "0012_school_year"
down_revision = "0004_coverage_admin"
branch_labels = None
depends_on = None

# The class's state at a record's time: the first rollover after it says what the class was then;
# with none since, the class is as it is now.
THEN = """COALESCE(
    (SELECT rc.{col_from} FROM rollover_classes rc JOIN rollovers r ON r.id = rc.rollover_id
      WHERE rc.class_id = {table}.class_id AND r.performed_at > {table}.{when}
      ORDER BY r.performed_at LIMIT 1),
    (SELECT c.{col_now} FROM classes c WHERE c.id = {table}.class_id))"""


def _backfill(table: str, when: str, columns: dict[str, tuple[str, str]]) -> None:
    sets = ", ".join(f"{column} = " + THEN.format(col_from=then, col_now=now, table=table, when=when)
                     for column, (then, now) in columns.items())
    op.execute(f"UPDATE {table} SET {sets} WHERE class_id IS NOT NULL")


def upgrade():
    with op.batch_alter_table("concern_entries") as batch:
        batch.add_column(sa.Column("happened_at", sa.DateTime(), nullable=True))
        batch.add_column(sa.Column("corrects_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(batch.f("fk_concern_entries_corrects_id_concern_entries"), "concern_entries",
                                 ["corrects_id"], ["id"])
    with op.batch_alter_table("pupils") as batch:
        batch.add_column(sa.Column("legal_first_name", sa.String(length=60), nullable=True))
        batch.add_column(sa.Column("legal_last_name", sa.String(length=60), nullable=True))
        batch.add_column(sa.Column("date_of_birth", sa.Date(), nullable=True))
    with op.batch_alter_table("concerns") as batch:
        batch.add_column(sa.Column("class_name", sa.String(length=60), nullable=True))
        batch.add_column(sa.Column("year_group", sa.Integer(), nullable=True))
    with op.batch_alter_table("pledge_signatures") as batch:
        batch.add_column(sa.Column("year_group", sa.Integer(), nullable=True))
    with op.batch_alter_table("quiz_attempts") as batch:
        batch.add_column(sa.Column("year_group", sa.Integer(), nullable=True))
    _backfill("concerns", "created_at", {"class_name": ("from_name", "name"), "year_group": ("from_year", "year_group")})
    _backfill("pledge_signatures", "signed_at", {"year_group": ("from_year", "year_group")})
    _backfill("quiz_attempts", "started_at", {"year_group": ("from_year", "year_group")})

    with op.batch_alter_table("rollovers") as batch:
        batch.add_column(sa.Column("undone_at", sa.DateTime(), nullable=True))
        batch.add_column(sa.Column("undone_by_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(batch.f("fk_rollovers_undone_by_id_staff_users"), "staff_users", ["undone_by_id"],
                                 ["id"], ondelete="SET NULL")
        batch.drop_constraint("uq_rollovers_school_id", type_="unique")
    op.create_index("uq_rollovers_school_year_in_force", "rollovers", ["school_id", "academic_year"], unique=True,
                    sqlite_where=sa.text("undone_at IS NULL"), postgresql_where=sa.text("undone_at IS NULL"))
    with op.batch_alter_table("rollover_classes") as batch:
        batch.add_column(sa.Column("kept_teachers", sa.Boolean(), server_default="0", nullable=False))
    op.create_table(
        "rollover_teachers",
        sa.Column("rollover_id", sa.Integer(), nullable=False),
        sa.Column("class_id", sa.Integer(), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["class_id"], ["classes.id"], name=op.f("fk_rollover_teachers_class_id_classes"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["rollover_id"], ["rollovers.id"],
                                name=op.f("fk_rollover_teachers_rollover_id_rollovers"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["staff_id"], ["staff_users.id"],
                                name=op.f("fk_rollover_teachers_staff_id_staff_users"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("rollover_id", "class_id", "staff_id", name=op.f("pk_rollover_teachers")),
    )
    op.create_table(
        "rollover_leavers",
        sa.Column("rollover_id", sa.Integer(), nullable=False),
        sa.Column("pupil_id", sa.Integer(), nullable=False),
        sa.Column("badge_ids", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["pupil_id"], ["pupils.id"], name=op.f("fk_rollover_leavers_pupil_id_pupils"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["rollover_id"], ["rollovers.id"],
                                name=op.f("fk_rollover_leavers_rollover_id_rollovers"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("rollover_id", "pupil_id", name=op.f("pk_rollover_leavers")),
    )


def downgrade():
    op.drop_table("rollover_leavers")
    op.drop_table("rollover_teachers")
    with op.batch_alter_table("rollover_classes") as batch:
        batch.drop_column("kept_teachers")
    op.drop_index("uq_rollovers_school_year_in_force", table_name="rollovers")
    with op.batch_alter_table("rollovers") as batch:
        batch.create_unique_constraint("uq_rollovers_school_id", ["school_id", "academic_year"])
        batch.drop_constraint("fk_rollovers_undone_by_id_staff_users", type_="foreignkey")
        batch.drop_column("undone_by_id")
        batch.drop_column("undone_at")
    with op.batch_alter_table("concern_entries") as batch:
        batch.drop_constraint("fk_concern_entries_corrects_id_concern_entries", type_="foreignkey")
        batch.drop_column("corrects_id")
        batch.drop_column("happened_at")
    for table, columns in (("quiz_attempts", ["year_group"]), ("pledge_signatures", ["year_group"]),
                           ("concerns", ["year_group", "class_name"]),
                           ("pupils", ["date_of_birth", "legal_last_name", "legal_first_name"])):
        with op.batch_alter_table(table) as batch:
            for column in columns:
                batch.drop_column(column)
