package socotratest_test

import (
	"context"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/socotra-go/sdk/internal/coreapi"
	"github.com/socotra-go/sdk/internal/legacyapi"
	"github.com/socotra-go/sdk/socotra/socotratest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// start is a fixed time for fake clocks.
var start = time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)

// newServer starts a fake tenant that closes with the test.
func newServer(t *testing.T, opts ...socotratest.Option) *socotratest.Server {
	t.Helper()
	s := socotratest.NewServer(opts...)
	t.Cleanup(s.Close)
	return s
}

// coreClient returns a generated Core client authorised with the server's token.
func coreClient(t *testing.T, s *socotratest.Server) *coreapi.ClientWithResponses {
	t.Helper()
	c, err := coreapi.NewClientWithResponses(s.URL(), coreapi.WithRequestEditorFn(
		func(_ context.Context, r *http.Request) error {
			r.Header.Set("Authorization", "Bearer "+s.CoreToken())
			return nil
		}))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// legacyClient returns a generated Legacy client authorised with a fresh admin token.
func legacyClient(t *testing.T, s *socotratest.Server) *legacyapi.ClientWithResponses {
	t.Helper()
	anon, err := legacyapi.NewClientWithResponses(s.URL())
	if err != nil {
		t.Fatal(err)
	}
	user, pass := s.LegacyAdminCredentials()
	resp, err := anon.AuthenticateAdminWithResponse(t.Context(), legacyapi.AdminCredentials{Username: user, Password: pass})
	if err != nil || resp.JSON200 == nil {
		t.Fatalf("authenticateAdmin: %v %s", err, resp.Body)
	}
	tok := resp.JSON200.AuthorizationToken
	c, err := legacyapi.NewClientWithResponses(s.URL(), legacyapi.WithRequestEditorFn(
		func(_ context.Context, r *http.Request) error {
			r.Header.Set("Authorization", tok)
			return nil
		}))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// receiver is a webhook endpoint that records what it gets and answers with status(n) for the
// n-th request (1-based).
type receiver struct {
	*httptest.Server
	status func(n int) int
	n      atomic.Int64
	mu     sync.Mutex
	got    []received
}

type received struct {
	header http.Header
	body   []byte
}

func newReceiver(t *testing.T, status func(n int) int) *receiver {
	t.Helper()
	r := &receiver{status: status}
	r.Server = httptest.NewServer(http.HandlerFunc(r.serve))
	t.Cleanup(r.Close)
	return r
}

func newTLSReceiver(t *testing.T, status func(n int) int) *receiver {
	t.Helper()
	r := &receiver{status: status}
	r.Server = httptest.NewUnstartedServer(http.HandlerFunc(r.serve))
	r.Config.ErrorLog = log.New(io.Discard, "", 0) // refused handshakes are expected in tests
	r.StartTLS()
	t.Cleanup(r.Close)
	return r
}

func (r *receiver) serve(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	n := int(r.n.Add(1))
	r.mu.Lock()
	r.got = append(r.got, received{req.Header.Clone(), body})
	r.mu.Unlock()
	code := http.StatusOK
	if r.status != nil {
		code = r.status(n)
	}
	w.WriteHeader(code)
}

func (r *receiver) requests() []received {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]received(nil), r.got...)
}

func always(code int) func(int) int { return func(int) int { return code } }

// createCore registers a Core webhook and fails the test unless it succeeds.
func createCore(t *testing.T, c *coreapi.ClientWithResponses, s *socotratest.Server, req coreapi.CreateWebhookRequest) coreapi.WebhookResponse {
	t.Helper()
	resp, err := c.CreateWebhookWithResponse(t.Context(), s.TenantLocator(), req)
	if err != nil {
		t.Fatal(err)
	}
	if resp.JSON200 == nil {
		t.Fatalf("create webhook: %d %s", resp.StatusCode(), resp.Body)
	}
	return *resp.JSON200
}

func hookFor(url string, types ...string) coreapi.CreateWebhookRequest {
	return coreapi.CreateWebhookRequest{
		Name: "test", Enabled: true, EventTypes: types, Endpoint: coreapi.CreateEndpointRequest{Url: url},
	}
}

func flush(t *testing.T, s *socotratest.Server) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	if err := s.Flush(ctx); err != nil {
		t.Fatal(err)
	}
}

func ptr[T any](v T) *T { return &v }
