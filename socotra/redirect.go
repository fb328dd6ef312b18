package socotra

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// errCrossOriginBody is returned for a redirect that would send a request
// body (such as the Legacy credentials) to another origin.
var errCrossOriginBody = errors.New("socotra: refusing to resend the request body to another origin after a redirect")

// withRedirectPolicy returns a copy of hc (hc itself is not changed) whose
// redirects never carry the Authorization header to another origin (scheme,
// host and port: net/http alone forwards it to the same host on another port
// and to subdomains) and never resend a request body there (a 307 or 308
// after the Legacy authentication would post the password). hc's own
// CheckRedirect, or the standard limit of 10 redirects, still applies.
func withRedirectPolicy(hc *http.Client) *http.Client {
	c := *hc
	next := hc.CheckRedirect
	c.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if len(via) > 0 && !sameOrigin(req.URL, via[0].URL) {
			if req.Body != nil && req.Body != http.NoBody {
				return fmt.Errorf("%w (%s %s)", errCrossOriginBody, req.Method, origin(req.URL))
			}
			req.Header.Del("Authorization")
			req.Header.Del("Cookie")
		}
		if next != nil {
			return next(req, via)
		}
		if len(via) >= 10 {
			return errors.New("stopped after 10 redirects")
		}
		return nil
	}
	return &c
}

// sameOrigin compares scheme, host and port (the default port made explicit).
func sameOrigin(a, b *url.URL) bool { return origin(a) == origin(b) }

func origin(u *url.URL) string {
	port := u.Port()
	if port == "" {
		switch strings.ToLower(u.Scheme) {
		case "https":
			port = "443"
		case "http":
			port = "80"
		}
	}
	return strings.ToLower(u.Scheme) + "://" + strings.ToLower(u.Hostname()) + ":" + port
}
