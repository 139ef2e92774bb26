//! The OpenAPI document as a contract: every answer the suite receives through the helpers
//! ([`crate::helpers`]) is checked against the operation its method and path name, under its
//! status (or the operation's `default`): a JSON body against the response's schema (`$ref`s
//! resolved in `#/components/schemas`), any other body against the media types listed. An
//! unknown or missing field, or an undocumented status or media type, fails the test that
//! received it. Validators are compiled once per process, per operation and status.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{Db, spawn_app};

/// A received answer, as the checker needs it.
pub(crate) struct Received<'a> {
    pub(crate) method: &'a Method,
    /// The request's path, query included.
    pub(crate) path: &'a str,
    pub(crate) status: u16,
    pub(crate) content_type: Option<&'a str>,
    /// The body when it is JSON.
    pub(crate) json: Option<&'a Value>,
    pub(crate) empty: bool,
}

/// The document and the validators compiled from it so far.
pub(crate) struct Contract {
    document: Value,
    validators: Mutex<HashMap<String, Arc<jsonschema::Validator>>>,
}

/// The contract of this build, read once per process.
pub(crate) fn contract() -> &'static Contract {
    static CONTRACT: OnceLock<Contract> = OnceLock::new();
    CONTRACT.get_or_init(|| Contract::new(invoicing::routes::openapi_document()))
}

/// Panics with the reason when `received` breaks the contract.
pub(crate) fn assert_conforms(received: &Received<'_>) {
    if let Err(reason) = contract().check(received) {
        panic!(
            "{} {} answered {} against the OpenAPI document: {reason}\nbody: {:#}",
            received.method,
            received.path,
            received.status,
            received.json.unwrap_or(&Value::Null)
        );
    }
}

impl Contract {
    pub(crate) fn new(document: Value) -> Self {
        Self { document, validators: Mutex::new(HashMap::new()) }
    }

    /// `Ok` when `received` is what the document says the operation answers.
    pub(crate) fn check(&self, received: &Received<'_>) -> Result<(), String> {
        let path = received.path.split('?').next().unwrap_or_default();
        let Some((template, item)) = self.path_item(path) else {
            // The catch-alls: an unknown `/api` or `/pusher` path is a 404 error body; other
            // paths are the web app's pages, outside the API.
            if path.starts_with("/api/") || path.starts_with("/pusher/") {
                return self.check_error(received);
            }
            return Ok(());
        };
        let method = received.method.as_str().to_ascii_lowercase();
        let Some(operation) = item.get(&method) else {
            return match received.status {
                405 if received.empty => Ok(()),
                _ => Err(format!("no operation {method} {template}")),
            };
        };
        let status = received.status.to_string();
        let (key, response) = match operation["responses"].get(&status) {
            Some(response) => (status, response),
            None => match operation["responses"].get("default") {
                Some(response) if received.status >= 400 => ("default".to_owned(), response),
                _ => return Err(format!("status {status} is not documented for {template}")),
            },
        };
        let content = response.get("content").and_then(Value::as_object);
        if received.empty {
            return match content {
                None => Ok(()),
                Some(_) if received.method == Method::HEAD => Ok(()),
                Some(_) => Err(format!("an empty body where {key} has content")),
            };
        }
        let Some(content) = content else {
            return Err(format!("a body where {key} has none"));
        };
        let essence = received.content_type.unwrap_or_default().split(';').next();
        let media = essence.unwrap_or_default().trim();
        let Some(listed) = content.get(media) else {
            let known: Vec<&String> = content.keys().collect();
            return Err(format!("media type {media:?} is not among {known:?}"));
        };
        let Some(json) = received.json.filter(|_| media == "application/json") else {
            return Ok(());
        };
        let id = format!("{method} {template} {key}");
        self.validate(&id, &listed["schema"], json)
    }

    /// An error body, for answers outside any operation.
    fn check_error(&self, received: &Received<'_>) -> Result<(), String> {
        let Some(json) = received.json else {
            return Err("an answer outside the operations that is not an error body".to_owned());
        };
        let schema = json!({"$ref": "#/components/schemas/ErrorBody"});
        self.validate("error", &schema, json)
    }

    /// The path item whose template matches `path`, the most literal one first.
    fn path_item(&self, path: &str) -> Option<(&str, &Value)> {
        let parts: Vec<&str> = path.split('/').collect();
        let paths = self.document["paths"].as_object()?;
        paths
            .iter()
            .filter(|(template, _)| {
                let pattern: Vec<&str> = template.split('/').collect();
                pattern.len() == parts.len()
                    && pattern
                        .iter()
                        .zip(&parts)
                        .all(|(p, part)| (p.starts_with('{') && !part.is_empty()) || p == part)
            })
            .min_by_key(|(template, _)| template.matches('{').count())
            .map(|(template, item)| (template.as_str(), item))
    }

    /// Validates `json` against `schema`, compiled once under `id`.
    pub(crate) fn validate(&self, id: &str, schema: &Value, json: &Value) -> Result<(), String> {
        let validator = self.validator(id, schema)?;
        let errors: Vec<String> = validator
            .iter_errors(json)
            .map(|error| format!("{} at {}", error, error.instance_path()))
            .collect();
        if errors.is_empty() { Ok(()) } else { Err(errors.join("; ")) }
    }

    fn validator(&self, id: &str, schema: &Value) -> Result<Arc<jsonschema::Validator>, String> {
        let mut validators = self.validators.lock().map_err(|_| "poisoned".to_owned())?;
        if let Some(validator) = validators.get(id) {
            return Ok(validator.clone());
        }
        // The response's schema under a root that holds the components, so that its
        // `#/components/schemas/…` references resolve as they do in the document.
        let root = json!({
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "components": {"schemas": self.document["components"]["schemas"].clone()},
            "allOf": [schema],
        });
        let validator = jsonschema::draft202012::new(&root)
            .map_err(|error| format!("the schema of {id} does not compile: {error}"))?;
        let validator = Arc::new(validator);
        validators.insert(id.to_owned(), validator.clone());
        Ok(validator)
    }
}

/// A JSON answer of `status` to `GET path`.
fn get<'a>(path: &'a str, status: u16, json: &'a Value) -> Received<'a> {
    Received {
        method: &Method::GET,
        path,
        status,
        content_type: Some("application/json"),
        json: Some(json),
        empty: false,
    }
}

#[test]
fn the_checker_refuses_tampered_bodies() {
    let contract = contract();
    let user = json!({"user": {"id": "u1", "email": "a@example.com", "name": "A"}});
    assert_eq!(contract.check(&get("/api/me", 200, &user)), Ok(()));
    let mut extra = user.clone();
    extra["user"]["admin"] = json!(true);
    assert!(contract.check(&get("/api/me", 200, &extra)).is_err(), "an unknown field");
    let mut missing = user.clone();
    missing["user"].as_object_mut().unwrap().remove("email");
    assert!(contract.check(&get("/api/me", 200, &missing)).is_err(), "a missing field");
    let mut wrong = user.clone();
    wrong["user"]["name"] = json!(7);
    assert!(contract.check(&get("/api/me", 200, &wrong)).is_err(), "a number for a string");

    let error = json!({"error": {"code": "not_found", "message": "not found"}});
    assert_eq!(contract.check(&get("/api/me", 404, &error)), Ok(()), "the default response");
    assert_eq!(contract.check(&get("/api/nothing/here", 404, &error)), Ok(()));
    let bare = json!({"code": "not_found"});
    assert!(contract.check(&get("/api/nothing/here", 404, &bare)).is_err());
    assert!(contract.check(&get("/api/me", 404, &user)).is_err(), "a body of another status");
    assert!(contract.check(&get("/api/me", 201, &user)).is_err(), "an undocumented success");

    let mut pdf = get("/api/pay/x/pdf?paper=letter", 200, &Value::Null);
    (pdf.content_type, pdf.json) = (Some("application/pdf"), None);
    assert_eq!(contract.check(&pdf), Ok(()));
    pdf.content_type = Some("text/html");
    assert!(contract.check(&pdf).is_err(), "an undocumented media type");
}

/// A real answer of the API, tampered with after it passed.
#[tokio::test]
async fn a_real_invoice_fails_once_tampered_with() {
    let app = spawn_app(Db::Sqlite).await;
    app.login().await;
    let invoice = app.create_invoice().await;
    let check = |body: &Value| {
        let received = Received { method: &Method::POST, ..get("/api/invoices", 201, body) };
        contract().check(&received)
    };
    assert_eq!(check(&invoice), Ok(()));
    let mut extra = invoice.clone();
    extra["items"][0]["discount"] = json!(1);
    assert!(check(&extra).unwrap_err().contains("discount"));
    let mut missing = invoice.clone();
    missing.as_object_mut().unwrap().remove("balanceDue");
    assert!(check(&missing).unwrap_err().contains("balanceDue"));
    let mut absent = invoice.clone();
    absent.as_object_mut().unwrap().remove("discount");
    assert!(check(&absent).is_err(), "discount is sent as null, not left out");
}

/// `GET /api/openapi.json`: public, the document of this build, cacheable and revalidated.
#[tokio::test]
async fn the_document_is_served_and_cacheable() {
    let app = spawn_app(Db::Sqlite).await;
    let anonymous = reqwest::Client::new();
    let answer = app.request(&anonymous, Method::GET, "/api/openapi.json", None, &[]).await;
    assert_eq!(answer.status, 200);
    assert_eq!(answer.body, invoicing::routes::openapi_document());
    assert_eq!(answer.body["openapi"], "3.1.0");
    let header = |name: &str| answer.headers[name].to_str().unwrap().to_owned();
    assert_eq!(header("content-type"), "application/json");
    assert_eq!(header("cache-control"), "public, max-age=3600");
    let etag = header("etag");
    let again = [("if-none-match", etag.as_str())];
    let fresh = app.request(&anonymous, Method::GET, "/api/openapi.json", None, &again).await;
    assert_eq!((fresh.status.as_u16(), fresh.body.clone()), (304, Value::Null));
    let stale = [("if-none-match", "\"other\"")];
    let stale = app.request(&anonymous, Method::GET, "/api/openapi.json", None, &stale).await;
    assert_eq!(stale.status, 200);
}
