//! Bracket-nested `application/x-www-form-urlencoded` bodies, as Stripe and Checkfront take them.
//!
//! `line_items[0][price_data][unit_amount]=500&metadata[order_id]=7&expand[]=payment_intent`
//! becomes a tree of [`Node`]s. Maps are ordered by key so that two bodies carrying the same
//! parameters in a different order compare equal, which is what Stripe's idempotency check
//! ("same parameters") needs. Indexed arrays (`a[0]`, `a[1]`) are maps with numeric keys and
//! are read back in numeric order by [`Node::as_list`]; `a[]` appends to a list.
//!
//! Why this is hand-made and not `serde_qs` (issue 13 weighed it): `serde_qs` fills typed
//! structs, while the simulator needs the untyped, key-ordered tree itself, to walk it
//! parameter by parameter for Stripe's per-parameter `invalid_request_error` messages and
//! to fingerprint it for the idempotency "same parameters" check. Its reading also differs
//! where it matters here: in its default (strict) mode `%5B`/`%5D` are not brackets, yet
//! Stripe reads percent-encoded brackets as brackets (stripe-node's `stringifyRequestData`
//! turns them back into literals only for readability, noting the encoded form "is fine by
//! the server"); a repeated scalar (`mode=a&mode=b`) is an error there, where this parser
//! keeps the last value as Rack's nested-query rules do; and it has no Rack-style grouping
//! of `a[][x]=1&a[][y]=2` into one element. Matching those would take its non-strict mode
//! plus a post-pass over its output, no smaller than this module.

use std::collections::BTreeMap;

use serde::Serialize;

/// One value in a parsed form: a string leaf, an appended list, or a map of named children.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum Node {
    /// A leaf such as `mode=payment`.
    Value(String),
    /// Values added with empty brackets: `expand[]=a&expand[]=b`.
    List(Vec<Node>),
    /// Named or indexed children: `metadata[k]=v`, `line_items[0][quantity]=1`.
    Map(BTreeMap<String, Node>),
}

/// Why a body could not be read as a bracket-nested form.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FormError {
    /// The offending parameter name as sent.
    pub key: String,
    /// What is wrong with it.
    pub message: String,
}

impl Node {
    /// An empty map: the root of every parsed form.
    pub fn empty() -> Node {
        Node::Map(BTreeMap::new())
    }

    /// The child named `key` when this is a map.
    pub fn get(&self, key: &str) -> Option<&Node> {
        match self {
            Node::Map(map) => map.get(key),
            _ => None,
        }
    }

    /// The leaf text, if this is a leaf.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Node::Value(v) => Some(v),
            _ => None,
        }
    }

    /// The leaf text of child `key`.
    pub fn str(&self, key: &str) -> Option<&str> {
        self.get(key).and_then(Node::as_str)
    }

    /// The children as a map, if this is a map.
    pub fn as_map(&self) -> Option<&BTreeMap<String, Node>> {
        match self {
            Node::Map(map) => Some(map),
            _ => None,
        }
    }

    /// The elements of an array parameter, in index order.
    ///
    /// Accepts both `a[]=x` lists and `a[0]=x` indexed maps; `None` when a map has a
    /// non-numeric key (so it is a hash, not an array) or this is a leaf.
    pub fn as_list(&self) -> Option<Vec<(String, &Node)>> {
        match self {
            Node::List(items) => {
                Some(items.iter().enumerate().map(|(i, n)| (i.to_string(), n)).collect())
            }
            Node::Map(map) => {
                let mut items = Vec::with_capacity(map.len());
                for (k, v) in map {
                    let index: u32 = k.parse().ok()?;
                    items.push((index, k.clone(), v));
                }
                items.sort_by_key(|(i, _, _)| *i);
                Some(items.into_iter().map(|(_, k, v)| (k, v)).collect())
            }
            Node::Value(_) => None,
        }
    }

    /// Canonical JSON text of the tree, for comparing two requests' parameters.
    pub fn fingerprint(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }
}

/// Parses a form body (or query string) into a tree.
pub fn parse(input: &[u8]) -> Result<Node, FormError> {
    let mut root = Node::empty();
    for (key, value) in url::form_urlencoded::parse(input) {
        if key.is_empty() {
            continue;
        }
        let path = split_key(&key)
            .ok_or_else(|| FormError { key: key.to_string(), message: "Invalid array".into() })?;
        insert(&mut root, &path, value.into_owned())
            .map_err(|message| FormError { key: key.to_string(), message: message.into() })?;
    }
    Ok(root)
}

/// One step of a parameter name: `[name]` or `[]`.
#[derive(Debug, PartialEq, Eq)]
enum Segment {
    Key(String),
    Append,
}

/// `a[b][]` → `[Key(a), Key(b), Append]`; `None` for unbalanced brackets.
fn split_key(key: &str) -> Option<Vec<Segment>> {
    let (head, mut rest) = match key.find('[') {
        Some(i) => (&key[..i], &key[i..]),
        None => (key, ""),
    };
    if head.is_empty() || head.contains(']') {
        return None;
    }
    let mut path = vec![Segment::Key(head.to_owned())];
    while !rest.is_empty() {
        let inner = rest.strip_prefix('[')?;
        let close = inner.find(']')?;
        let name = &inner[..close];
        if name.contains('[') {
            return None;
        }
        path.push(if name.is_empty() { Segment::Append } else { Segment::Key(name.to_owned()) });
        rest = &inner[close + 1..];
    }
    Some(path)
}

fn insert(node: &mut Node, path: &[Segment], value: String) -> Result<(), &'static str> {
    let Some((first, rest)) = path.split_first() else {
        // A repeated scalar keeps the last value, as Rack-style parsers do.
        *node = Node::Value(value);
        return Ok(());
    };
    match first {
        Segment::Key(name) => {
            if let Node::Value(_) = node {
                return Err("Invalid hash");
            }
            if let Node::List(_) = node {
                return Err("Invalid hash");
            }
            let Node::Map(map) = node else { unreachable!("checked above") };
            let child = map.entry(name.clone()).or_insert_with(|| placeholder(rest));
            if rest.is_empty() {
                if !matches!(child, Node::Value(_)) {
                    return Err("Invalid hash");
                }
            } else if matches!(child, Node::Value(_)) {
                return Err("Invalid hash");
            }
            insert(child, rest, value)
        }
        Segment::Append => {
            let Node::List(items) = node else {
                return Err("Invalid array");
            };
            match rest.first() {
                None => {
                    items.push(Node::Value(value));
                    Ok(())
                }
                Some(Segment::Key(next)) => {
                    // `a[][x]=1&a[][y]=2` fills one element until a key repeats.
                    let reuse = matches!(items.last(), Some(Node::Map(m)) if !m.contains_key(next));
                    if !reuse {
                        items.push(Node::empty());
                    }
                    let last = items.last_mut().ok_or("Invalid array")?;
                    insert(last, rest, value)
                }
                Some(Segment::Append) => Err("Invalid array"),
            }
        }
    }
}

/// The empty node that a path continuing with `rest` needs.
fn placeholder(rest: &[Segment]) -> Node {
    match rest.first() {
        None => Node::Value(String::new()),
        Some(Segment::Append) => Node::List(Vec::new()),
        Some(Segment::Key(_)) => Node::empty(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Node {
        parse(s.as_bytes()).expect("parses")
    }

    #[test]
    fn nested_indexed_line_items_are_read_in_numeric_order() {
        let form = p("line_items[10][quantity]=3&line_items[2][quantity]=1\
             &line_items[2][price_data][unit_amount]=500&mode=payment");
        let items = form.get("line_items").and_then(Node::as_list).expect("a list");
        assert_eq!(items.len(), 2);
        assert_eq!(items[0].0, "2", "index 2 sorts before index 10");
        assert_eq!(items[0].1.str("quantity"), Some("1"));
        assert_eq!(items[0].1.get("price_data").and_then(|n| n.str("unit_amount")), Some("500"));
        assert_eq!(form.str("mode"), Some("payment"));
    }

    #[test]
    fn empty_brackets_append_and_percent_escapes_decode() {
        let form = p("expand[]=payment_intent&expand[]=line_items&metadata%5Border_id%5D=a%20b");
        let expand: Vec<_> = form
            .get("expand")
            .and_then(Node::as_list)
            .expect("list")
            .into_iter()
            .filter_map(|(_, n)| n.as_str())
            .collect();
        assert_eq!(expand, ["payment_intent", "line_items"]);
        assert_eq!(form.get("metadata").and_then(|m| m.str("order_id")), Some("a b"));
    }

    #[test]
    fn same_parameters_in_another_order_have_the_same_fingerprint() {
        let a = p("a=1&b[x]=2&b[y]=3");
        let b = p("b[y]=3&a=1&b[x]=2");
        assert_eq!(a.fingerprint(), b.fingerprint());
        assert_ne!(a.fingerprint(), p("a=1&b[x]=2&b[y]=4").fingerprint());
    }

    #[test]
    fn mixing_a_scalar_and_a_hash_under_one_name_is_an_error() {
        assert!(parse(b"a=1&a[b]=2").is_err());
        assert!(parse(b"a[b]=2&a=1").is_err());
        assert!(parse(b"a[b=2").is_err());
        assert!(parse(b"a]=2").is_err());
    }

    #[test]
    fn appended_hashes_fill_one_element_until_a_key_repeats() {
        let form = p("a[][x]=1&a[][y]=2&a[][x]=3");
        let items = form.get("a").and_then(Node::as_list).expect("list");
        assert_eq!(items.len(), 2);
        assert_eq!(items[0].1.str("y"), Some("2"));
        assert_eq!(items[1].1.str("x"), Some("3"));
    }

    #[test]
    fn a_hash_with_named_keys_is_not_a_list() {
        assert!(p("m[a]=1").get("m").and_then(Node::as_list).is_none());
    }
}
