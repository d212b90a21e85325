//! PACT events: parsing any body never panics; an accepted event has the bounded ids the
//! parser promises; and the events this host writes (`RequestRejected`, `RequestFulfilled`)
//! parse back to what was written.
#![no_main]

use pcf::exchange::events::{self, Event};

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    match events::parse(data) {
        Ok(Event::RequestCreated { id, source, .. }) => {
            assert!(bounded(&id) && bounded(&source));
        }
        Ok(Event::RequestFulfilled { id, request_event_id, .. })
        | Ok(Event::RequestRejected { id, request_event_id, .. }) => {
            assert!(bounded(&id) && bounded(&request_event_id));
        }
        Ok(Event::Published { id, .. }) => assert!(bounded(&id)),
        Err(_) => {}
    }

    // The printers: fields taken from the input.
    let text = String::from_utf8_lossy(data);
    let mut fields = text.split('\u{1f}');
    let source = fields.next().unwrap_or_default();
    let request = fields.next().unwrap_or_default();
    let code = fields.next().unwrap_or_default();
    let message = fields.next().unwrap_or_default();
    if !bounded(source) || !bounded(request) {
        return;
    }
    let rejected = events::rejected(source, request, code, message);
    let bytes = match serde_json::to_vec(&rejected) {
        Ok(b) => b,
        Err(e) => panic!("a rejected event does not serialize: {e}"),
    };
    match events::parse(&bytes) {
        Ok(Event::RequestRejected { request_event_id, code: c, .. }) => {
            assert_eq!(request_event_id, request);
            assert_eq!(c, code);
        }
        other => panic!("a rejected event parsed as {other:?}"),
    }
    let fulfilled = events::fulfilled(source, request, vec![serde_json::json!({})]);
    let bytes = serde_json::to_vec(&fulfilled).unwrap_or_default();
    match events::parse(&bytes) {
        Ok(Event::RequestFulfilled { request_event_id, footprints, .. }) => {
            assert_eq!(request_event_id, request);
            assert_eq!(footprints, 1);
        }
        other => panic!("a fulfilled event parsed as {other:?}"),
    }
});

fn bounded(s: &str) -> bool {
    !s.is_empty() && s.len() <= 512
}
