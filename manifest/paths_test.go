package manifest

import (
	"strings"
	"testing"
)

// TestReservedPathForms refuses manifest paths that reach /_app/ or another
// path once percent-decoded or normalised, and keeps honest paths valid.
func TestReservedPathForms(t *testing.T) {
	t.Parallel()
	tests := []struct {
		path string
		want string // "" for valid; else a substring of the error
	}{
		{"/%5Fapp/start", `is read as "/_app/start"`},
		{"/%5fapp/stop", `is read as "/_app/stop"`},
		{"/_app%2Fstart", `is read as "/_app/start"`},
		{"//_app/start", `is read as "/_app/start"`},
		{"/%5Fapp", `is read as "/_app"`},
		{"/hooks/../_app/start", "dot segment"},
		{"/hooks/%2e%2e/_app/start", "dot segment"},
		{"/./hooks", "dot segment"},
		{"/hooks/..", "dot segment"},
		{"/hooks/.%2E", "dot segment"},
		{"/_app/start", "reserved"},
		{"/hooks", ""},
		{"/hooks/_app/start", ""},
		{"/hooks.v2/..x", ""},
		{"/%5Fapplication", ""},
		{"/a%20b", ""},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			t.Parallel()
			m, err := Parse([]byte(`{"name": "acme/app", "version": "1.0.0", "socotra": {"webhooks": [{"path": "` + tt.path + `", "events": ["policy.create"]}]}}`))
			if err != nil {
				t.Fatal(err)
			}
			err = m.Validate()
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("Validate: %v; want valid", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Errorf("Validate: %v; want an error containing %q", err, tt.want)
			}
		})
	}
}
