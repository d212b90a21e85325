//! Pagination: `limit`/`offset` parsing and `Link` header parsing never panic; a page never
//! exceeds its limit or the result set; the next link this server writes is the one a client
//! reads back.
#![no_main]

use pcf::exchange::pagination::{Paging, next_link, parse_next_link};

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let _ = parse_next_link(&text);

    let mut fields = text.split('\u{1f}');
    let limit = fields.next();
    let offset = fields.next();
    let max = data.first().map_or(1, |b| usize::from(*b) + 1);
    let total = data.last().map_or(0, |b| usize::from(*b) * 3);
    if let Ok(p) = Paging::parse(limit, offset, max) {
        assert!(p.limit >= 1 && p.limit <= max, "limit {} outside 1..={max}", p.limit);
        let (range, next) = p.window(total);
        assert!(range.start <= range.end && range.end <= total);
        assert!(range.len() <= p.limit);
        assert_eq!(next, (range.end < total).then_some(range.end));
    }

    // Round trip through the Link header, with criteria taken from the input.
    let base = fields.next().unwrap_or("https://h");
    if base.contains(['<', '>']) {
        return;
    }
    let criteria: Vec<(String, String)> = fields
        .collect::<Vec<_>>()
        .chunks(2)
        .map(|c| (c[0].to_string(), c.get(1).unwrap_or(&"").to_string()))
        .collect();
    let link = next_link(base, &criteria, max, total);
    let Some(target) = parse_next_link(&link) else { panic!("no next link in {link:?}") };
    assert!(target.starts_with(base), "{target:?} lost its base {base:?}");
    let query = target.split_once("/3/footprints?").map(|(_, q)| q).unwrap_or_default();
    let mut read: Vec<(String, String)> =
        form_urlencoded::parse(query.as_bytes()).into_owned().collect();
    assert_eq!(read.pop(), Some(("offset".to_string(), total.to_string())));
    assert_eq!(read.pop(), Some(("limit".to_string(), max.to_string())));
    assert_eq!(read, criteria);
});
