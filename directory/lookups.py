"""The ``any_of`` lookup: a column of codes shares at least one element with a list.

Django's ``has_any_keys`` reads JSON object keys on SQLite, and ``contains`` is
not available there, so neither gives "any of" over arrays on both databases.
On PostgreSQL a JSON array column compiles to jsonb ``?|``, which a GIN index on the
column answers; on SQLite to an EXISTS over ``json_each``.

``CodesOf`` keeps a copy of a JSON array of codes as a ``CodesField``: ``text[]`` on
PostgreSQL, where ``any_of`` is the array overlap ``&&``, the same JSON text on SQLite.
A GIN index on jsonb answers ``?|`` with candidates only (every row it finds is tested
again, with every other condition of the same bitmap: the search document's match
too), a GIN index on ``text[]`` answers ``&&`` exactly, so PostgreSQL counts the
facilities in both bitmaps (``q`` with ``payment``) without testing them again
(issue 6; docs/performance.md, session 15).
"""

import json

from django.db.models import Field, Func, JSONField, Lookup


class CodesField(Field):
    """A list of codes (slugs: no quotes, commas or spaces), kept by the database from a
    JSON array column (``CodesOf``, in a ``GeneratedField``); read as a list."""

    description = "A list of codes"

    def db_type(self, connection):
        return "text[]" if connection.vendor == "postgresql" else "text"

    def from_db_value(self, value, expression, connection):
        return json.loads(value) if isinstance(value, str) else value


class CodesOf(Func):
    """The codes of a JSON array column, as a ``CodesField``.

    On PostgreSQL the array's text (``["a", "b"]``, jsonb's own layout) split into
    ``text[]`` by functions that are all immutable, as a generated column needs (a cast
    to ``text[]`` is only stable); the codes of directory.choices hold none of the
    characters it splits on. On SQLite the JSON itself.
    """

    arity = 1
    output_field = CodesField()

    def as_sql(self, compiler, connection, **extra_context):
        return super().as_sql(compiler, connection, template="%(expressions)s", **extra_context)

    def as_postgresql(self, compiler, connection, **extra_context):
        template = "string_to_array(btrim((%(expressions)s)::text, '[]\" '), '\", \"')"
        return super().as_sql(compiler, connection, template=template, **extra_context)


@JSONField.register_lookup
@CodesField.register_lookup
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
        operator = "&&" if isinstance(self.lhs.output_field, CodesField) else "?|"
        return f"{lhs} {operator} %s::text[]", (*lhs_params, list(self.rhs))
