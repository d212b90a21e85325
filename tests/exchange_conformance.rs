//! Tests: the 41 cases of the WBCSD PACT v3 conformance suite, mirrored from its
//! documentation (`docs/v3-test-cases-expected-results.md` of wbcsd/pact-conformance-service)
//! and written here anew, run against `pcf serve` over HTTPS with the requester's events
//! endpoint a listener this test runs. Like the suite, the filter values come from the first
//! footprint listed; the requester names its bare base URL as `source`, listens at
//! `<base>/3/events` and insists on a token from its own `/auth/token`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use serde_json::{Value, json};

use crate::exchange::{Options, SECRET, start};
use crate::exchange_events::{authenticated_listener, recipients, wait_for};
use pcf::time::Instant;

/// Whether a listed footprint matches a filter.
type Matcher<'a> = Box<dyn Fn(&Value) -> bool + 'a>;

/// The suite's filter values, from the first footprint of the list.
struct FilterValues {
    id: String,
    product_id: String,
    product_ids: Vec<Value>,
    company_id: String,
    geography: String,
    classification: String,
    valid_on: String,
    valid_after: String,
    valid_before: String,
    status: String,
}

fn filter_values(first: &Value) -> FilterValues {
    let s = |p: &str| first.pointer(p).and_then(Value::as_str).unwrap_or("").to_string();
    let (start, end) = match (s("/validityPeriodStart"), s("/validityPeriodEnd")) {
        (a, b) if !a.is_empty() && !b.is_empty() => {
            (Instant::parse_pact(&a).unwrap(), Instant::parse_pact(&b).unwrap())
        }
        _ => {
            let end = Instant::parse_pact(&s("/pcf/referencePeriodEnd")).unwrap();
            (end, end.plus_years(3))
        }
    };
    let geography = [
        "/pcf/geographyCountry",
        "/pcf/geographyRegionOrSubregion",
        "/pcf/geographyCountrySubdivision",
    ]
    .iter()
    .map(|p| s(p))
    .find(|g| !g.is_empty())
    .unwrap_or_default();
    FilterValues {
        id: s("/id"),
        product_id: s("/productIds/0"),
        product_ids: first["productIds"].as_array().unwrap().clone(),
        company_id: s("/companyIds/0"),
        geography,
        classification: s("/productClassifications/0"),
        valid_on: start.to_string(),
        valid_after: start.plus_days(-1).unwrap().to_string(),
        valid_before: end.plus_days(1).unwrap().to_string(),
        status: s("/status"),
    }
}

/// A footprint's validity as the suite reads it: the validity period, else the reference
/// period's end and three years after it.
fn validity(pf: &Value) -> (Option<Instant>, Option<Instant>) {
    match (time(pf, "/validityPeriodStart"), time(pf, "/validityPeriodEnd")) {
        (Some(start), Some(end)) => (Some(start), Some(end)),
        _ => {
            let end = time(pf, "/pcf/referencePeriodEnd");
            (end, end.map(|e| e.plus_years(3)))
        }
    }
}

fn time(value: &Value, pointer: &str) -> Option<Instant> {
    value.pointer(pointer).and_then(Value::as_str).and_then(|t| Instant::parse_pact(t).ok())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_41_cases_of_the_pact_v3_conformance_suite() {
    let (base, seen) = authenticated_listener().await;
    let s = start(Options {
        events_urls: vec![format!("{base}/3/events")],
        recipients: recipients(crate::exchange_events::RECIPIENT_SECRET),
        unlimited_rate: true,
        ..Options::default()
    })
    .await;
    let http = &s.http;
    let url = |path: &str| format!("{}{path}", s.url);
    let mut failed: Vec<String> = Vec::new();
    let mut check = |case: &str, ok: bool, detail: String| {
        if !ok {
            failed.push(format!("case {case}: {detail}"));
        }
    };

    // The token endpoint, found as the suite finds it.
    let config: Value = http
        .get(url("/.well-known/openid-configuration"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token_url = config["token_endpoint"].as_str().unwrap().to_string();
    let auth = |id: &str, secret: &str| {
        http.post(&token_url)
            .basic_auth(id, Some(secret))
            .header("content-type", "application/x-www-form-urlencoded")
            .header("accept", "application/json")
            .body("grant_type=client_credentials")
            .send()
    };
    let r = auth("buyer", SECRET).await.unwrap();
    let status = r.status().as_u16();
    let body: Value = r.json().await.unwrap();
    check("1", status == 200 && body["access_token"].is_string(), format!("{status} {body}"));
    let token = body["access_token"].as_str().unwrap().to_string();
    let status = auth("nobody1234567890", "wrong1234567890").await.unwrap().status().as_u16();
    check("2", matches!(status, 400 | 401), format!("{status}"));

    let get = |path: String, token: String| async move {
        let r = http.get(path).bearer_auth(token).send().await.unwrap();
        let status = r.status().as_u16();
        let link = r.headers().get("link").map(|l| l.to_str().unwrap().to_string());
        let body: Value = r.json().await.unwrap_or(Value::Null);
        (status, link, body)
    };
    let (status, _, all) = get(url("/3/footprints"), token.clone()).await;
    let all_data = all["data"].as_array().cloned().unwrap_or_default();
    check("4", matches!(status, 200 | 202) && !all_data.is_empty(), format!("{status}"));
    let f = filter_values(&all_data[0]);

    let (status, _, body) = get(url(&format!("/3/footprints/{}", f.id)), token.clone()).await;
    check("3", status == 200 && body["data"]["id"] == f.id.as_str(), format!("{status} {body}"));
    let (_, link, _) = get(url("/3/footprints?limit=1"), token.clone()).await;
    let first_link = link
        .as_deref()
        .and_then(|l| l.split_once('<'))
        .and_then(|(_, rest)| rest.split_once('>'))
        .map(|(u, _)| u.to_string())
        .unwrap_or_default();
    let (status, _, body) = get(first_link.clone(), token.clone()).await;
    check("5", status == 200 && body["data"].is_array(), format!("{first_link}: {status}"));
    for (case, path) in
        [("6", "/3/footprints".to_string()), ("7", format!("/3/footprints/{}", f.id))]
    {
        let (status, _, body) = get(url(&path), "very-invalid-access-token-x1".into()).await;
        check(
            case,
            matches!(status, 400 | 401) && body["code"] == "BadRequest",
            format!("{status} {body}"),
        );
    }
    let (status, _, body) =
        get(url("/3/footprints/00000000-0000-0000-0000-000000000000"), token.clone()).await;
    check(
        "8",
        matches!(status, 400 | 404)
            && matches!(body["code"].as_str(), Some("NotFound" | "BadRequest")),
        format!("{status} {body}"),
    );

    // 9, 10, 11, 17: the same requests over plain HTTP must fail or carry no data.
    let plain = url("").replace("https://", "http://");
    let plain_http = reqwest::Client::builder().timeout(Duration::from_secs(5)).build().unwrap();
    let attempts = [
        (
            "9",
            plain_http
                .post(format!("{plain}/auth/token"))
                .basic_auth("buyer", Some(SECRET))
                .body("grant_type=client_credentials"),
        ),
        ("10", plain_http.get(format!("{plain}/3/footprints")).bearer_auth(&token)),
        ("11", plain_http.get(format!("{plain}/3/footprints/{}", f.id)).bearer_auth(&token)),
        ("17", plain_http.post(format!("{plain}/3/events")).bearer_auth(&token).body("{}")),
    ];
    for (case, request) in attempts {
        let leaked = match request.send().await {
            Err(_) => false,
            Ok(r) => {
                let ok = r.status().is_success();
                let body: Value = r.json().await.unwrap_or(Value::Null);
                ok && (body.get("data").is_some() || body.get("access_token").is_some())
            }
        };
        check(case, !leaked, "answered over plain HTTP".into());
    }

    // 12 to 16 and 40: events.
    let post_event = |event: Value, token: String| async move {
        let r = http
            .post(url("/3/events"))
            .bearer_auth(token)
            .header("content-type", "application/cloudevents+json; charset=UTF-8")
            .body(event.to_string())
            .send()
            .await
            .unwrap();
        (r.status().as_u16(), r.json::<Value>().await.unwrap_or(Value::Null))
    };
    let now = Instant::now().to_string();
    let created = |id: &str, product_ids: Value| {
        json!({"specversion": "1.0", "id": id, "source": base, "time": now,
            "type": "org.wbcsd.pact.ProductFootprint.RequestCreatedEvent.3",
            "data": {"productId": product_ids, "comment": "Please send PCF data for this year."}})
    };
    let published = |pf_id: &str| {
        json!({"type": "org.wbcsd.pact.ProductFootprint.PublishedEvent.3", "specversion": "1.0",
            "id": "b1d4a0e2-3f7c-4a55-9d1e-2c6f0a9b8e71", "source": base, "time": now,
            "data": {"pfIds": [pf_id]}})
    };
    let (status, body) = post_event(created("run-7/12", json!(f.product_ids)), token.clone()).await;
    check("12", status == 200, format!("{status} {body}"));
    let (status, body) =
        post_event(created("run-7/14.A", json!(["urn:pact:null"])), token.clone()).await;
    check("14.A", status == 200, format!("{status} {body}"));
    let (status, body) =
        post_event(published("3a6c14a7-4deb-498a-b5ea-16ce2535b576"), token.clone()).await;
    check("15", status == 200, format!("{status} {body}"));
    let (status, body) = post_event(
        published("3a6c14a7-4deb-498a-b5ea-16ce2535b576"),
        "very-invalid-access-token".into(),
    )
    .await;
    check("16", matches!(status, 400 | 401), format!("{status} {body}"));
    let (status, body) = post_event(published("urn:gtin:4712345060507"), token.clone()).await;
    check("40", status == 400, format!("{status} {body}"));

    // 18, 19: the token endpoint under the base URL.
    let r = http
        .post(url("/auth/token"))
        .basic_auth("buyer", Some(SECRET))
        .body("grant_type=client_credentials")
        .send()
        .await
        .unwrap();
    check("18", r.status() == 200, format!("{}", r.status()));
    let r = http
        .post(url("/auth/token"))
        .basic_auth("x1y2z3", Some("bogus"))
        .body("grant_type=client_credentials")
        .send()
        .await
        .unwrap();
    check("19", matches!(r.status().as_u16(), 400 | 401), format!("{}", r.status()));

    // 20 to 29: every footprint listed matches the filter.
    let list = |query: String| {
        let token = token.clone();
        async move {
            let (status, _, body) = get(url(&format!("/3/footprints?{query}")), token).await;
            (status, body["data"].as_array().cloned().unwrap_or_default())
        }
    };
    let has = |pf: &Value, field: &str, value: &str| {
        pf[field].as_array().is_some_and(|a| a.iter().any(|v| v == value))
    };
    let geo = |pf: &Value| {
        ["geographyCountry", "geographyRegionOrSubregion", "geographyCountrySubdivision"]
            .iter()
            .any(|g| pf["pcf"][g] == f.geography.as_str())
    };
    let on = Instant::parse_pact(&f.valid_on).unwrap();
    let after = Instant::parse_pact(&f.valid_after).unwrap();
    let before = Instant::parse_pact(&f.valid_before).unwrap();
    let positive: Vec<(&str, String, Matcher)> = vec![
        (
            "20",
            format!("productId={}", f.product_id),
            Box::new(|pf: &Value| has(pf, "productIds", &f.product_id)),
        ),
        (
            "21",
            format!("companyId={}", f.company_id),
            Box::new(|pf: &Value| has(pf, "companyIds", &f.company_id)),
        ),
        ("22", format!("geography={}", f.geography), Box::new(geo)),
        (
            "23",
            format!("classification={}", f.classification),
            Box::new(|pf: &Value| has(pf, "productClassifications", &f.classification)),
        ),
        (
            "24",
            format!("validOn={}", f.valid_on),
            Box::new(move |pf: &Value| {
                let (start, end) = validity(pf);
                start.is_some_and(|s| s <= on) && end.is_some_and(|e| e >= on)
            }),
        ),
        (
            "25",
            format!("validAfter={}", f.valid_after),
            Box::new(move |pf: &Value| validity(pf).0.is_some_and(|s| s > after)),
        ),
        (
            "26",
            format!("validBefore={}", f.valid_before),
            Box::new(move |pf: &Value| validity(pf).1.is_some_and(|e| e < before)),
        ),
        (
            "27",
            format!("status={}", f.status),
            Box::new(|pf: &Value| pf["status"] == f.status.as_str()),
        ),
        (
            "28",
            format!("status={}&productId={}", f.status, f.product_id),
            Box::new(|pf: &Value| {
                pf["status"] == f.status.as_str() && has(pf, "productIds", &f.product_id)
            }),
        ),
        (
            "29",
            format!("companyId={}&companyId=Xk3mQ9aZ&companyId=Pq7wE2rT", f.company_id),
            Box::new(|pf: &Value| has(pf, "companyIds", &f.company_id)),
        ),
    ];
    for (case, query, matches) in positive {
        let (status, data) = list(query.clone()).await;
        check(
            case,
            status == 200 && !data.is_empty() && data.iter().all(matches),
            format!("{query}: {status}, {} footprint(s)", data.len()),
        );
    }
    // 30 to 39: nothing matches.
    for (case, query) in [
        ("30", "productId=urn:bogus:product:Zq8vN2kLm4pR7sT1"),
        ("31", "companyId=urn:bogus:company:Hj5kL9mN2pQ4rS6t"),
        ("32", "geography=XX"),
        ("33", "classification=urn:bogus:classification:Wc3vB7nM1kJ5hG9f"),
        ("34", "validOn=1900-01-01T00:00:00Z"),
        ("35", "validAfter=2099-12-31T23:59:59Z"),
        ("36", "validBefore=1900-01-01T00:00:00Z"),
        ("37", "status=BogusStatusAb12Cd34"),
        ("38", "companyId=urn:bogus:company:5FIi8zS3&productId=urn:bogus:product:nonexistent123"),
        (
            "39",
            "companyId=urn:bogus:company:a1&companyId=urn:bogus:company:b2&companyId=urn:bogus:company:c3",
        ),
    ] {
        let (status, data) = list(query.to_string()).await;
        check(
            case,
            status == 200 && data.is_empty(),
            format!("{query}: {status}, {} footprint(s)", data.len()),
        );
    }

    // 13, 14.B: the answers, at <base>/3/events, with the recipient's token.
    wait_for("the two answers", || seen.events.lock().unwrap().len() >= 2).await;
    let events = seen.events.lock().unwrap().clone();
    let answer = |request: &str| {
        events.iter().find(|(_, e)| e["data"]["requestEventId"] == request).cloned()
    };
    match answer("run-7/12") {
        Some((auth, e)) => {
            let products: Vec<&Value> = e["data"]["pfs"]
                .as_array()
                .into_iter()
                .flatten()
                .flat_map(|pf| pf["productIds"].as_array().into_iter().flatten())
                .collect();
            let ok = e["type"] == "org.wbcsd.pact.ProductFootprint.RequestFulfilledEvent.3"
                && e["specversion"] == "1.0"
                && time(&e, "/time").is_some()
                && e["source"].as_str().is_some_and(|s| !s.is_empty())
                && f.product_ids.iter().any(|p| products.contains(&p))
                && auth.starts_with("Bearer ");
            check("13", ok, format!("{e}"));
        }
        None => check("13", false, "no RequestFulfilled".into()),
    }
    match answer("run-7/14.A") {
        Some((_, e)) => {
            let ok = e["type"] == "org.wbcsd.pact.ProductFootprint.RequestRejectedEvent.3"
                && e["data"]["error"]["code"].is_string()
                && e["data"]["error"]["message"].is_string();
            check("14.B", ok, format!("{e}"));
        }
        None => check("14.B", false, "no RequestRejected".into()),
    }
    s.server.shutdown().await;
    assert!(failed.is_empty(), "{} of 41 failed:\n{}", failed.len(), failed.join("\n"));
}
