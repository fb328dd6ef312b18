package socotra

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/socotra-go/sdk/events"
)

// TestTokenCacheCallerGivesUp: a caller whose context ends stops waiting,
// but the renewal it started goes on and serves the next caller.
func TestTokenCacheCallerGivesUp(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		release := make(chan struct{})
		var fetches atomic.Int32
		c := &tokenCache{now: time.Now, fetch: func(ctx context.Context) (string, time.Time, error) {
			n := fetches.Add(1)
			<-release
			return fmt.Sprintf("tok-%d", n), time.Now().Add(time.Hour), nil
		}}
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan error)
		go func() {
			_, err := c.get(ctx)
			done <- err
		}()
		synctest.Wait()
		cancel()
		if err := <-done; !errors.Is(err, context.Canceled) {
			t.Fatalf("cancelled caller got %v", err)
		}
		close(release)
		synctest.Wait()
		tok, err := c.get(t.Context())
		if err != nil || tok != "tok-1" || fetches.Load() != 1 {
			t.Errorf("next caller got %q, %v after %d fetches; want the first renewal's token", tok, err, fetches.Load())
		}
	})
}

// TestTokenCacheFailureIsShared: every waiter gets the renewal's error, and
// the next call tries again.
func TestTokenCacheFailureIsShared(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		var fetches atomic.Int32
		release := make(chan struct{})
		c := &tokenCache{now: time.Now, fetch: func(ctx context.Context) (string, time.Time, error) {
			if fetches.Add(1) == 1 {
				<-release
				return "", time.Time{}, errors.New("authentication service down")
			}
			return "tok-ok", time.Time{}, nil
		}}
		errs := make(chan error, 3)
		for range 3 {
			go func() {
				_, err := c.get(t.Context())
				errs <- err
			}()
		}
		synctest.Wait()
		close(release)
		for range 3 {
			if err := <-errs; err == nil || err.Error() != "authentication service down" {
				t.Errorf("waiter got %v", err)
			}
		}
		if tok, err := c.get(t.Context()); tok != "tok-ok" || err != nil || fetches.Load() != 2 {
			t.Errorf("retry got %q, %v after %d fetches", tok, err, fetches.Load())
		}
	})
}

func TestTokenCacheRenewSkipsWhenAlreadyRenewed(t *testing.T) {
	t.Parallel()
	var fetches atomic.Int32
	c := &tokenCache{now: time.Now, fetch: func(context.Context) (string, time.Time, error) {
		return fmt.Sprintf("tok-%d", fetches.Add(1)), time.Now().Add(time.Hour), nil
	}}
	first, _ := c.get(t.Context())
	second, _ := c.renew(t.Context(), first)  // refused: renew
	third, _ := c.renew(t.Context(), first)   // a late 401 for the old token: keep the new one
	fourth, _ := c.renew(t.Context(), second) // refused again: renew
	if first != "tok-1" || second != "tok-2" || third != "tok-2" || fourth != "tok-3" {
		t.Errorf("tokens = %s %s %s %s", first, second, third, fourth)
	}
}

// TestLegacyIntegrationCreateRace: when another instance creates the
// integration between the list and the create, Register replaces it.
func TestLegacyIntegrationCreateRace(t *testing.T) {
	t.Parallel()
	rec := newRecorder(t)
	rec.Mux.Handle("GET /integrations", reply(200, `{"externalServiceIntegrations":[]}`))
	rec.Mux.Handle("POST /integrations", reply(409, `{"message":"integration exists"}`))
	rec.Mux.Handle("PUT /integrations/{name}", reply(200, `{"name":"r","url":"https://x.example/h"}`))
	rec.Mux.Handle("PUT /webhooks", reply(200, `{"name":"r","integrationName":"r"}`))
	c := newTestLegacy(t, rec, LegacyCredentials{Token: "tok-x1"})
	err := c.Registrar().Register(t.Context(), Registration{Name: "r", URL: "https://x.example/h", Events: []events.Name{"policy.create"}})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range rec.requests() {
		got = append(got, r.Method+" "+r.Path)
	}
	want := "GET /integrations,POST /integrations,PUT /integrations/r,PUT /webhooks"
	if strings.Join(got, ",") != want {
		t.Errorf("requests = %v, want %s", got, want)
	}
}

// TestShortLivedToken: a token that lives under two minutes is renewed at
// half its life, not on every call; one that arrives already expired is used
// until the server refuses it.
func TestShortLivedToken(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		life     time.Duration
		steps    []time.Duration // clock advance before each call
		wantRuns int32
	}{
		{"30 s token, calls within half its life", 30 * time.Second, []time.Duration{0, time.Second, 5 * time.Second, 8 * time.Second}, 1},
		{"30 s token, past half its life", 30 * time.Second, []time.Duration{0, time.Second, 15 * time.Second, time.Second}, 2},
		{"10 s token", 10 * time.Second, []time.Duration{0, 0, 0, 0, 0, 0}, 1},
		{"hour token keeps the minute", time.Hour, []time.Duration{0, 58 * time.Minute, time.Minute, 0}, 2},
		{"expired on arrival", -time.Second, []time.Duration{0, 0, 0, time.Hour}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
			var fetches atomic.Int32
			c := &tokenCache{now: func() time.Time { return now }, fetch: func(context.Context) (string, time.Time, error) {
				return fmt.Sprintf("tok-%d", fetches.Add(1)), now.Add(tt.life), nil
			}}
			for _, d := range tt.steps {
				now = now.Add(d)
				if _, err := c.get(t.Context()); err != nil {
					t.Fatal(err)
				}
			}
			if n := fetches.Load(); n != tt.wantRuns {
				t.Errorf("%d authentications for %d calls; want %d", n, len(tt.steps), tt.wantRuns)
			}
		})
	}
}

// Regression: the renewal runs on a goroutine of its own; a panicking token source crashed the process.
// Now every waiter gets an error, the panic value (which may hold a credential) is not repeated, and the
// next call tries again.
func TestTokenCacheFetchPanicIsRecovered(t *testing.T) {
	t.Parallel()
	var calls atomic.Int32
	c := &tokenCache{now: time.Now, fetch: func(context.Context) (string, time.Time, error) {
		if calls.Add(1) == 1 {
			panic("password=hunter2")
		}
		return "tok", time.Now().Add(time.Hour), nil
	}}
	_, err := c.get(t.Context())
	if err == nil || !strings.Contains(err.Error(), "panicked") || strings.Contains(err.Error(), "hunter2") {
		t.Fatalf("get = %v, want a panic error without the panic value", err)
	}
	if tok, err := c.get(t.Context()); tok != "tok" || err != nil {
		t.Errorf("next get = %q, %v; want a new renewal", tok, err)
	}
}
