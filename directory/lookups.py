"""The ``any_of`` lookup: a JSON array column shares at least one element with a list.

Django's ``has_any_keys`` reads JSON object keys on SQLite, and ``contains`` is
not available there, so neither gives "any of" over arrays on both databases.
On PostgreSQL this compiles to jsonb ``?|``, which a GIN index on the column
answers; on SQLite to an EXISTS over ``json_each``.
"""

from django.db.models import JSONField, Lookup


@JSONField.register_lookup
class AnyOf(Lookup):
    lookup_name = "any_of"
    prepare_rhs = False

    def get_prep_lookup(self):
        return list(self.rhs)

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        placeholders = ", ".join(["%s"] * len(self.rhs))
        sql = f"EXISTS (SELECT 1 FROM json_each({lhs}) WHERE json_each.value IN ({placeholders}))"
        return sql, (*lhs_params, *self.rhs)

    def as_postgresql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        return f"{lhs} ?| %s::text[]", (*lhs_params, list(self.rhs))
