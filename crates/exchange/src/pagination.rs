//! Pagination of `GET /3/footprints`: `limit` and `offset` parameters, pages that never hold
//! more than `limit` footprints, and an RFC 8288 `Link: <absolute URL>; rel="next"` header
//! while more remain. The next link repeats the request's criteria, so following it returns
//! the same result set page by page; as the register only grows at its end, offsets stay valid
//! while the issuer declares more.

use std::ops::Range;

/// A request's paging parameters, resolved against the server's largest page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Paging {
    /// Footprints to skip.
    pub offset: usize,
    /// Most footprints to return.
    pub limit: usize,
}

/// A paging parameter that cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{parameter} {value:?}: {problem}")]
pub struct PagingError {
    /// `limit` or `offset`.
    pub parameter: &'static str,
    /// The value given.
    pub value: String,
    /// What is wrong with it.
    pub problem: &'static str,
}

impl Paging {
    /// Reads `limit` (a positive integer; at most `max`, and `max` when absent) and `offset`
    /// (a non-negative integer, 0 when absent).
    pub fn parse(
        limit: Option<&str>,
        offset: Option<&str>,
        max: usize,
    ) -> Result<Paging, PagingError> {
        let number = |parameter, value: &str| {
            value.parse::<u64>().map_err(|_| PagingError {
                parameter,
                value: value.chars().take(40).collect(),
                problem: "not a non-negative integer",
            })
        };
        let limit = match limit {
            None => max,
            Some(v) => {
                let n = number("limit", v)?;
                if n == 0 {
                    return Err(PagingError {
                        parameter: "limit",
                        value: v.into(),
                        problem: "must be a positive integer",
                    });
                }
                usize::try_from(n).unwrap_or(usize::MAX).min(max)
            }
        };
        let offset = match offset {
            None => 0,
            Some(v) => usize::try_from(number("offset", v)?).unwrap_or(usize::MAX),
        };
        Ok(Paging { offset, limit: limit.max(1) })
    }

    /// The slice of `total` matching items this page holds, and the offset of the next page if
    /// any remain.
    pub fn window(&self, total: usize) -> (Range<usize>, Option<usize>) {
        let start = self.offset.min(total);
        let end = start.saturating_add(self.limit).min(total);
        (start..end, (end < total).then_some(end))
    }
}

/// The `Link` header value for the next page: `base` is the scheme and authority the client
/// used (`https://host:port`), `criteria` the request's criteria parameters as given.
pub fn next_link(
    base: &str,
    criteria: &[(String, String)],
    limit: usize,
    next_offset: usize,
) -> String {
    let mut query = form_urlencoded::Serializer::new(String::new());
    for (name, value) in criteria {
        query.append_pair(name, value);
    }
    query.append_pair("limit", &limit.to_string());
    query.append_pair("offset", &next_offset.to_string());
    format!("<{base}/3/footprints?{}>; rel=\"next\"", query.finish())
}

/// The target of the `rel="next"` link in a `Link` header value, if there is one.
pub fn parse_next_link(header: &str) -> Option<String> {
    // Links are separated by commas outside <...>; parameters by semicolons.
    let mut rest = header;
    while let Some(open) = rest.find('<') {
        let close = open + rest[open..].find('>')?;
        let target = &rest[open + 1..close];
        let after = &rest[close + 1..];
        let params_end = after.find('<').unwrap_or(after.len());
        let params = &after[..params_end];
        let is_next = params.split(';').any(|p| {
            let p = p.trim().trim_end_matches(',').trim();
            p.strip_prefix("rel=").is_some_and(|v| {
                v.trim_matches('"').split_ascii_whitespace().any(|r| r.eq_ignore_ascii_case("next"))
            })
        });
        if is_next {
            return Some(target.to_string());
        }
        rest = &after[params_end..];
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages() {
        let p = Paging::parse(Some("2"), None, 100).unwrap();
        assert_eq!(p.window(5), (0..2, Some(2)));
        let p = Paging::parse(Some("2"), Some("4"), 100).unwrap();
        assert_eq!(p.window(5), (4..5, None));
        assert_eq!(Paging::parse(Some("1000"), None, 100).unwrap().limit, 100);
        assert!(Paging::parse(Some("0"), None, 100).is_err());
        assert!(Paging::parse(Some("-1"), None, 100).is_err());
        assert!(Paging::parse(None, Some("x"), 100).is_err());
    }

    #[test]
    fn links() {
        let criteria = vec![("productId".to_string(), "urn:gtin:1 2".to_string())];
        let link = next_link("https://h:1", &criteria, 1, 1);
        assert_eq!(
            link,
            "<https://h:1/3/footprints?productId=urn%3Agtin%3A1+2&limit=1&offset=1>; rel=\"next\""
        );
        assert_eq!(
            parse_next_link(&link).as_deref(),
            Some("https://h:1/3/footprints?productId=urn%3Agtin%3A1+2&limit=1&offset=1")
        );
        let two = "<https://a/first>; rel=\"first\", <https://a/n>; rel=next";
        assert_eq!(parse_next_link(two).as_deref(), Some("https://a/n"));
        assert_eq!(parse_next_link("<https://a/p>; rel=\"prev\""), None);
    }
}
