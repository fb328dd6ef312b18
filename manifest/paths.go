package manifest

import (
	"net/url"
	"path"
	"strings"
)

// dotSegment reports whether p, as written or percent-decoded, has a "." or
// ".." segment: clients and proxies resolve those, so the path the platform
// calls is not the one written (and may land on a reserved route).
func dotSegment(p string) bool {
	for _, form := range pathForms(p) {
		for seg := range strings.SplitSeq(form, "/") {
			if seg == "." || seg == ".." {
				return true
			}
		}
	}
	return false
}

// reservedRoute returns the normalised form of p when p, percent-decoded and
// cleaned (repeated slashes merged, dot segments resolved), is /_app or under
// /_app/, the prefix reserved for the Marketplace runtime (reference facts
// §4, seed 000): "/%5Fapp/start" and "//_app/start" are served as
// "/_app/start" by the runtime or by a proxy before it.
func reservedRoute(p string) (string, bool) {
	for _, form := range pathForms(p) {
		c := path.Clean(form)
		if c == "/_app" || strings.HasPrefix(c, "/_app/") {
			return c, true
		}
	}
	return "", false
}

// pathForms is p as written and, when it decodes, percent-decoded.
func pathForms(p string) []string {
	forms := []string{p}
	if d, err := url.PathUnescape(p); err == nil && d != p {
		forms = append(forms, d)
	}
	return forms
}
