"""OpenAPI documentation that drf-spectacular cannot infer.

- The error answers every operation can give: drf-spectacular documents what views
  declare; the answers that come from DRF's machinery (a bad token, the throttle, an
  unknown page, the database being down) and the bodies of the write errors are added
  after generation (``document_errors``), so that the schema describes every answer
  (schemathesis checks each response against it).
- The vocabularies of the interchange record's fields (languages, payment options,
  care levels), so that clients, and the fuzzer, know the valid values.

Imported by directory.api.views, which registers the field extensions.
"""

from drf_spectacular.extensions import OpenApiSerializerFieldExtension

from directory.filters import LEVELS

FIELD_ERRORS = "FieldErrors"
DETAIL = "Detail"
COMPONENTS = {
    FIELD_ERRORS: {
        "type": "object",
        "description": "Each offending parameter or field, with what is wrong with it.",
        "additionalProperties": {"type": "array", "items": {"type": "string"}},
        "example": {"age": ["expected an age in whole years from 0 to 150, got '-3'"]},
    },
    DETAIL: {
        "type": "object",
        "properties": {"detail": {"type": "string"}},
        "required": ["detail"],
    },
}
# Every operation under the API, whatever it declares.
ALWAYS = {
    "401": "The `Authorization` header names no valid token.",
    "429": "Too many anonymous requests from this address: retry after `Retry-After` seconds.",
    "503": "The database is unreachable: retry after `Retry-After` seconds.",
}
RETRY_AFTER = {
    "Retry-After": {"schema": {"type": "integer"}, "description": "Seconds to wait."},
}


def _ref(name):
    return {"$ref": f"#/components/schemas/{name}"}


def _body(code):
    if code == "400":
        schema = {"anyOf": [_ref(FIELD_ERRORS), _ref(DETAIL)]}
    elif code == "409":
        schema = _ref(FIELD_ERRORS)
    else:
        schema = _ref(DETAIL)
    return {"application/json": {"schema": schema}}


def document_errors(result, generator, request, public):
    """Add the error answers of every API operation, each with its JSON body.

    A postprocessing hook (SPECTACULAR_SETTINGS): 401, 429 and 503 everywhere; 404 where
    the path names an object or the query a page; 400 where the query takes parameters.
    """
    result.setdefault("components", {}).setdefault("schemas", {}).update(COMPONENTS)
    for path, operations in result.get("paths", {}).items():
        if not path.startswith("/api/v1/"):
            continue
        for operation in operations.values():
            responses = operation.setdefault("responses", {})
            parameters = operation.get("parameters", [])
            query = {p["name"] for p in parameters if p.get("in") == "query"}
            wanted = dict(ALWAYS)
            if "{" in path or "page" in query:
                wanted["404"] = "Not found (an unknown object, or a page past the last)."
            if query:
                wanted["400"] = "Bad parameters: each one named, with what is wrong."
            for code, description in wanted.items():
                responses.setdefault(code, {"description": description})
            # Too long a URL is refused by the HTTP server (gunicorn, nginx) before the app.
            responses.setdefault("414", {"description": "The request line is too long."})
            for code, response in responses.items():
                if code.startswith(("4", "5")) and code != "414":
                    response.setdefault("content", _body(code))
                if code in ("429", "503"):
                    response.setdefault("headers", {}).update(RETRY_AFTER)
            operation["responses"] = dict(sorted(responses.items()))
    return result


class CodeListFieldExtension(OpenApiSerializerFieldExtension):
    """A list of codes from a fixed vocabulary (languages, payment options)."""

    target_class = "directory.api.fields.CodeListField"

    def map_serializer_field(self, auto_schema, direction):
        return {"type": "array", "items": {"type": "string", "enum": sorted(self.target.codes)}}


class ReferenceSlugFieldExtension(OpenApiSerializerFieldExtension):
    """A care level (a fixed list, DESIGN §2) or a neighborhood slug."""

    target_class = "directory.serializers.ReferenceSlugField"

    def map_serializer_field(self, auto_schema, direction):
        if self.target.context_key == "care_levels":
            schema = dict(LEVELS)
        else:
            schema = {"type": "string", "pattern": r"^[-a-z0-9]+$", "example": "echo-park"}
        if self.target.allow_null:
            schema["nullable"] = True
        return schema
