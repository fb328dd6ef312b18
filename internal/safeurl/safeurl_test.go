package safeurl

import (
	"strings"
	"testing"
)

// TestShowHidesCredentials checks that no form of URL shows a credential written in its userinfo, query
// or fragment.
func TestShowHidesCredentials(t *testing.T) {
	t.Parallel()
	for raw, want := range map[string]string{
		"https://hooks.example.com/h":                     "https://hooks.example.com/h",
		"https://bob:hunter2@hooks.example.com/h":         "https://[REDACTED]@hooks.example.com/h",
		"https://tok-hunter2@hooks.example.com/h":         "https://[REDACTED]@hooks.example.com/h",
		"https://hooks.example.com/h?token=hunter2":       "https://hooks.example.com/h?[REDACTED]",
		"https://hooks.example.com/h?hunter2":             "https://hooks.example.com/h?[REDACTED]",
		"https://hooks.example.com/h#hunter2":             "https://hooks.example.com/h#[REDACTED]",
		"https://b:hunter2@h.example/x?t=hunter2#hunter2": "https://[REDACTED]@h.example/x?[REDACTED]#[REDACTED]",
		"admin:hunter2@hooks.example.com":                 NotShown,
		"https:bob:hunter2@hooks.example.com":             NotShown,
		"bob:hunter2@hooks.example.com/p":                 NotShown,
		"https://bob:hunter2@x.example:port":              NotShown,
		"hooks.example.com/h?token=hunter2":               NotShown,
		"//bob:hunter2@":                                  NotShown,
		"ftp//hooks.example.com":                          "ftp//hooks.example.com",
		"https://hooks.example.com/%zz":                   "https://hooks.example.com/%zz",
	} {
		if got := String(raw); got != want {
			t.Errorf("String(%q) = %q, want %q", raw, got, want)
		}
		if got := String(raw); strings.Contains(got, "hunter2") {
			t.Errorf("String(%q) shows the credential: %s", raw, got)
		}
	}
}
