package backfill_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/socotra-go/sdk/events"
	"github.com/socotra-go/sdk/socotra"
	"github.com/socotra-go/sdk/webhooks/backfill"
)

// A Legacy diverted record without an event id cannot be deduplicated against live deliveries, and one
// without a type cannot be routed: each fails with a message that says what is wrong, and stays in place.
func TestLegacyDivertedRecordsMissingMembersFail(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ member, want, advice string }{
		{"eventId", "has no event id", "ResendDivertedEvent"},
		{"eventType", "has no type", "a delivery always names one"},
	} {
		t.Run(tc.member, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			f.divertAll(t, events.Legacy, 2)
			lc := legacyClientWithout(t, f, tc.member)
			b, _ := backfill.New(f.h)
			rep, err := b.LegacyDiverted(t.Context(), lc, f.legacyHook)
			if rep.Failed != 2 || rep.Deleted != 0 || err == nil ||
				!strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), tc.advice) {
				t.Errorf("%s, %v; want both records failed: %s (%s)", rep, err, tc.want, tc.advice)
			}
			if n := len(f.srv.DivertedEvents(f.legacyHook)); n != 2 {
				t.Errorf("%d diverted records left, want 2", n)
			}
		})
	}
}

// legacyClientWithout returns a Legacy client of f's tenant as a tenant version that leaves member out of
// each record of the diverted list would answer.
func legacyClientWithout(t *testing.T, f *fixture, member string) *socotra.LegacyClient {
	t.Helper()
	target, _ := url.Parse(f.srv.URL())
	proxy := httputil.NewSingleHostReverseProxy(target)
	proxy.ModifyResponse = func(resp *http.Response) error {
		if !strings.HasSuffix(resp.Request.URL.Path, "/diverted") {
			return nil
		}
		var page map[string]any
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err := json.Unmarshal(body, &page); err != nil {
			return err
		}
		evs, _ := page["events"].([]any)
		for _, e := range evs {
			delete(e.(map[string]any), member)
		}
		body, _ = json.Marshal(page)
		resp.Body = io.NopCloser(bytes.NewReader(body))
		resp.ContentLength = int64(len(body))
		resp.Header.Set("Content-Length", strconv.Itoa(len(body)))
		return nil
	}
	ps := httptest.NewServer(proxy)
	t.Cleanup(ps.Close)
	user, pass, host := f.srv.LegacyCredentials()
	lc, err := socotra.NewLegacyClient(ps.URL, socotra.LegacyCredentials{Username: user, Password: pass, HostName: host})
	if err != nil {
		t.Fatal(err)
	}
	return lc
}
