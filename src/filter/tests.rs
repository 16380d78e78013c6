use super::*;

fn finding(code: Code, path: &str) -> Finding {
    Finding {
        code,
        severity: code.severity(),
        path: path.to_owned().into(),
        value: None,
        message: String::new().into(),
        hint: None,
    }
}

fn subject<'a>(findings: &'a [Finding], raw: &'a [u8]) -> Subject<'a> {
    Subject {
        event_type: Some("purchase"),
        stage: Some(Stage::Lower),
        data_set_id: Some("acme-web"),
        id: Some("evt-1"),
        status: Status::Error,
        duplicate: Some(DuplicateKind::Conflict),
        findings,
        source: "http-listen://127.0.0.1:4390",
        raw,
    }
}

fn yes(filter: &str, s: &Subject) -> bool {
    Filter::parse(filter).unwrap().matches(s)
}

#[test]
fn every_key_matches_and_negates() {
    let f = [
        finding(Code::CurrencyMissing, "$.currency_code"),
        finding(Code::UrlInvalid, "$.properties.items[3].url"),
    ];
    let s = subject(&f, br#"{"data_set_id":"acme-web","Note":"Gift"}"#);
    for good in [
        "",
        "type:purchase",
        "stage:lower",
        "ds:acme-web",
        "ds:acme*",
        "ds:*web",
        "ds:a*-*b",
        "status:error",
        "code:currency_missing",
        "code:url_*",
        "path:$.currency_code",
        "path:$.properties.items[].url",
        "path:$.properties.items[3].url",
        "src:4390",
        "id:evt-1",
        "dup:conflict",
        "dup:any",
        "gift",
        "Gift",
        "-status:ok",
        "-type:refund",
        "-dup:exact",
        "type:purchase stage:lower -ds:other",
        "code:url_invalid path:$.properties.items[].url",
        "\"acme-web\"",
    ] {
        assert!(yes(good, &s), "{good} should match");
    }
    for bad in [
        "type:refund",
        "stage:upper",
        "ds:acme",
        "ds:*x",
        "status:ok",
        "code:id_missing",
        "path:$.id",
        "src:tcp",
        "id:evt-2",
        "dup:exact",
        "dup:none",
        "GIFT",
        "absent",
        "-gift",
        "-type:purchase",
        "type:purchase stage:upper",
        // The same finding must carry both the code and the path.
        "code:currency_missing path:$.properties.items[].url",
    ] {
        assert!(!yes(bad, &s), "{bad} should not match");
    }
}

#[test]
fn missing_members_never_match_a_value() {
    let s = Subject {
        event_type: None,
        stage: None,
        data_set_id: None,
        id: None,
        duplicate: None,
        ..subject(&[], b"x")
    };
    assert!(!yes("type:*", &s));
    assert!(!yes("ds:*", &s));
    assert!(yes("stage:none", &s));
    assert!(yes("dup:none", &s));
    assert!(yes("-id:*", &s));
}

#[test]
fn bad_filters_say_what_and_where() {
    let e = Filter::parse("type:purchase  typ:x").unwrap_err();
    assert_eq!(e.column, 15);
    assert!(e.message.contains("did you mean `type:`"), "{}", e.message);
    let e = Filter::parse("code:url_invald").unwrap_err();
    assert!(
        e.message.contains("did you mean `url_invalid`"),
        "{}",
        e.message
    );
    assert!(Filter::parse("status:bad")
        .unwrap_err()
        .message
        .contains("error"));
    assert!(Filter::parse("stage:top").is_err());
    assert!(Filter::parse("dup:maybe").is_err());
    assert!(Filter::parse("ds:").is_err());
    assert_eq!(Filter::parse("a \"b c").unwrap_err().column, 2);
    assert!(Filter::parse("-").is_err());
    assert!(Filter::parse("--type:purchase").is_err());
    assert!(Filter::parse("\"-x\"").is_ok());
    assert!(Filter::parse("   ").unwrap().is_empty());
}

#[test]
fn quotes_group_words_and_keep_escapes() {
    let s = subject(&[], br#"{"note":"two words \"here\""}"#);
    assert!(yes("\"two words\"", &s));
    assert!(!yes("\"words two\"", &s));
    assert!(yes(r#""\"here\\""#, &subject(&[], br#"x "here\ y"#)));
    assert!(yes("ds:\"acme-web\"", &s));
}

#[test]
fn hostile_text_never_panics() {
    for text in [
        "\u{0}", "é:é", "::", "-:", "a:b:c", "*", "ds:**", "\"\\", "-\"x\"",
    ] {
        if let Ok(f) = Filter::parse(text) {
            let _ = f.matches(&subject(&[], "é\u{1b}".as_bytes()));
        }
    }
}
