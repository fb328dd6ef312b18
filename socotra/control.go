package socotra

import (
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"net/http"
	"net/netip"
	"net/url"
	"slices"
	"strings"
)

// ErrControlUnauthorized is what the authenticator of [WithControlSecret]
// returns for a request without the right secret.
var ErrControlUnauthorized = errors.New("socotra: control request not authorised")

// minControlSecret is the shortest secret [WithControlSecret] accepts.
const minControlSecret = 16

// WithControlAuth sets the function that authenticates every GET
// /_app/start and GET /_app/stop before anything else is read from the
// request: a non-nil error answers 401 (the error is logged at warn level,
// never sent, so keep credentials out of it).
// In self-hosted mode ([WithRegistrar]) the two endpoints are not served at
// all without an authenticator: they answer 404 and [NewRuntime] logs why,
// since whoever calls them chooses where the webhooks go. In Marketplace mode
// an authenticator is optional (the platform's calls carry no credential the
// SDK knows of) and, when given, applies too. See [WithControlSecret] for a
// ready one. The default is none.
func WithControlAuth(fn func(*http.Request) error) RuntimeOption {
	return runtimeOptionFunc(func(c *runtimeConfig) {
		c.controlAuths++
		c.controlAuth = fn
	})
}

// WithControlSecret is [WithControlAuth] with a shared secret: a control
// call must send "Authorization: Bearer <secret>", compared in constant time.
// The secret must be at least 16 bytes; generate a long random one. Only one
// of WithControlAuth and WithControlSecret may be given. The default is none.
func WithControlSecret(secret string) RuntimeOption {
	// Only a digest is kept, so no formatting of the Runtime can print the secret.
	want := sha256.Sum256([]byte(secret))
	short := len(secret) < minControlSecret
	return runtimeOptionFunc(func(c *runtimeConfig) {
		c.controlAuths++
		if short {
			c.controlErrs = append(c.controlErrs, fmt.Errorf(
				"socotra: WithControlSecret: the secret must be at least %d bytes; generate a long random one", minControlSecret))
		}
		c.controlAuth = func(r *http.Request) error {
			got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
			sum := sha256.Sum256([]byte(got))
			if subtle.ConstantTimeCompare(sum[:], want[:]) != 1 || !ok {
				return ErrControlUnauthorized
			}
			return nil
		}
	})
}

// WithPublicURL sets the public URLs a GET /_app/start or /_app/stop call
// may name in its route: any other route is refused with 400. In
// self-hosted mode served control endpoints need it. In Marketplace mode it
// is optional: without it a route passes when it is well formed (see
// [Runtime]), with it the route must also be one of urls. Each URL must be
// https (see [WithInsecureLoopbackRoutes]), without userinfo, query or
// fragment; a trailing '/' and the default port are ignored when comparing.
// The default is none.
func WithPublicURL(urls ...string) RuntimeOption {
	return runtimeOptionFunc(func(c *runtimeConfig) { c.publicURLs = append(c.publicURLs, urls...) })
}

// WithInsecureLoopbackRoutes lets routes and [WithPublicURL] name http URLs
// and loopback hosts (localhost, 127.0.0.0/8, ::1), for tests and local
// development on one machine. Never use it in production. The default is off:
// https and public hosts only.
func WithInsecureLoopbackRoutes() RuntimeOption {
	return runtimeOptionFunc(func(c *runtimeConfig) { c.loopback = true })
}

// validateControl checks the control options and normalises the public URLs.
func (c *runtimeConfig) validateControl() []error {
	errs := slices.Clone(c.controlErrs)
	if c.controlAuths > 1 {
		errs = append(errs, errors.New("socotra: pass one of WithControlAuth and WithControlSecret, not both or twice"))
	}
	if c.controlAuths > 0 && c.controlAuth == nil {
		errs = append(errs, errors.New("socotra: WithControlAuth(nil): pass a function that authenticates the request"))
	}
	norm := make([]string, 0, len(c.publicURLs))
	for _, u := range c.publicURLs {
		n, err := c.normRoute(u)
		if err != nil {
			errs = append(errs, fmt.Errorf("socotra: WithPublicURL: %w", err))
			continue
		}
		norm = append(norm, n)
	}
	c.publicURLs = norm
	if c.registrar != nil && c.controlAuth != nil && len(norm) == 0 && len(errs) == 0 {
		errs = append(errs, errors.New("socotra: WithControlAuth or WithControlSecret with WithRegistrar needs WithPublicURL: "+
			"the start call's route must match the app's configured public URL"))
	}
	return errs
}

// checkRoute checks the route of a control call: well formed, and one of the
// configured public URLs when there are any. It returns the normalised URL.
func (c *runtimeConfig) checkRoute(route string) (string, error) {
	n, err := c.normRoute(route)
	if err != nil {
		return "", err
	}
	if len(c.publicURLs) > 0 && !slices.Contains(c.publicURLs, n) {
		return "", errors.New("route is not the app's public URL (see WithPublicURL)")
	}
	return n, nil
}

// normRoute checks a public URL and returns it with a lowercase scheme and
// host, no default port and no trailing '/'. The platform may send a bare
// host, so https:// is assumed without a scheme (seed 000 and
// socotra/amp-blueprints lifecycle-events.sample/README.md: the query holds
// "an app instance public endpoint url"). Errors never repeat the URL, which
// may carry credentials.
func (c *runtimeConfig) normRoute(raw string) (string, error) {
	if strings.ContainsAny(raw, "\\ \t\r\n%") {
		return "", errors.New("route has spaces, backslashes or escapes; send a plain URL")
	}
	if !strings.Contains(raw, "://") {
		raw = "https://" + raw
	}
	u, err := url.Parse(raw)
	switch {
	case err != nil || u.Opaque != "" || u.Host == "":
		return "", errors.New("route is not an absolute URL")
	case u.User != nil || strings.Contains(u.Host, "@"):
		return "", errors.New("route must not carry userinfo (user:password@)")
	case u.RawQuery != "" || u.Fragment != "" || strings.ContainsAny(raw, "?#"):
		return "", errors.New("route must not have a query or fragment")
	case u.EscapedPath() != u.Path:
		return "", errors.New("route path has characters that need escaping; send a plain URL")
	}
	scheme := strings.ToLower(u.Scheme)
	host := strings.ToLower(u.Hostname())
	loop := isLoopback(host)
	switch {
	case scheme == "https":
	case scheme == "http" && c.loopback && loop:
	case scheme == "http" && c.loopback:
		return "", errors.New("route must be https (http only for loopback hosts)")
	default:
		return "", errors.New("route must be an https URL")
	}
	if loop && !c.loopback {
		return "", errors.New("route names a loopback host (allowed only with WithInsecureLoopbackRoutes)")
	}
	if !loop {
		if err := publicHost(host); err != nil {
			return "", err
		}
	}
	port := u.Port()
	if scheme == "https" && port == "443" || scheme == "http" && port == "80" {
		port = ""
	}
	hostport := u.Hostname()
	if strings.Contains(hostport, ":") {
		hostport = "[" + hostport + "]"
	}
	hostport = strings.ToLower(hostport)
	if port != "" {
		hostport += ":" + port
	}
	return scheme + "://" + hostport + strings.TrimRight(u.EscapedPath(), "/"), nil
}

// reservedPrefixes are ranges netip does not call private but that are not
// an app's public address: shared address space (100.100.100.200 is a cloud
// metadata address), IETF protocol assignments, benchmarking, the reserved
// class E, and IPv6 forms that embed an IPv4 address (NAT64, 6to4, Teredo).
var reservedPrefixes = []netip.Prefix{
	netip.MustParsePrefix("100.64.0.0/10"),
	netip.MustParsePrefix("192.0.0.0/24"),
	netip.MustParsePrefix("198.18.0.0/15"),
	netip.MustParsePrefix("240.0.0.0/4"),
	netip.MustParsePrefix("64:ff9b::/96"),
	netip.MustParsePrefix("64:ff9b:1::/48"),
	netip.MustParsePrefix("2002::/16"),
	netip.MustParsePrefix("2001::/32"),
}

func isLoopback(host string) bool {
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return true
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.Unmap().IsLoopback()
}

// publicHost refuses hosts that cannot be an app's public endpoint: IP
// addresses outside global unicast or in private ranges (link-local covers
// the 169.254.169.254 metadata service), and names that are not
// fully-qualified public DNS names (single labels, special-use suffixes, a
// numeric last label as in the integer form of an IPv4 address). Names are
// not resolved: one that resolves to a private address still passes.
func publicHost(host string) error {
	if ip, err := netip.ParseAddr(host); err == nil {
		ip = ip.Unmap()
		if !ip.IsGlobalUnicast() || ip.IsPrivate() || ip.Zone() != "" ||
			slices.ContainsFunc(reservedPrefixes, func(p netip.Prefix) bool { return p.Contains(ip) }) {
			return errors.New("route names a private, link-local or reserved address")
		}
		return nil
	}
	labels := strings.Split(strings.TrimSuffix(host, "."), ".")
	if len(labels) < 2 {
		return errors.New("route host is not a fully-qualified domain name")
	}
	for _, l := range labels {
		if l == "" || len(l) > 63 || strings.Trim(l, "abcdefghijklmnopqrstuvwxyz0123456789-") != "" {
			return errors.New("route host is not a valid domain name")
		}
	}
	tld := labels[len(labels)-1]
	if strings.Trim(tld, "abcdefghijklmnopqrstuvwxyz") != "" && !strings.HasPrefix(tld, "xn--") {
		return errors.New("route host is not a valid domain name")
	}
	switch tld {
	case "local", "internal", "localdomain", "home", "lan", "corp", "intranet", "private", "test", "invalid", "onion":
		return errors.New("route host is a private or special-use name")
	}
	if len(labels) >= 2 && labels[len(labels)-2] == "home" && tld == "arpa" {
		return errors.New("route host is a private or special-use name")
	}
	return nil
}
