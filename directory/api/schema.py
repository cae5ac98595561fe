"""OpenAPI documentation of the search parameters, from the filters' own declarations.

drf-spectacular's django-filter extension guesses parameter types from model
fields; the search filters are not model fields, so each filter declares its
schema and example (directory.filters) and this extension reads them.
"""

from drf_spectacular.extensions import OpenApiFilterExtension
from drf_spectacular.plumbing import build_parameter_type


class SearchFilterExtension(OpenApiFilterExtension):
    target_class = "directory.api.backends.SearchFilterBackend"
    match_subclasses = True

    def get_schema_operation_parameters(self, auto_schema, *args, **kwargs):
        view = auto_schema.view
        if getattr(view, "action", None) not in (None, "list"):
            return []
        filterset_class = getattr(view, "filterset_class", None)
        if filterset_class is None:
            return []
        parameters = []
        for name, search_filter in filterset_class.base_filters.items():
            schema = dict(search_filter.schema)
            if search_filter.many:
                schema = {"type": "array", "items": schema}
            description = str(search_filter.label)
            if search_filter.many and name != "available":
                description += " (repeat the parameter or separate values with commas)"
            elif search_filter.many:
                description += " (repeat the parameter for several windows)"
            parameters.append(
                build_parameter_type(
                    name=name,
                    schema=schema,
                    location="query",
                    description=description,
                    explode=True if search_filter.many else None,
                    style="form" if search_filter.many else None,
                    examples=None,
                    extensions=None,
                )
                | {
                    "example": [search_filter.example]
                    if search_filter.many
                    else search_filter.example
                }
            )
        return parameters
