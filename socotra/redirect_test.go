package socotra

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
)

// TestRedirectPolicy: a redirect to another origin (another port of the same
// host included) never carries the Authorization header or a request body;
// a redirect within the origin keeps working as before.
func TestRedirectPolicy(t *testing.T) {
	t.Parallel()
	var otherAuth, otherBodies atomic.Int32
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "" {
			otherAuth.Add(1)
		}
		if r.ContentLength > 0 {
			otherBodies.Add(1)
		}
		reply(200, `{"locator":"`+whLoc+`","name":"w","authorizationToken":"t2"}`)(w, r)
	}))
	t.Cleanup(other.Close)

	var sameAuth atomic.Value
	rec := newRecorder(t)
	rec.Mux.HandleFunc("GET /event/{t}/webhooks/{loc}", func(w http.ResponseWriter, r *http.Request) {
		target := other.URL + r.URL.Path
		if r.URL.Query().Get("here") != "" || strings.HasSuffix(r.URL.Path, "/same") {
			target = "/moved"
		}
		http.Redirect(w, r, target, http.StatusFound)
	})
	rec.Mux.HandleFunc("GET /moved", func(w http.ResponseWriter, r *http.Request) {
		sameAuth.Store(r.Header.Get("Authorization"))
		reply(200, `{"locator":"`+whLoc+`","name":"w"}`)(w, r)
	})
	rec.Mux.HandleFunc("POST /account/authenticate", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, other.URL+"/account/authenticate", http.StatusTemporaryRedirect)
	})
	if !strings.HasPrefix(other.URL, "http://127.0.0.1:") || !strings.HasPrefix(rec.URL, "http://127.0.0.1:") {
		t.Fatalf("want two ports of one host: %s %s", other.URL, rec.URL)
	}

	core := newTestCore(t, rec)
	if _, err := core.Webhook(t.Context(), whLoc); err != nil {
		t.Fatalf("redirected GET: %v", err)
	}
	if n := otherAuth.Load(); n != 0 {
		t.Errorf("the other origin (another port) received Authorization %d times", n)
	}

	// Within the origin the header follows, as before.
	if _, err := core.api.GetWebhook(t.Context(), testTenant, "same"); err != nil {
		t.Fatalf("same-origin redirect: %v", err)
	}
	if got, _ := sameAuth.Load().(string); got != "Bearer "+testToken {
		t.Errorf("same-origin redirect carried Authorization %q; want the token", got)
	}

	// A 307 after POST /account/authenticate would resend the password.
	legacy, err := NewLegacyClient(rec.URL, LegacyCredentials{Username: "u", Password: leakPass, HostName: "h"}, WithRetry(3, 0, 0))
	if err != nil {
		t.Fatal(err)
	}
	_, err = listAll(legacy.Webhooks(t.Context()))
	if !errors.Is(err, errCrossOriginBody) || strings.Contains(err.Error(), leakPass) {
		t.Errorf("err = %v; want the cross-origin body refusal", err)
	}
	if n := otherBodies.Load(); n != 0 {
		t.Errorf("the other origin received %d request bodies", n)
	}
	if n := len(rec.requests()); n == 0 || strings.Count(requestsString(rec), "/account/authenticate") != 1 {
		t.Errorf("requests: %s; want one authentication attempt, not retried", requestsString(rec))
	}
}

func requestsString(rec *recorder) string {
	var b strings.Builder
	for _, r := range rec.requests() {
		b.WriteString(r.Method + " " + r.Path + "\n")
	}
	return b.String()
}
