//! One slip's fields on their way into a label file, whatever the format: each text fitted to
//! JIS X 0208 (replacements listed, characters without one refused) and measured in CP932 bytes
//! against the format's limit (over it: stopped, or cut with a visible `…` when staff ask), and
//! every problem kept with the order, the delivery and the field's name in the carrier's words.

use super::text::{Fitter, cp932_len};
use super::{Problem, ProblemKind};

/// The fields of one slip being written, and what was found on the way.
pub struct Fields<'a> {
    order: String,
    delivery: u32,
    fitter: &'a Fitter,
    cut: bool,
    /// What was found so far.
    pub problems: Vec<Problem>,
}

impl<'a> Fields<'a> {
    /// The fields of the slip for `order`'s `delivery`; `cut`: cut over-long texts instead of
    /// stopping the row.
    pub fn new(order: &str, delivery: u32, fitter: &'a Fitter, cut: bool) -> Fields<'a> {
        Fields {
            order: order.to_string(),
            delivery,
            fitter,
            cut,
            problems: Vec::new(),
        }
    }

    /// Notes a problem of `field`.
    pub fn problem(&mut self, field: &'static str, kind: ProblemKind) {
        self.problems.push(Problem {
            order: self.order.clone(),
            delivery: self.delivery,
            field,
            kind,
        });
    }

    /// `value` fitted into `field` of at most `limit` CP932 bytes.
    pub fn text(&mut self, field: &'static str, value: &str, limit: usize) -> String {
        let f = self.fitter.fit(value);
        for r in f.replaced {
            self.problem(
                field,
                ProblemKind::Replaced {
                    from: r.from,
                    to: r.to,
                },
            );
        }
        for c in f.refused {
            self.problem(field, ProblemKind::NoReplacement { ch: c });
        }
        let bytes = cp932_len(&f.text);
        if bytes <= limit {
            return f.text;
        }
        if self.cut {
            let mut s = String::new();
            for c in f.text.chars() {
                if cp932_len(&s) + cp932_len(&c.to_string()) + 2 > limit {
                    break;
                }
                s.push(c);
            }
            s.push('…');
            self.problem(field, ProblemKind::Cut { bytes, limit });
            s
        } else {
            self.problem(field, ProblemKind::TooLong { bytes, limit });
            f.text
        }
    }

    /// `value` fitted and broken into `count` lines of at most `limit` bytes each (a format
    /// whose address has several parts); what does not fit in them is over the limit of the
    /// last line.
    pub fn lines(
        &mut self,
        field: &'static str,
        value: &str,
        limit: usize,
        count: usize,
    ) -> Vec<String> {
        let fitted = self.text(field, value, limit * count);
        let mut lines = vec![String::new(); count];
        let mut i = 0;
        for c in fitted.chars() {
            if cp932_len(&lines[i]) + cp932_len(&c.to_string()) > limit && i + 1 < count {
                i += 1;
            }
            lines[i].push(c);
        }
        lines
    }
}
