package socotra

import (
	"net/url"
	"strings"
	"testing"

	"github.com/socotra-go/sdk/internal/legacyapi"
)

// FuzzPathInputs: every name needName accepts reaches exactly its own path
// segment once the generated client builds and resolves the URL (and, for a
// server that decodes %2F, still stays under /webhooks/ without a dot
// segment); every key checkSMPKey accepts stays under /state/ the same way.
func FuzzPathInputs(f *testing.F) {
	for _, s := range []string{"orders", "..", ".", "a/../b", "a/./b", "%2e%2e", `a\..`, "acme/app_x", "a..b", "..a",
		"inst/1", "01HZX3K7Q8R9S0T1V2W3X4Y5Z6", "ab+c/d==", "a%2F.."} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		checkKey(t, name)
		if needName("webhook name", name) != nil {
			return
		}
		req, err := legacyapi.NewGetWebhookRequest("https://api.example", name)
		if err != nil {
			return // a name the generated client refuses does not reach the network
		}
		if req.URL.Path != "/webhooks/"+name {
			t.Fatalf("name %q requests path %q (escaped %q)", name, req.URL.Path, req.URL.EscapedPath())
		}
		// A server that decodes %2F and then resolves dot segments.
		decoded, _ := url.PathUnescape(req.URL.EscapedPath())
		if ref, err := url.Parse("https://api.example" + decoded); err == nil {
			if got := (&url.URL{Scheme: "https", Host: "api.example"}).ResolveReference(ref).Path; !strings.HasPrefix(got, "/webhooks/") {
				t.Fatalf("name %q resolves to %q on a decoding server", name, got)
			}
		}
	})
}

// checkKey fails when key passes checkSMPKey but leaves its segment under
// /state/, as written or on a server that decodes %2F.
func checkKey(t *testing.T, key string) {
	t.Helper()
	if checkSMPKey(key) != nil {
		return
	}
	u, err := url.Parse("https://state.example/state/" + url.PathEscape(key))
	if err != nil || u.Path != "/state/"+key {
		t.Fatalf("key %q gives path %v (%v)", key, u, err)
	}
	decoded, _ := url.PathUnescape(u.EscapedPath())
	if ref, err := url.Parse(decoded); err == nil {
		if got := (&url.URL{Scheme: "https", Host: "state.example"}).ResolveReference(ref).Path; !strings.HasPrefix(got, "/state/") {
			t.Fatalf("key %q resolves to %q on a decoding server", key, got)
		}
	}
}
