package socotra_test

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/socotra-go/sdk/socotra"
)

// TestMarketplaceKeys refuses keys that could reach another state API path
// before sending anything, and keeps a key the state API echoes out of the
// error's every member.
func TestMarketplaceKeys(t *testing.T) {
	t.Parallel()
	var fetches atomic.Int32
	var echo atomic.Bool
	state := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fetches.Add(1)
		key := strings.TrimPrefix(r.URL.Path, "/state/")
		if echo.Load() {
			w.WriteHeader(http.StatusNotFound)
			fmt.Fprintf(w, `{"message":"no installation %s","apiErrorCode":"%s","fieldErrors":[{"field":"key","message":"%s"}]}`, key, key, key)
			return
		}
		http.NotFound(w, r)
	}))
	t.Cleanup(state.Close)
	m, err := socotra.NewMarketplace(state.URL)
	if err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{"..", ".", "a/../b", "a/./b", "../state/x", "%2e%2e", "a b", "a\\b", "k\x00", "/abs", strings.Repeat("k", 257)} {
		if _, err := m.State(t.Context(), smpRequest(key)); !errors.Is(err, socotra.ErrBadSMPKey) {
			t.Errorf("key %q: err = %v, want ErrBadSMPKey", key, err)
		}
	}
	if n := fetches.Load(); n != 0 {
		t.Errorf("%d malformed keys reached the state API", n)
	}
	for _, key := range []string{"01HZX3K7Q8R9S0T1V2W3X4Y5Z6", "6f1c2d3e-0a1b-4c5d-8e9f-001122334455", "eyJhbGciOi.eyJzdWIi.c2ln", "ab+c/d=="} {
		if _, err := m.State(t.Context(), smpRequest(key)); !errors.Is(err, socotra.ErrNotFound) {
			t.Errorf("key %q: err = %v, want it sent and ErrNotFound", key, err)
		}
	}
	echo.Store(true)
	const key = "inst-SECRET-4711"
	_, err = m.State(t.Context(), smpRequest(key))
	var ae *socotra.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("err = %v, want an APIError", err)
	}
	if all := fmt.Sprintf("%v|%+v|%s|%s|%s|%v", err, ae, ae.Message, ae.Body, ae.Code, ae.FieldErrors); strings.Contains(all, key) {
		t.Errorf("the key survived: %s", all)
	}
}
