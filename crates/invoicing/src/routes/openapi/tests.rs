//! The document against the router, and its response schemas against unknown fields.

use std::collections::BTreeSet;

use serde_json::Value;

use super::document;
use crate::routes::ROUTES;

const METHODS: [&str; 8] = ["get", "put", "post", "delete", "options", "head", "patch", "trace"];

/// `(method, path)` of every operation of the document.
fn operations(document: &Value) -> BTreeSet<(String, String)> {
    let paths = document["paths"].as_object().unwrap();
    paths
        .iter()
        .flat_map(|(path, item)| {
            let item = item.as_object().unwrap();
            METHODS
                .iter()
                .filter(|method| item.contains_key(**method))
                .map(move |method| ((*method).to_owned(), path.clone()))
        })
        .collect()
}

#[test]
fn every_route_has_an_operation_and_every_operation_a_route() {
    let document = document();
    assert_eq!(document["openapi"], "3.1.0");
    let routes: BTreeSet<(String, String)> =
        ROUTES.iter().map(|&(method, path)| (method.to_owned(), path.to_owned())).collect();
    assert_eq!(routes.len(), ROUTES.len(), "a route is registered twice");
    let operations = operations(&document);
    let undocumented: Vec<_> = routes.difference(&operations).collect();
    let unrouted: Vec<_> = operations.difference(&routes).collect();
    assert!(undocumented.is_empty(), "routes without an operation: {undocumented:?}");
    assert!(unrouted.is_empty(), "operations without a route: {unrouted:?}");
    assert!(routes.contains(&("get".to_owned(), "/api/openapi.json".to_owned())));
}

#[test]
fn operation_ids_are_unique() {
    let document = document();
    let mut seen = BTreeSet::new();
    for item in document["paths"].as_object().unwrap().values() {
        for operation in item.as_object().unwrap().values() {
            let id = operation["operationId"].as_str().unwrap();
            assert!(seen.insert(id.to_owned()), "operationId {id} twice");
        }
    }
}

#[test]
fn path_parameters_are_declared_as_the_router_names_them() {
    let document = document();
    for (path, item) in document["paths"].as_object().unwrap() {
        let named: BTreeSet<&str> = path
            .split('/')
            .filter_map(|part| part.strip_prefix('{').and_then(|p| p.strip_suffix('}')))
            .collect();
        for (method, operation) in item.as_object().unwrap() {
            let declared: BTreeSet<&str> = operation["parameters"]
                .as_array()
                .map(|all| {
                    all.iter()
                        .filter(|p| p["in"] == "path")
                        .filter_map(|p| p["name"].as_str())
                        .collect()
                })
                .unwrap_or_default();
            assert_eq!(named, declared, "{method} {path}");
        }
    }
}

/// The `$ref`s under `value`, as component names.
fn refs(value: &Value, into: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            if let Some(name) = map
                .get("$ref")
                .and_then(Value::as_str)
                .and_then(|r| r.strip_prefix("#/components/schemas/"))
            {
                into.push(name.to_owned());
            }
            map.values().for_each(|v| refs(v, into));
        }
        Value::Array(items) => items.iter().for_each(|v| refs(v, into)),
        _ => {}
    }
}

/// Every object schema with properties under `schema` refuses other fields.
fn strict(schema: &Value, at: &str) {
    match schema {
        Value::Object(map) => {
            if map.contains_key("properties") {
                assert_eq!(
                    map.get("additionalProperties"),
                    Some(&Value::Bool(false)),
                    "{at} takes unknown fields"
                );
            }
            for (key, value) in map {
                strict(value, &format!("{at}.{key}"));
            }
        }
        Value::Array(items) => items.iter().for_each(|v| strict(v, at)),
        _ => {}
    }
}

#[test]
fn response_schemas_refuse_unknown_fields() {
    let document = document();
    let schemas = document["components"]["schemas"].as_object().unwrap();
    let mut pending = Vec::new();
    for item in document["paths"].as_object().unwrap().values() {
        for operation in item.as_object().unwrap().values() {
            refs(&operation["responses"], &mut pending);
        }
    }
    let mut seen = BTreeSet::new();
    while let Some(name) = pending.pop() {
        if !seen.insert(name.clone()) {
            continue;
        }
        let schema = schemas.get(&name).unwrap_or_else(|| panic!("no schema {name}"));
        assert!(schema.get("allOf").is_none(), "{name}: allOf cannot refuse unknown fields");
        strict(schema, &name);
        refs(schema, &mut pending);
    }
    for name in ["InvoiceView", "PublicInvoiceView", "ErrorBody", "Page", "MailMessageView"] {
        assert!(seen.contains(name), "{name} is not reached from a response");
    }
}

#[test]
fn always_sent_fields_are_required() {
    let document = document();
    let invoice = &document["components"]["schemas"]["InvoiceView"];
    let required: BTreeSet<&str> =
        invoice["required"].as_array().unwrap().iter().filter_map(Value::as_str).collect();
    for field in ["id", "status", "discount", "displayNumber", "payments", "actions"] {
        assert!(required.contains(field), "{field} is not required");
    }
    let profile = &document["components"]["schemas"]["ProfileView"];
    assert!(profile["required"].as_array().unwrap().contains(&Value::from("logoUrl")));
}
