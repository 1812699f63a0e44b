//! HTML to plain text, for Mastodon statuses and feed entries.

/// The text of an HTML fragment: tags removed, entities decoded, paragraphs and
/// line breaks kept as new lines, the content of `script` and `style` dropped.
pub(crate) fn to_text(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    let mut skip_until: Option<&'static str> = None;
    while let Some(lt) = rest.find('<') {
        if skip_until.is_none() {
            decode_into(&rest[..lt], &mut out);
        }
        let after = &rest[lt + 1..];
        let starts_tag = after.chars().next().is_some_and(|c| c.is_ascii_alphabetic() || matches!(c, '/' | '!' | '?'));
        if !starts_tag {
            // `a < b`: a `<` not opening a tag is text.
            if skip_until.is_none() {
                out.push('<');
            }
            rest = after;
            continue;
        }
        let Some(gt) = after.find('>') else {
            // A lone `<` is text.
            if skip_until.is_none() {
                out.push('<');
            }
            rest = after;
            continue;
        };
        let tag = after[..gt].trim().to_ascii_lowercase();
        let name: String = tag.trim_start_matches('/').chars().take_while(|c| c.is_ascii_alphanumeric()).collect();
        rest = &after[gt + 1..];
        if let Some(end) = skip_until {
            if tag.starts_with('/') && name == end {
                skip_until = None;
            }
            continue;
        }
        match name.as_str() {
            "script" if !tag.starts_with('/') => skip_until = Some("script"),
            "style" if !tag.starts_with('/') => skip_until = Some("style"),
            "br" => out.push('\n'),
            "p" | "div" | "li" | "h1" | "h2" | "h3" | "h4" | "h5" | "h6" | "blockquote" | "tr"
                if tag.starts_with('/') =>
            {
                out.push_str("\n\n")
            }
            _ => {}
        }
    }
    if skip_until.is_none() {
        decode_into(rest, &mut out);
    }
    tidy(&out)
}

/// Collapses runs of spaces, keeps at most one blank line, trims.
pub(crate) fn tidy(text: &str) -> String {
    let mut lines: Vec<String> = Vec::new();
    let mut blank = 0;
    for line in text.lines() {
        let words: Vec<&str> = line.split_whitespace().collect();
        if words.is_empty() {
            blank += 1;
            continue;
        }
        if !lines.is_empty() && blank > 0 {
            lines.push(String::new());
        }
        blank = 0;
        lines.push(words.join(" "));
    }
    lines.join("\n")
}

/// Appends `text` with its character references decoded.
fn decode_into(text: &str, out: &mut String) {
    let mut rest = text;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        let after = &rest[amp + 1..];
        let end = after.find(';').filter(|&e| e <= 10);
        match end.and_then(|e| entity(&after[..e]).map(|c| (e, c))) {
            Some((e, c)) => {
                out.push(c);
                rest = &after[e + 1..];
            }
            None => {
                out.push('&');
                rest = after;
            }
        }
    }
    out.push_str(rest);
}

fn entity(name: &str) -> Option<char> {
    if let Some(num) = name.strip_prefix('#') {
        let code = match num.strip_prefix(['x', 'X']) {
            Some(hex) => u32::from_str_radix(hex, 16).ok()?,
            None => num.parse().ok()?,
        };
        return char::from_u32(code);
    }
    Some(match name {
        "amp" => '&',
        "lt" => '<',
        "gt" => '>',
        "quot" => '"',
        "apos" => '\'',
        "nbsp" => ' ',
        "hellip" => '…',
        "mdash" => '—',
        "ndash" => '–',
        "rsquo" => '’',
        "lsquo" => '‘',
        "rdquo" => '”',
        "ldquo" => '“',
        "eacute" => 'é',
        "egrave" => 'è',
        "agrave" => 'à',
        "ccedil" => 'ç',
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn mastodon_content_becomes_readable_text() {
        let html = r#"<p>Loving the new <a href="https://acme.example/tags/acme" class="mention hashtag" rel="tag">#<span>Acme</span></a> app &amp; its &quot;dark mode&quot;</p><p>cc <span class="h-card"><a href="https://m.example/@ann" class="u-url mention">@<span>ann</span></a></span><br>merci&nbsp;!</p>"#;
        assert_eq!(to_text(html), "Loving the new #Acme app & its \"dark mode\"\n\ncc @ann\nmerci !");
    }

    #[test]
    fn scripts_styles_and_stray_brackets_are_handled() {
        assert_eq!(to_text("<style>p{color:red}</style>a < b <script>alert(1)</script>&#233;t&#xE9;"), "a < b été");
        assert_eq!(to_text("AT&T &unknown; 5 &lt; 6"), "AT&T &unknown; 5 < 6");
    }

    proptest! {
        #[test]
        fn text_without_markup_keeps_its_words(words in proptest::collection::vec("[a-zA-Z0-9éà.,!?]{1,12}", 0..20)) {
            let text = words.join(" ");
            prop_assert_eq!(to_text(&text), text);
        }

        #[test]
        fn output_never_holds_a_tag_of_the_input(inner in "[a-z ]{0,20}", tag in "(b|i|em|span|a href=\"x\")") {
            let html = format!("<{tag}>{inner}</{tag}>");
            let out = to_text(&html);
            prop_assert!(!out.contains('<') && !out.contains('>'), "{}", out);
            prop_assert_eq!(out, inner.split_whitespace().collect::<Vec<_>>().join(" "));
        }
    }
}
