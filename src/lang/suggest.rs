//! "Did you mean …?" hints for misspelt names.

/// Edit distance with adjacent transpositions (optimal string alignment),
/// ignoring ASCII case differences at half cost rounded up to one edit.
fn distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let w = b.len() + 1;
    let mut d = vec![0usize; (a.len() + 1) * w];
    for i in 0..=a.len() {
        d[i * w] = i;
    }
    for (j, cell) in d.iter_mut().enumerate().take(w) {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(!a[i - 1].eq_ignore_ascii_case(&b[j - 1]));
            let mut v = (d[(i - 1) * w + j] + 1)
                .min(d[i * w + j - 1] + 1)
                .min(d[(i - 1) * w + j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                v = v.min(d[(i - 2) * w + j - 2] + 1);
            }
            d[i * w + j] = v;
        }
    }
    d[a.len() * w + b.len()]
}

/// The candidate closest to `name` (other than `name` itself), if one is
/// within a third of its length in edits (at least one edit). Names starting
/// with `_` (internal) are only proposed for names that start with `_`.
///
/// ```
/// assert_eq!(tapir::lang::closest_name("cirle", ["circle", "cone"]), Some("circle"));
/// assert_eq!(tapir::lang::closest_name("zzzz", ["circle"]), None);
/// ```
pub fn closest_name<'a>(
    name: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let limit = (name.chars().count() / 3).max(1);
    let mut best: Option<(usize, &str)> = None;
    for c in candidates {
        if c == name || (c.starts_with('_') && !name.starts_with('_')) {
            continue;
        }
        let d = distance(name, c);
        if d <= limit && best.is_none_or(|(bd, bc)| d < bd || (d == bd && c < bc)) {
            best = Some((d, c));
        }
    }
    best.map(|(_, c)| c)
}

/// `"; did you mean `foo`?"` for the closest candidate, or `""` if none is close.
pub(crate) fn did_you_mean<'a>(
    name: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> String {
    match closest_name(name, candidates) {
        Some(c) => format!("; did you mean `{c}`?"),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distances() {
        assert_eq!(distance("sqr", "sqrt"), 1);
        assert_eq!(distance("circel", "circle"), 1);
        assert_eq!(distance("Sqrt", "sqrt"), 0);
        assert_eq!(distance("", "abc"), 3);
        assert_eq!(
            did_you_mean("sqr", ["sin", "sqrt", "square"]),
            "; did you mean `sqrt`?"
        );
        assert_eq!(did_you_mean("zzzzzz", ["sin", "sqrt"]), "");
    }
}
