package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"time"

	"github.com/socotra-go/sdk/events"
	"github.com/socotra-go/sdk/hmac"
	"github.com/socotra-go/sdk/socotra"
	"github.com/socotra-go/sdk/webhooks/backfill"
)

var listenCmd = &command{
	name:    "listen",
	summary: "forward a tenant's event stream to a local URL, signed",
	usage: `listen --forward-to URL [--secret S] [--platform core|legacy] [--api-url U --tenant T --token K] [--events PATTERN]... [--since start|now|RFC3339] [--checkpoint FILE] [--max-events N] [--json]
listen --forward-to URL --platform legacy [--api-url U --username USER --password P --hostname H] ...`,
	help: `
Listen polls a tenant's event stream and forwards each event to a local URL in the webhook delivery
format of its platform, signed with the secret as Socotra signs, so a laptop receives a real sandbox
tenant's events without a public URL. It prints one line per event (time, type, id, status, latency).

A forward that fails (no answer, or not 2xx) is retried with backoff and never skipped: events are
forwarded in stream order, one at a time. With --checkpoint, the position after each forwarded event
is saved to FILE, and a later run resumes there without loss or repeats. Ctrl-C saves the checkpoint
and exits 0.

Credentials come from the flags or the environment:
  Core    --api-url $SOCOTRA_API_URL, --tenant $SOCOTRA_TENANT (the tenant locator), --token $SOCOTRA_TOKEN
  Legacy  --api-url $SOCOTRA_API_URL, --username $SOCOTRA_USERNAME, --password $SOCOTRA_PASSWORD,
          --hostname $SOCOTRA_HOSTNAME

Flags:
  --forward-to URL   where to POST each event
  --secret S         signing secret (default $SOCOTRA_WEBHOOK_SECRET; when both are empty a secret is
                     generated and printed on standard error)
  --platform P       core (default) or legacy
  --events PATTERN   forward only events matching PATTERN, such as policy.* (repeatable; default all)
  --since WHEN       where to start without a saved position: start (the whole stream), now or an
                     RFC 3339 time (default: start with --checkpoint or --max-events, so a checkpointed
                     or bounded run misses nothing; now otherwise)
  --checkpoint FILE  save and resume the position in FILE
  --max-events N     exit 0 after N events were forwarded with a 2xx answer (0: run until Ctrl-C)
  --interval D       how often to poll once caught up (default 2s)
  --max-backoff D    longest wait between retries of a failed forward (default 30s)
  --json             print one JSON object per event

Examples:
  socotra-webhooks listen --forward-to http://localhost:8080/webhooks --secret s3cret
  socotra-webhooks listen --forward-to http://localhost:8080/webhooks --events 'policy.*' --since start --checkpoint .listen
  SOCOTRA_USERNAME=alice SOCOTRA_PASSWORD=... SOCOTRA_HOSTNAME=acme-configeditor.co.sandbox.socotra.com \
    socotra-webhooks listen --platform legacy --api-url https://api.sandbox.socotra.com --forward-to http://localhost:8080/hook
`,
	run: runListen,
}

type listenOpts struct {
	conn                                 // only --platform, --api-url, --tenant, --token, --username, --password and --hostname are flags
	forwardTo, secret, since, checkpoint string
	patterns                             listFlag
	maxEvents                            int
	interval, maxBackoff                 time.Duration
	json                                 bool
}

// cursor is listen's position in the stream: every event before Time has been handled, and of the
// events at Time exactly those in Seen. It is independent of paging tokens, so it resumes the same
// way on both platforms, and across runs.
type cursor struct {
	Version  int       `json:"v"`
	Platform string    `json:"platform"`
	Time     time.Time `json:"time"`
	Seen     []string  `json:"seen,omitempty"`
}

func (c *cursor) handled(ev socotra.StreamEvent) bool {
	return ev.Time.Before(c.Time) || (ev.Time.Equal(c.Time) && slices.Contains(c.Seen, ev.ID))
}

func (c *cursor) advance(ev socotra.StreamEvent) {
	if !ev.Time.Equal(c.Time) {
		c.Time, c.Seen = ev.Time, nil
	}
	c.Seen = append(c.Seen, ev.ID)
}

func runListen(ctx context.Context, e *env, args []string) error {
	var o listenOpts
	fs := newFlags("listen")
	fs.StringVar(&o.forwardTo, "forward-to", "", "")
	fs.StringVar(&o.secret, "secret", "", "")
	fs.StringVar(&o.platform, "platform", "core", "")
	fs.StringVar(&o.apiURL, "api-url", "", "")
	fs.StringVar(&o.tenant, "tenant", "", "")
	fs.StringVar(&o.token, "token", "", "")
	fs.StringVar(&o.username, "username", "", "")
	fs.StringVar(&o.password, "password", "", "")
	fs.StringVar(&o.hostname, "hostname", "", "")
	fs.StringVar(&o.since, "since", "", "")
	fs.StringVar(&o.checkpoint, "checkpoint", "", "")
	fs.Var(&o.patterns, "events", "")
	fs.IntVar(&o.maxEvents, "max-events", 0, "")
	fs.DurationVar(&o.interval, "interval", 2*time.Second, "")
	fs.DurationVar(&o.maxBackoff, "max-backoff", 30*time.Second, "")
	fs.BoolVar(&o.json, "json", false, "")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usagef("unexpected argument %q", pos[0])
	}
	if o.forwardTo == "" {
		return usagef("--forward-to URL is required: where to send the events, such as http://localhost:8080/webhooks")
	}
	if err := checkURL("--forward-to", o.forwardTo); err != nil {
		return err
	}
	for _, p := range o.patterns {
		if err := events.ValidPattern(p); err != nil {
			return usagef("--events %q: %v", p, err)
		}
	}
	if o.maxEvents < 0 || o.interval <= 0 || o.maxBackoff <= 0 {
		return usagef("--max-events must not be negative; --interval and --max-backoff must be positive")
	}
	if o.since == "" {
		// A checkpointed or bounded run is about completeness: it starts at the beginning.
		o.since = "now"
		if o.checkpoint != "" || o.maxEvents > 0 {
			o.since = "start"
		}
	}
	var since time.Time
	switch o.since {
	case "start":
	case "now":
		since = time.Now().UTC()
	default:
		if since, err = time.Parse(time.RFC3339Nano, o.since); err != nil {
			return usagef("--since %q: use start, now or an RFC 3339 time such as 2026-11-23T18:04:05Z", o.since)
		}
	}
	stream, platform, err := streamClient(e, &o)
	if err != nil {
		return err
	}
	cur := cursor{Version: 1, Platform: platform, Time: since}
	var cp *backfill.FileCheckpoint
	if o.checkpoint != "" {
		if cp, err = backfill.NewFileCheckpoint(o.checkpoint); err != nil {
			return fmt.Errorf("--checkpoint: %w", err)
		}
		saved, err := cp.Load(ctx)
		if err != nil {
			return fmt.Errorf("--checkpoint: %w", err)
		}
		if saved != "" {
			var c cursor
			if err := json.Unmarshal([]byte(saved), &c); err != nil || c.Version != 1 {
				return fmt.Errorf("--checkpoint %s: not a listen checkpoint; remove it or choose another file", o.checkpoint)
			}
			if c.Platform != platform {
				return fmt.Errorf("--checkpoint %s: saved by a %s listen, not %s", o.checkpoint, c.Platform, platform)
			}
			cur = c
		}
	}
	secret := firstEnv(e, o.secret, "SOCOTRA_WEBHOOK_SECRET")
	if secret == "" {
		secret = "whsec_" + randomKey()
		fmt.Fprintf(e.stderr, "listen: signing with the generated secret %s (give your receiver this secret, or pass --secret)\n", secret)
	}
	l := &listener{caughtUp: -1, e: e, o: &o, secret: []byte(secret), stream: stream, cur: cur, cp: cp,
		client: &http.Client{Timeout: 30 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
	if !o.json {
		from := "the start of the stream"
		if !cur.Time.IsZero() {
			from = cur.Time.Format(time.RFC3339Nano)
		}
		fmt.Fprintf(e.stderr, "listen: forwarding %s events from %s to %s; Ctrl-C to stop\n", platform, from, o.forwardTo)
	}
	err = l.run(ctx)
	if ctx.Err() != nil && (err == nil || errors.Is(err, ctx.Err())) {
		err = nil // Ctrl-C: the checkpoint is saved
	}
	if !o.json {
		fmt.Fprintf(e.stderr, "listen: forwarded %d events", l.forwarded)
		if cp != nil {
			fmt.Fprintf(e.stderr, "; position saved in %s", cp.Path())
		}
		fmt.Fprintln(e.stderr)
	}
	return err
}

// streamClient builds the event stream source from flags and environment.
func streamClient(e *env, o *listenOpts) (func(socotra.EventQuery) *socotra.EventStream, string, error) {
	leg, err := o.legacy()
	if err != nil {
		return nil, "", err
	}
	if leg {
		c, err := o.legacyClient(e)
		if err != nil {
			return nil, "", err
		}
		return c.EventStream, "legacy", nil
	}
	c, err := o.core(e)
	if err != nil {
		return nil, "", err
	}
	return c.EventStream, "core", nil
}

type listener struct {
	e         *env
	o         *listenOpts
	secret    []byte
	stream    func(socotra.EventQuery) *socotra.EventStream
	cur       cursor
	cp        *backfill.FileCheckpoint
	client    *http.Client
	forwarded int
	caughtUp  int // forwarded when "caught up" was last shown; -1 before the first time
}

// errDone ends the run after --max-events.
var errDone = errors.New("done")

func (l *listener) run(ctx context.Context) error {
	wait := time.Duration(0)
	for {
		err := l.poll(ctx)
		switch {
		case errors.Is(err, errDone):
			return nil
		case ctx.Err() != nil:
			return ctx.Err()
		case err != nil:
			wait = min(max(2*wait, time.Second), l.o.maxBackoff)
			fmt.Fprintf(l.e.stderr, "listen: reading the event stream: %v; again in %v\n", err, wait)
		default:
			wait = 0
			// On a terminal, say once per quiet spell that the stream was read to its end.
			if l.e.progress && !l.o.json && l.forwarded != l.caughtUp {
				l.caughtUp = l.forwarded
				fmt.Fprintf(l.e.stderr, "listen: caught up, %d forwarded; polling every %v\n", l.forwarded, l.o.interval)
			}
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(max(wait, l.o.interval)):
		}
	}
}

// poll reads the stream from the cursor to its end, forwarding what the cursor has not handled.
func (l *listener) poll(ctx context.Context) error {
	s := l.stream(socotra.EventQuery{Start: l.cur.Time, PageSize: 100})
	for ev, err := range s.Events(ctx) {
		if err != nil {
			return err
		}
		if l.cur.handled(ev) {
			continue
		}
		if l.wanted(ev.Type) {
			if err := l.forward(ctx, ev); err != nil {
				return err
			}
		}
		l.cur.advance(ev)
		if err := l.save(ctx); err != nil {
			return err
		}
		if l.o.maxEvents > 0 && l.forwarded >= l.o.maxEvents {
			return errDone
		}
	}
	return nil
}

func (l *listener) wanted(n events.Name) bool {
	if len(l.o.patterns) == 0 {
		return true
	}
	for _, p := range l.o.patterns {
		if events.Match(p, n) {
			return true
		}
	}
	return false
}

func (l *listener) save(ctx context.Context) error {
	if l.cp == nil {
		return nil
	}
	b, _ := json.Marshal(l.cur)
	// The checkpoint is saved even while stopping: ctx may be cancelled already.
	if err := l.cp.Save(context.WithoutCancel(ctx), string(b)); err != nil {
		return fmt.Errorf("save checkpoint: %w", err)
	}
	return nil
}

// deliveryBody is ev in the webhook delivery format of its platform.
func deliveryBody(ev socotra.StreamEvent) []byte {
	if len(ev.Data) == 0 {
		ev.Data = json.RawMessage("{}")
	}
	return backfill.Event(ev).Raw
}

// forward sends ev until the URL answers 2xx, waiting longer after each failure; only ctx ends it.
func (l *listener) forward(ctx context.Context, ev socotra.StreamEvent) error {
	body := deliveryBody(ev)
	wait := 250 * time.Millisecond
	for attempt := 1; ; attempt++ {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, l.o.forwardTo, bytes.NewReader(body))
		if err != nil {
			return err
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("User-Agent", prog+" listen")
		if err := hmac.SignRequest(req, l.secret); err != nil {
			return err
		}
		start := time.Now()
		resp, err := l.client.Do(req)
		latency := time.Since(start)
		status, outcome := 0, ""
		if err == nil {
			_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxAnswerBytes))
			resp.Body.Close()
			status, outcome = resp.StatusCode, resp.Status
		} else if ctx.Err() != nil {
			return ctx.Err()
		} else {
			outcome = unwrapURLError(err).Error()
		}
		ok := status >= 200 && status < 300
		l.report(ev, status, outcome, latency, attempt, ok)
		if ok {
			l.forwarded++
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(wait):
		}
		wait = min(2*wait, l.o.maxBackoff)
	}
}

func (l *listener) report(ev socotra.StreamEvent, status int, outcome string, latency time.Duration, attempt int, ok bool) {
	if l.o.json {
		_ = json.NewEncoder(l.e.stdout).Encode(map[string]any{
			"time": ev.Time, "type": ev.Type, "id": ev.ID, "status": status, "outcome": outcome,
			"latencyMs": latency.Milliseconds(), "attempt": attempt, "ok": ok,
		})
		return
	}
	line := fmt.Sprintf("%s  %-40s %s  %s  %s", ev.Time.UTC().Format(time.RFC3339), ev.Type, ev.ID, outcome, latency.Round(time.Millisecond/10))
	if attempt > 1 {
		line += fmt.Sprintf("  (attempt %d)", attempt)
	}
	if !ok {
		line += "  will retry"
	}
	fmt.Fprintln(l.e.stdout, line)
}
