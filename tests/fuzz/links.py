"""OpenAPI links for schemathesis' stateful fuzz, derived from this API's conventions.

Schemathesis cannot infer them itself: every response is the envelope, whose `data` is
`XxxOut | null`. So they are added to the document the fuzz reads (not to the app's):

* a `POST` answering 201 creates a resource named by its last literal path segment
  (`POST /api/v0/session/{session_id}/target` creates a `target`); its id is `data.id`;
* an operation whose path parameters are all known from that answer (`target_id` from
  `data.id`, any other `*_id` from the field of that name) gets them;
* a JSON body with a `<resource>_id` property gets the known ids: merged into a generated
  body when the body is an object, or sent alone when it is a union (e.g. one shot or a
  list of shots) whose object variant requires nothing more than those ids.
"""

from __future__ import annotations

from typing import Any

METHODS = {"get", "put", "post", "delete", "patch"}
JsonObject = dict[str, Any]


def _resolve(spec: JsonObject, schema: JsonObject) -> JsonObject:
    while "$ref" in schema:
        schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    return schema


def _json_schema(container: JsonObject) -> JsonObject | None:
    schema: JsonObject | None = (
        container.get("content", {}).get("application/json", {}).get("schema")
    )
    return schema


def _object_variant(spec: JsonObject, schema: JsonObject) -> tuple[JsonObject | None, bool]:
    """(the object schema, whether it is the only shape) of a schema or of its union."""
    schema = _resolve(spec, schema)
    if "properties" in schema:
        return schema, True
    for variant in schema.get("anyOf", []) + schema.get("oneOf", []):
        resolved = _resolve(spec, variant)
        if "properties" in resolved:
            return resolved, False
    return None, False


def _created_data(spec: JsonObject, response: JsonObject) -> JsonObject | None:
    envelope = _json_schema(response)
    if envelope is None:
        return None
    data = _resolve(spec, envelope).get("properties", {}).get("data")
    if data is None:
        return None
    found, _ = _object_variant(spec, data)
    return found


def _link(spec: JsonObject, consumer: JsonObject, key: str, ids: dict[str, str]) -> JsonObject:
    link: JsonObject = {}
    path_params = {p["name"] for p in consumer.get("parameters", []) if p.get("in") == "path"}
    if not path_params <= ids.keys():
        return link  # it would need an id this answer does not give
    if path_params:
        link["parameters"] = {f"path.{name}": ids[name] for name in sorted(path_params)}
    schema = _json_schema(consumer.get("requestBody", {}))
    body, whole = _object_variant(spec, schema) if schema is not None else (None, False)
    if body is not None and key in body["properties"]:
        fields = {name: ids[name] for name in body["properties"] if name in ids}
        if whole:
            link["requestBody"] = fields
        elif set(body.get("required", [])) <= fields.keys():
            link["requestBody"] = fields
            link["x-schemathesis"] = {"merge_body": False}
    if key not in path_params and "requestBody" not in link:
        return {}  # nothing of this resource flows into the consumer
    return link


def add_links(spec: JsonObject) -> int:
    """Adds the links to `spec` in place; returns how many."""
    operations = [
        (path, method, op)
        for path, item in spec["paths"].items()
        for method, op in item.items()
        if method in METHODS
    ]
    count = 0
    for path, method, producer in operations:
        created = producer.get("responses", {}).get("201")
        if method != "post" or created is None:
            continue
        data = _created_data(spec, created)
        if data is None or "id" not in data["properties"]:
            continue
        resource = [part for part in path.split("/") if part and not part.startswith("{")][-1]
        key = f"{resource}_id"
        ids = {name: f"$response.body#/data/{name}" for name in data["properties"]}
        ids = {name: expr for name, expr in ids.items() if name.endswith("_id")}
        ids[key] = "$response.body#/data/id"
        for _, _, consumer in operations:
            link = _link(spec, consumer, key, ids)
            if link:
                link["operationId"] = consumer["operationId"]
                created.setdefault("links", {})[consumer["operationId"]] = link
                count += 1
    return count
