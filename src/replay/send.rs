//! Sending requests: a rate limit shared by every attempt, bounded concurrency, retries of
//! 408, 429, 5xx and connection errors with exponential backoff and jitter, `Retry-After`
//! (seconds or HTTP-date) honoured up to a limit, a give-up limit and a per-request timeout.
//! Redirects are never followed (they could lead off the allow-list).

use super::answer::{judge, Verdict};
use super::target::{Secret, Target};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

/// The longest response text kept per exchange.
pub const RESPONSE_KEPT: usize = 4096;

/// The most of an answer read (the rest is not; the connection is then not reused).
pub const ANSWER_READ: usize = 16 * 1024 * 1024;

#[derive(Clone, Debug)]
pub struct SendConfig {
    pub target: Target,
    pub token: Option<Secret>,
    /// Extra headers, `(name, value)`.
    pub headers: Vec<(String, String)>,
    /// Headers whose values are secrets (read from the environment): masked and scrubbed.
    pub secret_headers: Vec<String>,
    /// Requests per second, every attempt counted.
    pub rate: Option<f64>,
    pub concurrency: usize,
    /// Retries after the first attempt, at most.
    pub retries: u32,
    pub timeout: Duration,
    /// First backoff; it doubles with each retry up to `max_backoff`.
    pub backoff: Duration,
    pub max_backoff: Duration,
    /// A `Retry-After` longer than this gives up instead of waiting.
    pub max_wait: Duration,
}

/// One attempt at a request.
#[derive(Clone, Debug)]
pub struct Attempt {
    pub status: Option<u16>,
    pub error: Option<String>,
    pub latency: Duration,
    /// What the answer asked, if it said `Retry-After`.
    pub retry_after: Option<Duration>,
    /// How long we waited before the next attempt (none after the last).
    pub waited: Option<Duration>,
}

/// A request's whole exchange: every attempt, the final answer and each event's verdict.
#[derive(Clone, Debug)]
pub struct Exchange {
    /// The request's position in the plan.
    pub request: usize,
    pub attempts: Vec<Attempt>,
    /// The response body of the last attempt, cut to [`RESPONSE_KEPT`] bytes.
    pub response: String,
    pub verdicts: Vec<Verdict>,
    /// Unix milliseconds of the first attempt.
    pub started_ms: i64,
}

impl Exchange {
    pub fn status(&self) -> Option<u16> {
        self.attempts.last().and_then(|a| a.status)
    }

    pub fn latency(&self) -> Duration {
        self.attempts.last().map_or(Duration::ZERO, |a| a.latency)
    }
}

/// Spaces attempts `gap` apart, over every task.
struct Pacer {
    next: Mutex<Instant>,
    gap: Duration,
}

impl Pacer {
    async fn wait(&self) {
        if self.gap.is_zero() {
            return;
        }
        let slot = {
            let Ok(mut next) = self.next.lock() else {
                return;
            };
            let slot = (*next).max(Instant::now());
            *next = slot + self.gap;
            slot
        };
        tokio::time::sleep_until(slot.into()).await;
    }
}

pub struct Sender {
    client: reqwest::Client,
    cfg: SendConfig,
    pacer: Pacer,
    rng: Mutex<fastrand::Rng>,
    /// Set to stop: no new attempt starts, waits end at once.
    pub stop: Arc<AtomicBool>,
}

impl Sender {
    pub fn new(cfg: SendConfig) -> Result<Sender, String> {
        crate::ingest::init_tls();
        let mut builder = reqwest::Client::builder()
            .timeout(cfg.timeout)
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .pool_max_idle_per_host(cfg.concurrency.max(1))
            .user_agent(concat!(
                "ecapi-scope/",
                env!("CARGO_PKG_VERSION"),
                " replay"
            ));
        // A loopback name goes to loopback, whatever a resolver or hosts file says.
        if let Some((name, addr)) = cfg.target.pinned() {
            builder = builder.resolve(&name, addr);
        }
        let client = builder.build().map_err(|e| format!("HTTP client: {e}"))?;
        let gap = cfg
            .rate
            .filter(|r| *r > 0.0 && r.is_finite())
            .map_or(Duration::ZERO, |r| Duration::from_secs_f64(1.0 / r));
        Ok(Sender {
            client,
            pacer: Pacer {
                next: Mutex::new(Instant::now()),
                gap,
            },
            rng: Mutex::new(fastrand::Rng::new()),
            cfg,
            stop: Arc::new(AtomicBool::new(false)),
        })
    }

    /// Sends every request, `concurrency` at once, telling `on` about each exchange as it
    /// ends. Stops starting new requests once [`Sender::stop`] is set; returns how many were
    /// started (those stopped before their first attempt come back with no attempt).
    pub async fn send_all(
        self: &Arc<Self>,
        bodies: Vec<(usize, Vec<u8>, usize)>,
        on: &mut dyn FnMut(Exchange),
    ) -> usize {
        let mut set = tokio::task::JoinSet::new();
        let mut started = 0;
        for (request, body, events) in bodies {
            while set.len() >= self.cfg.concurrency.max(1) {
                if let Some(Ok(x)) = set.join_next().await {
                    on(x);
                }
            }
            if self.stopped() {
                break;
            }
            started += 1;
            let me = Arc::clone(self);
            set.spawn(async move { me.exchange(request, body, events).await });
        }
        while let Some(done) = set.join_next().await {
            if let Ok(x) = done {
                on(x);
            }
        }
        started
    }

    pub fn stopped(&self) -> bool {
        self.stop.load(Ordering::Relaxed)
    }

    /// Resolves once [`Sender::stop`] is set (looked at every 50 ms).
    pub async fn until_stopped(&self) {
        while !self.stopped() {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Waits for `wait`, or less when stopped; true when stopped.
    async fn pause(&self, wait: impl std::future::Future<Output = ()>) -> bool {
        tokio::select! {
            () = wait => self.stopped(),
            () = self.until_stopped() => true,
        }
    }

    /// One request to its end: attempts until an answer that is not retried, or the limit.
    /// Stopped before its first attempt, it has none (it was not sent).
    pub async fn exchange(&self, request: usize, body: Vec<u8>, events: usize) -> Exchange {
        let started_ms = crate::ingest::now_ms();
        let mut attempts: Vec<Attempt> = Vec::new();
        let done = |attempts: Vec<Attempt>, text: String, verdicts: Vec<Verdict>| Exchange {
            request,
            attempts,
            response: self.scrub(cut(text)),
            verdicts,
            started_ms,
        };
        loop {
            if self.pause(self.pacer.wait()).await {
                let why = if attempts.is_empty() {
                    "not sent: stopped"
                } else {
                    "stopped before the next retry"
                };
                return done(
                    attempts,
                    String::new(),
                    vec![Verdict::Failed(why.into()); events],
                );
            }
            let (attempt, text) = self.attempt(&body).await;
            let retryable = match attempt.status {
                Some(s) => s == 408 || s == 429 || s >= 500,
                None => true,
            };
            let n = attempts.len() as u32;
            let wait = self.backoff(n, attempt.retry_after);
            let give_up = !retryable || n >= self.cfg.retries || wait > self.cfg.max_wait;
            attempts.push(attempt);
            if give_up {
                let mut verdicts = judge(&attempts, &text, events, retryable);
                if retryable && wait > self.cfg.max_wait && n < self.cfg.retries {
                    let asked = if wait == Duration::MAX {
                        "forever".to_owned()
                    } else {
                        format!("{}s", wait.as_secs())
                    };
                    let why = format!(
                        "asked to wait {asked} (Retry-After), over --max-wait {}s",
                        self.cfg.max_wait.as_secs()
                    );
                    verdicts = vec![Verdict::Failed(why); events];
                }
                let verdicts = verdicts
                    .into_iter()
                    .map(|v| self.scrub_verdict(v))
                    .collect();
                return done(attempts, text, verdicts);
            }
            if let Some(last) = attempts.last_mut() {
                last.waited = Some(wait);
            }
            if self.pause(tokio::time::sleep(wait)).await {
                let why = Verdict::Failed("stopped before the next retry".into());
                return done(attempts, String::new(), vec![why; events]);
            }
        }
    }

    /// `text` with the token (and a URL password) replaced by `****`: a receiver that echoes
    /// headers must not put the secret in any output.
    fn scrub(&self, text: String) -> String {
        let mut out = text;
        for secret in self.secrets() {
            if out.contains(secret) {
                out = out.replace(secret, "****");
            }
        }
        out
    }

    fn secrets(&self) -> impl Iterator<Item = &str> + '_ {
        let token = self.cfg.token.as_ref().map(Secret::expose);
        let password = self.cfg.target.url().password();
        let headers = self
            .cfg
            .headers
            .iter()
            .filter(|(k, _)| self.cfg.secret_headers.contains(k))
            .map(|(_, v)| v.as_str());
        token
            .into_iter()
            .chain(password)
            .chain(headers)
            .filter(|s| s.len() >= 3)
    }

    fn scrub_verdict(&self, v: Verdict) -> Verdict {
        match v {
            Verdict::Rejected { status, reason } => Verdict::Rejected {
                status,
                reason: self.scrub(reason),
            },
            Verdict::Failed(why) => Verdict::Failed(self.scrub(why)),
            accepted @ Verdict::Accepted { .. } => accepted,
        }
    }

    /// The wait before retry `n + 1`: the backoff doubled per retry, capped, with jitter (half
    /// fixed, half random), and never less than what `Retry-After` asked.
    fn backoff(&self, n: u32, retry_after: Option<Duration>) -> Duration {
        let full = self
            .cfg
            .backoff
            .saturating_mul(1u32 << n.min(20))
            .min(self.cfg.max_backoff);
        let half = full / 2;
        let span = u64::try_from(half.as_micros()).unwrap_or(u64::MAX);
        let jitter = self.rng.lock().map_or(0, |mut r| r.u64(0..=span));
        let wait = half + Duration::from_micros(jitter);
        retry_after.map_or(wait, |r| r.max(wait))
    }

    async fn attempt(&self, body: &[u8]) -> (Attempt, String) {
        let mut req = self
            .client
            .post(self.cfg.target.url().clone())
            .header("content-type", "application/json")
            .header("accept", "application/json");
        for (k, v) in &self.cfg.headers {
            req = req.header(k.as_str(), v.as_str());
        }
        if let Some(t) = &self.cfg.token {
            if let Ok(mut v) =
                reqwest::header::HeaderValue::from_str(&format!("Bearer {}", t.expose()))
            {
                v.set_sensitive(true);
                req = req.header(reqwest::header::AUTHORIZATION, v);
            }
        }
        let t0 = Instant::now();
        let sent = req.body(body.to_vec()).send().await;
        let resp = match sent {
            Ok(r) => r,
            Err(e) => return (failed(t0, &e), String::new()),
        };
        let status = resp.status().as_u16();
        let retry_after = resp
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| parse_retry_after(v, SystemTime::now()));
        let location = resp
            .headers()
            .get(reqwest::header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let text = match read_capped(resp).await {
            Ok(t) => t,
            Err(e) => return (failed(t0, &e), String::new()),
        };
        let text = match location.filter(|_| (300..400).contains(&status)) {
            Some(to) => format!("redirect to {to} (not followed)\n{text}"),
            None => text,
        };
        let attempt = Attempt {
            status: Some(status),
            error: None,
            latency: t0.elapsed(),
            retry_after,
            waited: None,
        };
        (attempt, text)
    }
}

/// The answer's text, at most [`ANSWER_READ`] bytes of it: enough to read a receiver's
/// per-event results, never a huge body in memory.
async fn read_capped(mut resp: reqwest::Response) -> Result<String, reqwest::Error> {
    let mut body = Vec::new();
    while let Some(chunk) = resp.chunk().await? {
        let room = ANSWER_READ.saturating_sub(body.len());
        body.extend_from_slice(&chunk[..chunk.len().min(room)]);
        if body.len() >= ANSWER_READ {
            break;
        }
    }
    Ok(String::from_utf8_lossy(&body).into_owned())
}

fn failed(t0: Instant, e: &reqwest::Error) -> Attempt {
    let what = if e.is_timeout() {
        "timed out".to_owned()
    } else if e.is_connect() {
        format!("could not connect: {}", root_cause(e))
    } else {
        format!("connection failed: {}", root_cause(e))
    };
    Attempt {
        status: None,
        error: Some(what),
        latency: t0.elapsed(),
        retry_after: None,
        waited: None,
    }
}

/// The innermost error's text (reqwest's own says only "error sending request for url").
/// The URL is never part of it, so a password in it cannot leak.
fn root_cause(e: &(dyn std::error::Error + 'static)) -> String {
    let mut cur = e;
    while let Some(next) = cur.source() {
        cur = next;
    }
    cur.to_string()
}

/// `Retry-After`: delay-seconds or an HTTP-date (a date in the past is no wait).
pub fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let v = value.trim();
    if !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()) {
        // Too many seconds to count is as good as forever.
        return Some(v.parse::<u64>().map_or(Duration::MAX, Duration::from_secs));
    }
    let at = httpdate::parse_http_date(v).ok()?;
    Some(at.duration_since(now).unwrap_or(Duration::ZERO))
}

fn cut(mut text: String) -> String {
    if text.len() > RESPONSE_KEPT {
        let mut end = RESPONSE_KEPT;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        text.truncate(end);
        text.push('…');
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_takes_seconds_and_dates() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_445_412_480);
        assert_eq!(parse_retry_after("3", now), Some(Duration::from_secs(3)));
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:28:10 GMT", now),
            Some(Duration::from_secs(10))
        );
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:27:00 GMT", now),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("soon", now), None);
        assert_eq!(parse_retry_after("-1", now), None);
        assert_eq!(
            parse_retry_after("99999999999999999999", now),
            Some(Duration::MAX)
        );
    }

    #[test]
    fn backoff_doubles_with_jitter_and_yields_to_retry_after() {
        let cfg = SendConfig {
            target: Target::parse("http://127.0.0.1:1/", &[]).unwrap(),
            token: None,
            headers: Vec::new(),
            secret_headers: Vec::new(),
            rate: None,
            concurrency: 1,
            retries: 5,
            timeout: Duration::from_secs(1),
            backoff: Duration::from_millis(100),
            max_backoff: Duration::from_secs(2),
            max_wait: Duration::from_secs(60),
        };
        let s = Sender::new(cfg).unwrap();
        for n in 0..6u32 {
            let full = Duration::from_millis(100 * (1 << n)).min(Duration::from_secs(2));
            let w = s.backoff(n, None);
            assert!(w >= full / 2 && w <= full, "retry {n}: {w:?}");
        }
        assert!(s.backoff(0, Some(Duration::from_secs(3))) == Duration::from_secs(3));
    }
}
