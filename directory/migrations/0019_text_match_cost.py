"""The planner's cost of matching a stored text-search vector (issue 6).

PostgreSQL rates ``tsvector @@ tsquery`` (its function ``ts_match_vq``) at ``COST 1``, as
cheap as comparing two integers (its own ``text @@ text``, which parses, is rated 100).
At that rate the planner counted a one-word search by reading every published facility
through ``facility_published_id`` and matching each row, rather than reading the matches
from the GIN index ``facility_search_document``: at 100,000 facilities ``?q=trauma``
(35,642 matches of 90,081) counted in 75 ms where the index takes 32 ms, and the request
took 90 ms instead of 31. At ``COST 5`` and ``10`` the count takes the index and the
other text searches keep their plans; from 20, counts of many matches take parallel
plans, slower on two cores (docs/performance.md, session 10).

PostgreSQL keeps a function's cost per database, and only a superuser may change a
built-in one: when the user running the migration is not one, it changes nothing and
warns (docs/operations.md gives the statement to run as a superuser). ``pg_dump`` does
not carry the setting either, nor does ``pg_upgrade``: after restoring a dump or
upgrading the server, run the statement again (``migrate`` will not: the migration is
recorded as applied).
"""

import warnings

from django.db import migrations

MATCH_FUNCTION = "ts_match_vq(tsvector, tsquery)"
MATCH_COST = 10
POSTGRESQL_COST = 1
NOT_SUPERUSER = (
    "{user} is not a superuser: the cost of {function} is left as it is; as a superuser "
    "run {statement!r} (docs/operations.md)"
)


def statement(cost):
    return f"ALTER FUNCTION pg_catalog.{MATCH_FUNCTION} COST {cost}"


def set_cost(cost):
    def apply(apps, schema_editor):
        connection = schema_editor.connection
        if connection.vendor != "postgresql":
            return
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT current_user, rolsuper FROM pg_roles WHERE rolname = current_user"
            )
            user, superuser = cursor.fetchone()
        if not superuser:
            warnings.warn(
                NOT_SUPERUSER.format(
                    user=user, function=MATCH_FUNCTION, statement=statement(cost)
                ),
                stacklevel=1,
            )
            return
        schema_editor.execute(statement(cost))

    return apply


class Migration(migrations.Migration):
    dependencies = [("directory", "0018_program_order_covering")]

    operations = [
        migrations.RunPython(set_cost(MATCH_COST), set_cost(POSTGRESQL_COST), elidable=False)
    ]
