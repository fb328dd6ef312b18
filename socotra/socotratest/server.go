package socotratest

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"time"

	"github.com/oklog/ulid/v2"

	"github.com/socotra-go/sdk/internal/coreapi"
	"github.com/socotra-go/sdk/internal/legacyapi"
)

// ErrClosed is returned by calls made after [Server.Close].
var ErrClosed = errors.New("socotratest: server closed")

// Server is a fake Socotra tenant listening on 127.0.0.1. It serves the Core API under
// /event/{tenantLocator}/… and the Legacy API under /webhooks, /integrations, /eventstream and /account/…, and
// delivers emitted events to the registered webhooks. All methods are safe for concurrent use.
type Server struct {
	cfg         config
	hs          *httptest.Server
	tenant      string
	coreTok     string
	user        credentials
	admin       credentials
	hostName    string
	userLocator string          // the Core userLocator of emitted events
	client      *http.Client    // deliveries to endpoints that check certificates
	insecure    *http.Client    // deliveries to endpoints with secureSsl off
	life        context.Context // ends at Close; delivery requests and waits derive from it
	stop        context.CancelFunc
	wg          sync.WaitGroup
	once        sync.Once

	mu           sync.Mutex
	closed       bool
	seq          uint64 // webhook creation order and event order
	jobs         uint64 // delivery jobs started, the fault generator's stream
	entropy      io.Reader
	coreHooks    map[string]*coreHook
	legacyHooks  map[string]*legacyHook
	integrations map[string]*integration
	stream       []*event // both platforms, ordered by (time, seq)
	byID         map[string]*event
	tokens       map[string]token
	deliveries   []Delivery
	faults       Faults
	turns        map[string]chan struct{} // per webhook: the turn of the last job started
	pending      int                      // delivery jobs not finished
	changed      chan struct{}            // closed and replaced whenever pending or the clock's waits change
	entities     sync.Map                 // entityKey -> JSON document (see PutPolicy)
}

type credentials struct{ username, password string }

type token struct {
	admin   bool
	expires time.Time
}

// NewServer starts a fake tenant on 127.0.0.1 with a fresh tenant locator, Core token and Legacy
// credentials. Like httptest.NewServer it panics when it cannot listen, and it panics on an invalid
// option (a bad [Faults] rate, a negative duration), with a message naming the option.
func NewServer(opts ...Option) *Server {
	cfg := defaults()
	for _, o := range opts {
		o.apply(&cfg)
	}
	if err := cfg.validate(); err != nil {
		panic(err)
	}
	s := &Server{
		cfg:          cfg,
		tenant:       newUUID(),
		userLocator:  newUUID(),
		coreTok:      "pat_" + randomHex(16),
		user:         credentials{"socotratest.user", randomHex(8)},
		admin:        credentials{"socotratest.admin", randomHex(8)},
		hostName:     "socotratest-configeditor.co.sandbox.socotra.com",
		entropy:      ulid.Monotonic(rand.Reader, 0),
		coreHooks:    map[string]*coreHook{},
		legacyHooks:  map[string]*legacyHook{},
		integrations: map[string]*integration{},
		byID:         map[string]*event{},
		tokens:       map[string]token{},
		turns:        map[string]chan struct{}{},
		faults:       cfg.faults,
		changed:      make(chan struct{}),
	}
	s.life, s.stop = context.WithCancel(context.Background())
	s.client, s.insecure = deliveryClients(cfg.client)
	if fc, ok := cfg.clock.(*FakeClock); ok {
		fc.mu.Lock()
		fc.changed = s.notify
		fc.mu.Unlock()
	}
	s.hs = s.start(s.handler())
	return s
}

func (c *config) validate() error {
	switch {
	case c.clock == nil:
		return errors.New("socotratest: WithClock(nil): pass a Clock such as NewFakeClock(time.Now())")
	case c.tokenTTL <= 0:
		return fmt.Errorf("socotratest: WithTokenTTL(%v): the lifetime must be positive", c.tokenTTL)
	case c.retryUnit < 0:
		return fmt.Errorf("socotratest: WithRetryUnit(%v): the unit must not be negative", c.retryUnit)
	case c.deliveryTimeout <= 0:
		return fmt.Errorf("socotratest: WithDeliveryTimeout(%v): the timeout must be positive", c.deliveryTimeout)
	case c.log == nil:
		return errors.New("socotratest: WithLogger(nil): pass a logger, or leave the option out to discard logs")
	}
	return c.faults.Validate()
}

// deliveryClients returns the client for endpoints that check certificates and a copy that does
// not. The server's own client does not follow redirects: the endpoint's status is the outcome.
func deliveryClients(user *http.Client) (secure, insecure *http.Client) {
	secure = user
	if secure == nil {
		secure = &http.Client{
			Transport:     http.DefaultTransport.(*http.Transport).Clone(),
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		}
	}
	base, ok := secure.Transport.(*http.Transport)
	if secure.Transport == nil {
		base, ok = http.DefaultTransport.(*http.Transport), true
	}
	if !ok { // a custom RoundTripper decides about certificates itself
		return secure, secure
	}
	t := base.Clone()
	if t.TLSClientConfig == nil {
		t.TLSClientConfig = &tls.Config{}
	}
	t.TLSClientConfig.InsecureSkipVerify = true //nolint:gosec // the endpoint asked for secureSsl off
	c := *secure
	c.Transport = t
	return secure, &c
}

// URL returns the base URL of both platforms' APIs, such as http://127.0.0.1:41234.
func (s *Server) URL() string { return s.hs.URL }

// TenantLocator returns the Core tenant locator (a UUID) that every /event/… path must carry.
func (s *Server) TenantLocator() string { return s.tenant }

// CoreToken returns a valid Core Personal Access Token. It does not expire.
func (s *Server) CoreToken() string { return s.coreTok }

// LegacyCredentials returns the Legacy tenant user's credentials for /account/authenticate.
func (s *Server) LegacyCredentials() (username, password, hostName string) {
	return s.user.username, s.user.password, s.hostName
}

// LegacyAdminCredentials returns the Legacy administrator's credentials for
// /account/authenticateAdmin, whose token the /integrations API needs.
func (s *Server) LegacyAdminCredentials() (username, password string) {
	return s.admin.username, s.admin.password
}

// Close stops pending deliveries and retries, waits for them to return and shuts the server down.
// Events emitted after Close fail with [ErrClosed]. Close is idempotent.
func (s *Server) Close() {
	s.once.Do(func() {
		s.mu.Lock()
		s.closed = true
		s.mu.Unlock()
		s.stop()
		s.wg.Wait()
		s.hs.Close()
		s.client.CloseIdleConnections()
		s.insecure.CloseIdleConnections()
	})
}

func (s *Server) handler() http.Handler {
	mux := http.NewServeMux()
	coreapi.HandlerWithOptions(&coreAPI{s}, coreapi.StdHTTPServerOptions{
		BaseRouter: mux,
		ErrorHandlerFunc: func(w http.ResponseWriter, r *http.Request, err error) {
			writeCoreError(w, http.StatusBadRequest, err.Error())
		},
	})
	legacyapi.HandlerWithOptions(&legacyAPI{s}, legacyapi.StdHTTPServerOptions{
		BaseRouter: mux,
		ErrorHandlerFunc: func(w http.ResponseWriter, r *http.Request, err error) {
			writeLegacyError(w, r, http.StatusBadRequest, err.Error())
		},
	})
	s.mountExtras(mux)
	return s.authenticate(mux)
}

// authenticate enforces each platform's authorization before routing.
func (s *Server) authenticate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		path := r.URL.Path
		switch {
		case strings.HasPrefix(path, "/event/"):
			tenant, _, _ := strings.Cut(strings.TrimPrefix(path, "/event/"), "/")
			if !s.coreAuthorized(w, r, tenant) {
				return
			}
		case strings.HasPrefix(path, "/account/"):
		case path == "/integrations" || strings.HasPrefix(path, "/integrations/"):
			if !s.legacyAuthorized(w, r, true) {
				return
			}
		case path == "/webhooks" || strings.HasPrefix(path, "/webhooks/"), strings.HasPrefix(path, "/eventstream/"):
			if !s.legacyAuthorized(w, r, false) {
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

// coreAuthorized answers 401 unless r carries the Core token (with the configured scheme) and 404 unless
// tenant is the fake's tenant, and reports whether r may go on.
func (s *Server) coreAuthorized(w http.ResponseWriter, r *http.Request, tenant string) bool {
	want := s.coreTok
	if s.cfg.coreScheme != "" {
		want = s.cfg.coreScheme + " " + want
	}
	if subtle.ConstantTimeCompare([]byte(r.Header.Get("Authorization")), []byte(want)) != 1 { // serve may expose the fake
		writeCoreError(w, http.StatusUnauthorized, "missing or invalid Personal Access Token (send Authorization: "+
			strings.TrimSpace(s.cfg.coreScheme+" <token>")+")")
		return false
	}
	if tenant != s.tenant {
		writeCoreError(w, http.StatusNotFound, fmt.Sprintf("tenant %q not found", tenant))
		return false
	}
	return true
}

func (s *Server) legacyAuthorized(w http.ResponseWriter, r *http.Request, admin bool) bool {
	s.mu.Lock()
	tok, ok := s.tokens[r.Header.Get("Authorization")]
	now := s.cfg.clock.Now()
	s.mu.Unlock()
	switch {
	case !ok:
		writeLegacyError(w, r, http.StatusUnauthorized,
			"missing or unknown token: send the authorizationToken from /account/authenticate in the Authorization header, without a prefix")
	case !now.Before(tok.expires):
		writeLegacyError(w, r, http.StatusUnauthorized, "token expired: authenticate again")
	case admin && !tok.admin:
		writeLegacyError(w, r, http.StatusForbidden, "integrations need an administrator token from /account/authenticateAdmin")
	default:
		return true
	}
	return false
}

// issueToken stores a new Legacy token and returns it with its expiry.
func (s *Server) issueToken(admin bool) (string, time.Time) {
	t := randomHex(20)
	s.mu.Lock()
	defer s.mu.Unlock()
	exp := s.cfg.clock.Now().Add(s.cfg.tokenTTL)
	s.tokens[t] = token{admin: admin, expires: exp}
	return t, exp
}

// notify wakes everything waiting for pending work or clock waits to change.
func (s *Server) notify() {
	s.mu.Lock()
	s.notifyLocked()
	s.mu.Unlock()
}

func (s *Server) notifyLocked() {
	close(s.changed)
	s.changed = make(chan struct{})
}

// newULID returns a fresh ULID stamped with the server's clock; s.mu must be held.
func (s *Server) newULID() string {
	return ulid.MustNew(ulid.Timestamp(s.cfg.clock.Now()), s.entropy).String()
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func newUUID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b)
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// Flush waits until every pending delivery, retry and alert has settled. With a [FakeClock], Flush
// advances the clock to each pending wait in turn, so backoff and fault delays pass at once. It
// returns the context's error if ctx ends first, and [ErrClosed] if the server closes meanwhile.
func (s *Server) Flush(ctx context.Context) error {
	fc, _ := s.cfg.clock.(*FakeClock)
	for {
		s.mu.Lock()
		pending, changed := s.pending, s.changed
		s.mu.Unlock()
		if pending == 0 {
			return nil
		}
		// Every job is idle on the fake clock: let time pass to the next wait.
		if fc != nil && fc.Pending() == pending && fc.advanceToNext() {
			continue
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return fmt.Errorf("socotratest: flush: %d deliveries still pending: %w", pending, ctx.Err())
		case <-s.life.Done():
			return ErrClosed
		}
	}
}
