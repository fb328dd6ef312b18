// Package safeurl shows URLs in messages, logs and printed values without the parts that may carry a
// credential, so that every package prints them one way.
package safeurl

import (
	"net/url"
	"strings"
)

// Marker replaces each hidden part.
const Marker = "[REDACTED]"

// NotShown is what [Show] returns for a URL it cannot take apart and that may hold a credential.
const NotShown = "(not shown: it may hold a credential)"

// Show returns raw with its userinfo (a password, or a token as user name), its query and its fragment
// each replaced by [Marker], and true. A URL that does not parse as scheme://host... is returned as written
// when it holds none of '@', '?' and '#', and as [NotShown] otherwise; the bool is then false.
func Show(raw string) (string, bool) {
	u, err := url.Parse(raw)
	if err != nil || u.Opaque != "" || u.Host == "" {
		if strings.ContainsAny(raw, "@?#") {
			return NotShown, false
		}
		return raw, false
	}
	v := *u
	v.User, v.RawQuery, v.ForceQuery, v.Fragment, v.RawFragment = nil, "", false, "", ""
	s := v.String()
	if u.User != nil {
		s = strings.Replace(s, "://", "://"+Marker+"@", 1)
	}
	if u.RawQuery != "" || u.ForceQuery {
		s += "?" + Marker
	}
	if u.Fragment != "" || u.RawFragment != "" {
		s += "#" + Marker
	}
	return s, true
}

// String is [Show] without the bool.
func String(raw string) string {
	s, _ := Show(raw)
	return s
}
