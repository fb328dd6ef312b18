package socotra

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// HTTPClient returns an *http.Client for the tenant's APIs that this package does not wrap (fetching the
// policy or claim an event names, say). Each request gets what the client's own calls get: the Personal
// Access Token in the Authorization header (see [WithCoreAuthScheme]), the user agent, and the same retry rules
// (see [CoreClient]). Unlike the client's own calls, every answer is returned as it is, whatever its status:
// check resp.StatusCode.
//
// A request URL without a host, such as "/policy/{tenantLocator}/policies/{locator}", is resolved against
// the base URL given to [NewCoreClient]. A request to any other host is refused with an error, so the token
// never leaves for another server, and redirects follow the rules of the client's own calls (the token is
// never carried to another origin). The client is safe for concurrent use.
func (c *CoreClient) HTTPClient() *http.Client { return c.httpc }

// HTTPClient returns an *http.Client for the Legacy APIs that this package does not wrap, such as GET
// /policy/{locator} and GET /claim/{locator} (as Socotra's public Python client calls them, socotra/public
// socotratools/client.py). Each request is authorised with the user's token (authenticating first when
// there is none, and renewing it once when the API answers 401), carries the user agent and follows the
// same retry rules as the client's own calls. Every answer is returned as it is, whatever its status: check
// resp.StatusCode.
//
// A request URL without a host, such as "/policy/100000001", is resolved against the base URL given to
// [NewLegacyClient]. A request to any other host is refused with an error, so the token never leaves for
// another server, and redirects follow the rules of the client's own calls (the token is never carried to
// another origin). The client is safe for concurrent use.
func (c *LegacyClient) HTTPClient() *http.Client { return c.httpc }

// newHTTPClient returns the client HTTPClient hands out: t's authorisation and retries, for base's host
// only.
func newHTTPClient(t *transport, base string) *http.Client {
	u, _ := url.Parse(base) // checked by checkBaseURL
	return &http.Client{
		Transport:     &tenantTransport{t: t, base: u},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// tenantTransport is the http.RoundTripper of HTTPClient.
type tenantTransport struct {
	t    *transport
	base *url.URL
}

// RoundTrip sends req through the client's transport when it is for the tenant's host.
func (tt *tenantTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.URL.Host == "" {
		r := req.Clone(req.Context())
		u := *tt.base
		// Join the escaped forms, so that an escaped '/' in a segment stays one segment.
		u.Path = strings.TrimSuffix(tt.base.Path, "/") + "/" + strings.TrimPrefix(req.URL.Path, "/")
		u.RawPath = strings.TrimSuffix(tt.base.EscapedPath(), "/") + "/" + strings.TrimPrefix(req.URL.EscapedPath(), "/")
		u.RawQuery = req.URL.RawQuery
		r.URL, r.Host = &u, ""
		req = r
	}
	if !strings.EqualFold(req.URL.Scheme, tt.base.Scheme) || !strings.EqualFold(req.URL.Host, tt.base.Host) {
		if req.Body != nil {
			req.Body.Close()
		}
		return nil, fmt.Errorf("socotra: HTTPClient sends the tenant's credentials only to %s://%s, not to %s://%s; use another client for other hosts",
			tt.base.Scheme, tt.base.Host, req.URL.Scheme, req.URL.Host)
	}
	return tt.t.exchange(req)
}
