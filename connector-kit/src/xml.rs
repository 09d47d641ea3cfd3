//! XML as a mall speaks it, read liberally and written plainly: [`parse`] reads a document into
//! an [`Element`] tree (elements, text, CDATA, the five entities and character references;
//! declarations, comments and doctypes skipped; names compared without their namespace prefix),
//! and [`el`]/[`escape`] write one. Enough for request/response APIs (`<Req>…</Req>`), no more:
//! no DTDs, no external entities, nothing fetched.
//!
//! ```
//! use connector_kit::xml::{el, parse};
//!
//! let doc = parse(&format!("<Result><Status>OK</Status>{}</Result>", el("Name", "A&B")))?;
//! assert_eq!(doc.get("Status").as_deref(), Some("OK"));
//! assert_eq!(doc.get("Name").as_deref(), Some("A&B"));
//! # Ok::<(), connector_kit::xml::XmlError>(())
//! ```

/// An element: its name (without a namespace prefix), attributes and children.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Element {
    /// The local name.
    pub name: String,
    /// Attributes, in order (names without a prefix).
    pub attrs: Vec<(String, String)>,
    /// Child elements and text, in order.
    pub children: Vec<Node>,
}

/// What an element holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Node {
    /// A child element.
    Element(Element),
    /// Text (entities resolved).
    Text(String),
}

/// Why a document could not be read, with the byte offset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct XmlError {
    /// Where, in bytes from the start.
    pub at: usize,
    /// What is wrong.
    pub message: String,
}

impl std::fmt::Display for XmlError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "XML at byte {}: {}", self.at, self.message)
    }
}

impl std::error::Error for XmlError {}

impl Element {
    /// The first child element named `name`.
    pub fn child(&self, name: &str) -> Option<&Element> {
        self.elements().find(|e| e.name == name)
    }

    /// Every child element named `name`.
    pub fn children_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Element> {
        self.elements().filter(move |e| e.name == name)
    }

    /// Every child element.
    pub fn elements(&self) -> impl Iterator<Item = &Element> {
        self.children.iter().filter_map(|n| match n {
            Node::Element(e) => Some(e),
            Node::Text(_) => None,
        })
    }

    /// The text of the element and its descendants, trimmed.
    pub fn text(&self) -> String {
        fn gather(e: &Element, out: &mut String) {
            for n in &e.children {
                match n {
                    Node::Text(t) => out.push_str(t),
                    Node::Element(c) => gather(c, out),
                }
            }
        }
        let mut out = String::new();
        gather(self, &mut out);
        out.trim().to_string()
    }

    /// The text of the first child named `name`, if there is one.
    pub fn get(&self, name: &str) -> Option<String> {
        self.child(name).map(Element::text)
    }

    /// The text of the first child named `name`, or empty.
    pub fn text_of(&self, name: &str) -> String {
        self.get(name).unwrap_or_default()
    }

    /// The element at a path of child names.
    pub fn at(&self, path: &[&str]) -> Option<&Element> {
        path.iter().try_fold(self, |e, name| e.child(name))
    }

    /// An attribute's value.
    pub fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// `<name>text</name>`, the text escaped.
pub fn el(name: &str, text: &str) -> String {
    format!("<{name}>{}</{name}>", escape(text))
}

/// Text with `&`, `<`, `>`, `"` and `'` escaped.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

fn local(name: &str) -> String {
    name.rsplit(':').next().unwrap_or(name).to_string()
}

fn unescape(s: &str, at: usize) -> Result<String, XmlError> {
    if !s.contains('&') {
        return Ok(s.to_string());
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        let tail = &rest[i..];
        let end = tail.find(';').ok_or_else(|| XmlError {
            at,
            message: "an `&` without its `;`".into(),
        })?;
        let entity = &tail[1..end];
        let c = match entity {
            "amp" => '&',
            "lt" => '<',
            "gt" => '>',
            "quot" => '"',
            "apos" => '\'',
            e => {
                let code = match e.strip_prefix("#x").or_else(|| e.strip_prefix("#X")) {
                    Some(hex) => u32::from_str_radix(hex, 16).ok(),
                    None => e.strip_prefix('#').and_then(|d| d.parse().ok()),
                };
                code.and_then(char::from_u32).ok_or_else(|| XmlError {
                    at,
                    message: format!("unknown entity &{e};"),
                })?
            }
        };
        out.push(c);
        rest = &tail[end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

/// The element of a start tag's inside (`name a="1"`), without the `/` of an empty one.
fn start_tag(inner: &str, at: usize) -> Result<Element, XmlError> {
    let inner = inner.trim();
    let name_end = inner
        .find(|c: char| c.is_whitespace())
        .unwrap_or(inner.len());
    let name = &inner[..name_end];
    if name.is_empty() {
        return Err(XmlError {
            at,
            message: "a tag without a name".into(),
        });
    }
    let mut attrs = Vec::new();
    let mut rest = inner[name_end..].trim_start();
    while !rest.is_empty() {
        let eq = rest.find('=').ok_or_else(|| XmlError {
            at,
            message: format!("attribute without a value in <{name}>"),
        })?;
        let key = rest[..eq].trim();
        let after = rest[eq + 1..].trim_start();
        let quote = after.chars().next().filter(|q| *q == '"' || *q == '\'');
        let Some(q) = quote else {
            return Err(XmlError {
                at,
                message: format!("attribute {key} of <{name}> is not quoted"),
            });
        };
        let close = after[1..].find(q).ok_or_else(|| XmlError {
            at,
            message: format!("attribute {key} of <{name}> is not closed"),
        })?;
        attrs.push((local(key), unescape(&after[1..1 + close], at)?));
        rest = after[close + 2..].trim_start();
    }
    Ok(Element {
        name: local(name),
        attrs,
        children: Vec::new(),
    })
}

/// Reads a document: its root element.
pub fn parse(s: &str) -> Result<Element, XmlError> {
    let s = s.trim_start_matches('\u{feff}');
    let mut stack: Vec<Element> = vec![Element::default()];
    let mut i = 0;
    let find = |from: usize, what: &str| -> Result<usize, XmlError> {
        s[from..]
            .find(what)
            .map(|j| from + j)
            .ok_or_else(|| XmlError {
                at: from,
                message: format!("`{what}` expected before the end"),
            })
    };
    while i < s.len() {
        let rest = &s[i..];
        if !rest.starts_with('<') {
            let j = rest.find('<').map_or(s.len(), |j| i + j);
            let text = unescape(&s[i..j], i)?;
            if !text.trim().is_empty()
                && let Some(top) = stack.last_mut()
            {
                top.children.push(Node::Text(text));
            }
            i = j;
        } else if rest.starts_with("<?") {
            i = find(i, "?>")? + 2;
        } else if rest.starts_with("<!--") {
            i = find(i, "-->")? + 3;
        } else if rest.starts_with("<![CDATA[") {
            let j = find(i, "]]>")?;
            if let Some(top) = stack.last_mut() {
                top.children.push(Node::Text(s[i + 9..j].to_string()));
            }
            i = j + 3;
        } else if rest.starts_with("<!") {
            i = find(i, ">")? + 1;
        } else if rest.starts_with("</") {
            let j = find(i, ">")?;
            let name = local(s[i + 2..j].trim());
            let done = match stack.pop() {
                Some(e) if stack.is_empty() => e,
                Some(e) if e.name == name => e,
                Some(e) => {
                    return Err(XmlError {
                        at: i,
                        message: format!("</{name}> closes <{}>", e.name),
                    });
                }
                None => unreachable_root(i)?,
            };
            if stack.is_empty() {
                return Err(XmlError {
                    at: i,
                    message: format!("</{name}> closes nothing"),
                });
            }
            if let Some(parent) = stack.last_mut() {
                parent.children.push(Node::Element(done));
            }
            i = j + 1;
        } else {
            // A start tag: its end is the first `>` outside quotes.
            let mut quote = None;
            let mut j = None;
            for (k, c) in rest.char_indices().skip(1) {
                match (quote, c) {
                    (None, '"' | '\'') => quote = Some(c),
                    (Some(q), c) if c == q => quote = None,
                    (None, '>') => {
                        j = Some(i + k);
                        break;
                    }
                    _ => {}
                }
            }
            let j = j.ok_or_else(|| XmlError {
                at: i,
                message: "a tag is not closed".into(),
            })?;
            let inner = &s[i + 1..j];
            let (inner, empty) = match inner.strip_suffix('/') {
                Some(x) => (x, true),
                None => (inner, false),
            };
            let e = start_tag(inner, i)?;
            if empty {
                if let Some(top) = stack.last_mut() {
                    top.children.push(Node::Element(e));
                }
            } else {
                stack.push(e);
            }
            i = j + 1;
        }
    }
    if stack.len() != 1 {
        let open = stack.last().map(|e| e.name.clone()).unwrap_or_default();
        return Err(XmlError {
            at: s.len(),
            message: format!("<{open}> is not closed"),
        });
    }
    let document = stack.pop().unwrap_or_default();
    document
        .children
        .into_iter()
        .find_map(|n| match n {
            Node::Element(e) => Some(e),
            Node::Text(_) => None,
        })
        .ok_or(XmlError {
            at: 0,
            message: "no element".into(),
        })
}

/// The document element is never closed by a tag: an error, never a panic.
fn unreachable_root(at: usize) -> Result<Element, XmlError> {
    Err(XmlError {
        at,
        message: "a closing tag before any element".into(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_mall_answer_with_attributes_entities_and_cdata() {
        let doc = parse(
            "\u{feff}<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!-- a comment -->\
             <ResultSet totalResultsAvailable=\"1\"><Result><Status>OK</Status>\
             <OrderInfo><OrderId>store-1</OrderId><BuyerComments><![CDATA[<包装> & のし]]>\
             </BuyerComments><Item><Title>緑茶 &amp; 菓子 &#x30C6;&#12473;</Title></Item>\
             <Item><Title/></Item><ItemOption Index='1'><Name>色</Name></ItemOption>\
             </OrderInfo></Result></ResultSet>",
        )
        .expect("reads");
        assert_eq!(doc.name, "ResultSet");
        assert_eq!(doc.attr("totalResultsAvailable"), Some("1"));
        let info = doc.at(&["Result", "OrderInfo"]).expect("path");
        assert_eq!(info.text_of("OrderId"), "store-1");
        assert_eq!(info.text_of("BuyerComments"), "<包装> & のし");
        let titles: Vec<String> = info
            .children_named("Item")
            .map(|i| i.text_of("Title"))
            .collect();
        assert_eq!(titles, ["緑茶 & 菓子 テス", ""]);
        assert_eq!(
            info.child("ItemOption").and_then(|o| o.attr("Index")),
            Some("1")
        );
        assert_eq!(info.get("Missing"), None);
    }

    #[test]
    fn names_lose_their_prefix_and_bad_documents_say_where() {
        let doc = parse("<s:Env xmlns:s=\"x\"><s:Body>1</s:Body></s:Env>").expect("reads");
        assert_eq!(doc.text_of("Body"), "1");
        for (bad, says) in [
            ("<a><b></a>", "</a> closes <b>"),
            ("<a>", "<a> is not closed"),
            ("<a>&nope;</a>", "unknown entity"),
            ("</a>", "closes nothing"),
            ("<a x=1></a>", "not quoted"),
            ("just text", "no element"),
        ] {
            let e = parse(bad).expect_err(bad);
            assert!(e.to_string().contains(says), "{bad}: {e}");
        }
    }

    #[test]
    fn what_is_written_reads_back() {
        let text = "a<b>&\"c'";
        assert_eq!(parse(&el("T", text)).expect("reads").text(), text);
    }
}
