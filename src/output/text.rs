//! `--format text`: the summary a person reads after a check — totals, funnel, value, top
//! problems, duplicates, identifier coverage, lag and the data sets.

use crate::engine::aggregate::LAG_LABELS;
use crate::engine::facts::MatchKey;
use crate::engine::stage::Stage;
use crate::output::safe::safe_short;
use crate::output::{pct, thousands, Summary};
use std::fmt::Write as _;

/// How many finding groups and data sets the summary lists.
const TOP: usize = 15;

pub fn render(s: &Summary) -> String {
    let a = s.agg;
    let mut o = String::new();
    let secs = s.elapsed.as_secs_f64().max(1e-9);
    let _ = writeln!(
        o,
        "{} input(s), {} records, {} events, {:.1} MB in {:.2} s ({} events/s)",
        s.inputs.len(),
        thousands(a.records),
        thousands(a.events),
        s.bytes as f64 / 1e6,
        secs,
        thousands((a.events as f64 / secs) as u64)
    );
    let total = a.events;
    let _ = writeln!(
        o,
        "status      ok {} ({:.1}%)  warning {} ({:.1}%)  error {} ({:.1}%)  malformed {}",
        thousands(a.by_status[0]),
        pct(a.by_status[0], total),
        thousands(a.by_status[1]),
        pct(a.by_status[1], total),
        thousands(a.by_status[2]),
        pct(a.by_status[2], total),
        thousands(a.by_status[3]),
    );
    for e in s.errors {
        let _ = writeln!(o, "unreadable  {}", safe_short(e, 300));
    }
    for note in &s.notes {
        let _ = writeln!(o, "note        {note}");
    }
    if let Some((filter, matched)) = s.filter {
        let _ = writeln!(
            o,
            "filter      {} of {} events match {}",
            thousands(matched),
            thousands(total),
            safe_short(filter, 120)
        );
    }
    funnel(&mut o, s);
    values(&mut o, s);
    let d = &a.duplicates;
    let _ = writeln!(
        o,
        "duplicates  exact {}  conflict {} (id reused for another event_type: {})  without id: {}  same id under another data_set_id (not a duplicate): {}",
        thousands(d.exact),
        thousands(d.conflict),
        thousands(d.id_reused),
        thousands(d.without_id),
        thousands(d.other_space)
    );
    for k in a.top_duplicate_keys().into_iter().take(5) {
        let _ = writeln!(
            o,
            "            {} × data_set_id {} id {} (first at line {}{}{})",
            thousands(k.duplicates + 1),
            safe_short(&k.data_set_id, 24),
            safe_short(&k.id, 32),
            k.first_line,
            if k.conflict > 0 { ", conflicting" } else { "" },
            if k.id_reused {
                ", id reused for another event_type"
            } else {
                ""
            }
        );
    }
    let objects = total - a.by_status[3];
    let cov: Vec<String> = MatchKey::ALL
        .iter()
        .enumerate()
        .map(|(i, k)| format!("{} {:.0}%", k.name(), pct(a.coverage[i], objects)))
        .collect();
    let _ = writeln!(o, "match keys  {}", cov.join("  "));
    let lag: Vec<String> = LAG_LABELS
        .iter()
        .enumerate()
        .filter(|(i, _)| a.lag[*i] > 0)
        .map(|(i, l)| format!("{l} {}", thousands(a.lag[i])))
        .collect();
    let _ = writeln!(
        o,
        "lag         {}",
        if lag.is_empty() {
            "-".into()
        } else {
            lag.join("  ")
        }
    );
    problems(&mut o, s);
    data_sets(&mut o, s);
    o
}

fn funnel(o: &mut String, s: &Summary) {
    let a = s.agg;
    let mut parts = Vec::new();
    let mut prev: Option<u64> = None;
    for stage in [Stage::Upper, Stage::Mid, Stage::Lower] {
        let n = a.stage_count(stage);
        let ratio = prev
            .map(|p| {
                if p == 0 {
                    " (n/a: previous 0)".to_owned()
                } else {
                    format!(" ({:.1}% of previous)", pct(n, p))
                }
            })
            .unwrap_or_default();
        parts.push(format!("{} {}{ratio}", stage.name(), thousands(n)));
        prev = Some(n);
    }
    let _ = writeln!(
        o,
        "funnel      {}  custom {}  no valid type {}",
        parts.join(" → "),
        thousands(a.stage_count(Stage::Custom)),
        thousands(a.by_stage[4].events)
    );
    for (i, name) in ["upper", "mid", "lower", "custom"].iter().enumerate() {
        let st = &a.by_stage[i];
        if st.events > 0 {
            let _ = writeln!(
                o,
                "            {name:<7} invalid {:.1}%  warnings {:.1}%  duplicates {:.1}%",
                pct(st.errors, st.events),
                pct(st.warnings, st.events),
                pct(st.duplicates, st.events)
            );
        }
    }
}

fn values(o: &mut String, s: &Summary) {
    let mut v: Vec<_> = s.agg.value_by_currency.iter().collect();
    v.sort_by(|x, y| y.1 .1.cmp(&x.1 .1).then(x.0.cmp(y.0)));
    let shown: Vec<String> = v
        .iter()
        .take(8)
        .map(|(c, (sum, n))| {
            if sum.is_finite() {
                format!("{} {:.2} ({} events)", safe_short(c, 8), sum, thousands(*n))
            } else {
                format!(
                    "{} overflow: the sum is too large to represent ({} events)",
                    safe_short(c, 8),
                    thousands(*n)
                )
            }
        })
        .collect();
    if !shown.is_empty() {
        let _ = writeln!(o, "value       {}", shown.join("  "));
    }
}

fn problems(o: &mut String, s: &Summary) {
    let groups = s.agg.top_groups();
    if groups.is_empty() {
        let _ = writeln!(o, "\nno findings");
        return;
    }
    let _ = writeln!(o, "\ntop problems ({} groups)", groups.len());
    let _ = writeln!(
        o,
        "  {:>9}  {:<8} {:<24} {:<36} example",
        "count", "severity", "code", "path"
    );
    for g in groups.iter().take(TOP) {
        let _ = writeln!(
            o,
            "  {:>9}  {:<8} {:<24} {:<36} {} (line {})",
            thousands(g.count),
            g.severity.name(),
            g.code.name(),
            safe_short(&g.path, 36),
            safe_short(g.example_value.as_deref().unwrap_or("n/a"), 40),
            g.example_line
        );
    }
    if groups.len() > TOP {
        let _ = writeln!(
            o,
            "  … {} more (use --format json for all)",
            groups.len() - TOP
        );
    }
}

fn data_sets(o: &mut String, s: &Summary) {
    let mut ds: Vec<_> = s.agg.data_sets.iter().collect();
    if ds.is_empty() {
        return;
    }
    ds.sort_by(|x, y| y.1.events.cmp(&x.1.events).then(x.0.cmp(y.0)));
    let _ = writeln!(o, "\ndata sets ({})", ds.len());
    let _ = writeln!(
        o,
        "  {:<28} {:>10} {:>8} {:>8} {:>7}",
        "data_set_id", "events", "error%", "warn%", "dup%"
    );
    for (name, d) in ds.iter().take(TOP) {
        let _ = writeln!(
            o,
            "  {:<28} {:>10} {:>7.1}% {:>7.1}% {:>6.1}%",
            safe_short(name, 28),
            thousands(d.events),
            pct(d.errors, d.events),
            pct(d.warnings, d.events),
            pct(d.duplicates, d.events)
        );
    }
}
