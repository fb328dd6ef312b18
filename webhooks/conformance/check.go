package conformance

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/socotra-go/sdk/events"
	"github.com/socotra-go/sdk/hmac"
	"github.com/socotra-go/sdk/socotra"
	"github.com/socotra-go/sdk/socotra/socotratest"
)

// ErrInvalidOption is wrapped by the error [Check] returns for a bad option, a nil handler or an empty secret.
var ErrInvalidOption = errors.New("conformance: invalid configuration")

// Check serves h on a loopback HTTPS server, registers it on in-process fake tenants (package
// socotra/socotratest) with secret as the webhook secret, delivers events the way Socotra does in each
// [Scenario], and reports the expectations h broke. A broken expectation is a Problem in the Report, not an
// error: the error is for a bad configuration (wrapping [ErrInvalidOption]), a cancelled ctx, or a fake
// tenant that could not be set up.
//
// The scenarios run one after the other, each on a fresh fake tenant whose clock is fake, so retries take no
// time: a handler that answers promptly is checked in well under a second. Events of one scenario have ids
// no other scenario uses, so h may keep state (a dedupe store) across scenarios.
func Check(ctx context.Context, h http.Handler, secret []byte, opts ...Option) (*Report, error) {
	cfg := newConfig(opts)
	if h == nil {
		cfg.errs = append(cfg.errs, "the handler is nil")
	}
	if len(secret) == 0 {
		cfg.errs = append(cfg.errs, "the secret is empty: give the secret the handler verifies with")
	}
	if len(cfg.errs) > 0 {
		return nil, fmt.Errorf("%w: %s", ErrInvalidOption, strings.Join(cfg.errs, "; "))
	}
	ts := httptest.NewUnstartedServer(h)
	ts.Config.ErrorLog = log.New(io.Discard, "", 0) // a handler's panic is reported as a problem instead
	ts.StartTLS()
	defer closeWithin(ts, cfg)

	rep := &Report{Observed: cfg.probe != nil}
	sent := map[string]bool{}
	for _, p := range []events.Platform{events.Core, events.Legacy} {
		if !cfg.platforms.Has(p) {
			continue
		}
		s, err := newSession(ctx, cfg, ts, secret, p, sent)
		if err != nil {
			return nil, err
		}
		err = s.runAll(ctx, rep)
		s.scratch.Close()
		if err != nil {
			return nil, err
		}
	}
	if cfg.probe != nil && len(rep.Results) > 0 {
		ids := cfg.probe.ids()
		slices.Sort(ids)
		r := &result{Result: rep.Results[0]}
		for _, id := range ids {
			if !sent[id] {
				r.add(id, "Probe.Observe was called with %q, which is not the id of an event the kit sent; "+
					"pass the event id (webhooks.Event ID: the Core locator or the Legacy id)", id)
			}
		}
		rep.Results[0] = r.Result
	}
	return rep, nil
}

// closeWithin closes ts, waiting for the handler's requests to finish for at most the timeout: a handler
// stuck in a request must not hang the caller.
func closeWithin(ts *httptest.Server, cfg *config) {
	ts.CloseClientConnections()
	done := make(chan struct{})
	go func() {
		ts.Close()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(cfg.timeout):
		cfg.log.Warn("conformance: the handler is still serving a request after the checks; not waiting for it")
	}
}

// Run is [Check] for a test: it fails t with t.Errorf for each problem, with t.Fatalf when the check cannot
// run, and logs the skipped scenarios. It returns the report (nil after t.Fatalf).
func Run(t testing.TB, h http.Handler, secret []byte, opts ...Option) *Report {
	t.Helper()
	rep, err := Check(t.Context(), h, secret, opts...)
	if err != nil {
		t.Fatalf("%v", err)
		return nil
	}
	if !rep.Observed {
		t.Logf("conformance: processing not observed; give a Probe with WithProbe to check duplicates and lost events")
	}
	for _, res := range rep.Results {
		if res.Skipped != "" {
			t.Logf("conformance: %v %s skipped: %s", res.Platform, res.Scenario, res.Skipped)
		}
	}
	for _, p := range rep.Problems() {
		t.Errorf("conformance: %s", p)
	}
	return rep
}

// session runs the scenarios for one platform against the handler's server.
type session struct {
	cfg      *config
	secret   []byte
	platform events.Platform
	url      string
	tls      *http.Client        // trusts the handler's certificate
	client   *http.Client        // tls with the timeout, for the kit's own requests
	scratch  *socotratest.Server // makes delivery bodies for the kit's own requests; delivers nothing
	sent     map[string]bool     // every event id the kit sent
}

func newSession(ctx context.Context, cfg *config, ts *httptest.Server, secret []byte, p events.Platform, sent map[string]bool) (*session, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("conformance: %w", err)
	}
	client := *ts.Client()
	client.Timeout = cfg.timeout
	return &session{
		cfg: cfg, secret: secret, platform: p, url: ts.URL + cfg.path, tls: ts.Client(), client: &client,
		scratch: socotratest.NewServer(socotratest.WithLogger(cfg.log)), sent: sent,
	}, nil
}

var runners = map[Scenario]func(*session, context.Context, *result) error{
	ScenarioValid:       (*session).valid,
	ScenarioDuplicate:   (*session).duplicate,
	ScenarioConcurrent:  (*session).concurrent,
	ScenarioReordered:   (*session).reordered,
	ScenarioLate:        (*session).late,
	ScenarioRetry:       (*session).retry,
	ScenarioForged:      (*session).forged,
	ScenarioUnknownType: (*session).unknownType,
	ScenarioNewFields:   (*session).newFields,
	ScenarioMalformed:   (*session).malformed,
	ScenarioOversized:   (*session).oversized,
	ScenarioSlow:        (*session).slow,
}

func (s *session) runAll(ctx context.Context, rep *Report) error {
	for _, sc := range Scenarios() {
		r := &result{Result: Result{Platform: s.platform, Scenario: sc}}
		if s.cfg.skip[sc] {
			r.Skipped = "left out with WithSkip"
		} else if err := runners[sc](s, ctx, r); err != nil {
			return fmt.Errorf("conformance: %v %s: %w", s.platform, sc, err)
		}
		rep.Results = append(rep.Results, r.Result)
	}
	return nil
}

// result collects one scenario's problems, each message once.
type result struct{ Result }

func (r *result) add(eventID, format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	for _, p := range r.Problems {
		if p.Message == msg {
			return
		}
	}
	r.Problems = append(r.Problems, Problem{Platform: r.Platform, Scenario: r.Scenario, EventID: eventID, Message: msg})
}

// answer is how the handler answered one delivery.
type answer struct {
	status   int
	timedOut bool
	err      string
}

func (a answer) ok() bool { return a.status >= 200 && a.status < 300 }

// unanswered adds the problem of a delivery without an answer, if a is one.
func (s *session) unanswered(r *result, id string, a answer) {
	switch {
	case a.timedOut:
		r.add(id, "did not answer within the timeout (%s); Socotra counts that as a failed delivery and sends the "+
			"event again: answer as soon as the event is safely recorded, and do slow work afterwards", s.cfg.timeout)
	case a.status == 0:
		s.cfg.log.Info("conformance: no answer", "scenario", r.Scenario, "event", id, "err", a.err)
		r.add(id, "closed the connection without an answer; a panic in the handler does this (WithLogger shows "+
			"the connection error)")
	}
}

// processed reports how often the probe saw id processed; -1 without a probe.
func (s *session) processed(id string) int {
	if s.cfg.probe == nil {
		return -1
	}
	return s.cfg.probe.Processed(id)
}

// awaitProcessed is processed, waiting up to the WithProcessingDelay for the event to be processed.
func (s *session) awaitProcessed(id string) int {
	deadline := time.Now().Add(s.cfg.lag)
	for {
		n := s.processed(id)
		if n != 0 || !time.Now().Before(deadline) {
			return n
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// tenant starts a fake tenant with faults and registers the handler on it for types, with one retry after a
// failure (4xx, 5xx or timeout).
func (s *session) tenant(ctx context.Context, f socotratest.Faults, types ...events.Name) (*socotratest.Server, error) {
	srv := socotratest.NewServer(socotratest.WithClock(socotratest.NewFakeClock(time.Now())),
		socotratest.WithDeliveryTimeout(s.cfg.timeout), socotratest.WithHTTPClient(s.tls),
		socotratest.WithFaults(f), socotratest.WithLogger(s.cfg.log))
	var reg socotra.Registrar
	if s.platform == events.Core {
		c, err := socotra.NewCoreClient(srv.URL(), srv.TenantLocator(), srv.CoreToken(), socotra.WithLogger(s.cfg.log))
		if err != nil {
			srv.Close()
			return nil, err
		}
		reg = c.Registrar()
	} else {
		user, pass, host := srv.LegacyCredentials()
		admin, adminPass := srv.LegacyAdminCredentials()
		c, err := socotra.NewLegacyClient(srv.URL(), socotra.LegacyCredentials{
			Username: user, Password: pass, HostName: host, AdminUsername: admin, AdminPassword: adminPass,
		}, socotra.WithLogger(s.cfg.log))
		if err != nil {
			srv.Close()
			return nil, err
		}
		reg = c.Registrar()
	}
	err := reg.Register(ctx, socotra.Registration{
		Name: "conformance", URL: s.url, Events: types, Secret: string(s.secret), Headers: socotra.Headers(s.cfg.headers),
		Failure: &socotra.FailureHandling{
			Triggers: []string{"4xx", "5xx", "timeout"},
			Retry:    &socotra.RetryStrategy{Type: socotra.RetryLinear, Interval: 1, Attempts: 1},
		},
	})
	if err != nil {
		srv.Close()
		return nil, err
	}
	return srv, nil
}

// emit sends e through srv, waits until its deliveries and retries have settled, and returns the answers in
// the order they were given, having added to r the problem of any delivery left without an answer.
func (s *session) emit(ctx context.Context, r *result, srv *socotratest.Server, e socotratest.Event) (socotratest.Emitted, []answer, error) {
	em, err := srv.Emit(ctx, s.platform, e)
	if err != nil {
		return em, nil, err
	}
	s.sent[em.ID] = true
	if err := srv.Flush(ctx); err != nil {
		return em, nil, err
	}
	var as []answer
	for _, d := range srv.Deliveries() {
		if d.EventID == em.ID && !d.Alert {
			a := answer{status: d.Status, timedOut: d.TimedOut, err: d.Err}
			s.unanswered(r, em.ID, a)
			as = append(as, a)
		}
	}
	if len(as) == 0 {
		return em, nil, fmt.Errorf("the fake tenant delivered nothing for %s", e.Type)
	}
	return em, as, nil
}

// body returns a delivery body for a new event that the kit sends itself.
func (s *session) body(ctx context.Context, e socotratest.Event) (socotratest.Emitted, error) {
	em, err := s.scratch.Emit(ctx, s.platform, e)
	if err == nil {
		s.sent[em.ID] = true
	}
	return em, err
}

// post sends body to the handler, signed with sig unless sig is empty, and adds to r the problem of a
// missing answer.
func (s *session) post(ctx context.Context, r *result, id string, body []byte, sig string) answer {
	a := s.send(ctx, body, sig)
	s.unanswered(r, id, a)
	return a
}

func (s *session) send(ctx context.Context, body []byte, sig string) answer {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.url, bytes.NewReader(body))
	if err != nil {
		return answer{err: err.Error()}
	}
	for k, vs := range s.cfg.headers {
		req.Header[k] = vs
	}
	req.Header.Set("Content-Type", "application/json")
	if sig != "" {
		req.Header.Set(hmac.HeaderName, sig)
	}
	resp, err := s.client.Do(req)
	if err != nil {
		var ne net.Error
		return answer{err: err.Error(), timedOut: errors.As(err, &ne) && ne.Timeout()}
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	_ = resp.Body.Close()
	return answer{status: resp.StatusCode}
}

// postInPieces sends a signed body in pieces pause apart, over a connection of its own, the way a body that
// crosses a slow network arrives, and adds to r the problem of a missing answer.
func (s *session) postInPieces(ctx context.Context, r *result, id string, body []byte, pieces int, pause time.Duration) answer {
	conn, err := s.dial(ctx, body, time.Duration(pieces)*pause)
	if err != nil {
		return answer{err: err.Error()}
	}
	defer conn.Close()
	size := (len(body) + pieces - 1) / pieces
	for rest := body; len(rest) > 0; {
		n := min(size, len(rest))
		if _, err := conn.Write(rest[:n]); err != nil {
			break // the handler may have answered before reading everything
		}
		if rest = rest[n:]; len(rest) > 0 {
			time.Sleep(pause)
		}
	}
	a := readAnswer(conn)
	s.unanswered(r, id, a)
	return a
}

// postAtOnce sends n copies of a signed body over n connections so that they complete at the same instant:
// each connection gets the headers and all but the last byte first, then every last byte is written at
// once. It adds to r the problem of each missing answer.
func (s *session) postAtOnce(ctx context.Context, r *result, id string, body []byte, n int) []answer {
	conns := make([]net.Conn, 0, n)
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	as := make([]answer, n)
	for i := range n {
		c, err := s.dial(ctx, body, 0)
		if err == nil {
			_, err = c.Write(body[:len(body)-1])
		}
		if err != nil {
			as[i] = answer{err: err.Error()}
			continue
		}
		conns = append(conns, c)
	}
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i, c := range conns {
		wg.Go(func() {
			<-start
			_, _ = c.Write(body[len(body)-1:])
			as[i] = readAnswer(c)
		})
	}
	close(start)
	wg.Wait()
	for _, a := range as {
		s.unanswered(r, id, a)
	}
	return as
}

// dial opens a connection of the kit's own to the handler and writes the request headers for a signed body;
// the connection gives up extra plus the timeout from now.
func (s *session) dial(ctx context.Context, body []byte, extra time.Duration) (net.Conn, error) {
	host, path, _ := strings.Cut(strings.TrimPrefix(s.url, "https://"), "/")
	conf := s.tls.Transport.(*http.Transport).TLSClientConfig.Clone()
	conf.NextProtos = []string{"http/1.1"}
	d := tls.Dialer{Config: conf}
	conn, err := d.DialContext(ctx, "tcp", host)
	if err != nil {
		return nil, err
	}
	_ = conn.SetDeadline(time.Now().Add(extra + s.cfg.timeout))
	h := http.Header{"Content-Type": {"application/json"}, hmac.HeaderName: {hmac.Sign(s.secret, body)}}
	for k, vs := range s.cfg.headers {
		h[k] = vs
	}
	var head bytes.Buffer
	fmt.Fprintf(&head, "POST /%s HTTP/1.1\r\nHost: %s\r\nContent-Length: %d\r\nConnection: close\r\n", path, host, len(body))
	_ = h.Write(&head)
	head.WriteString("\r\n")
	if _, err := conn.Write(head.Bytes()); err != nil {
		conn.Close()
		return nil, err
	}
	return conn, nil
}

func readAnswer(conn net.Conn) answer {
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		var ne net.Error
		return answer{err: err.Error(), timedOut: errors.As(err, &ne) && ne.Timeout()}
	}
	_ = resp.Body.Close()
	return answer{status: resp.StatusCode}
}
