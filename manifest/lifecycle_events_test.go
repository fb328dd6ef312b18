package manifest

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
)

// sampleLifecycle has the shape of Socotra's own sample manifest
// (socotra/amp-blueprints, lifecycle-events.sample/socotra-app.json, on the
// main and webhook-kernel branches).
const sampleLifecycle = `{
  "name": "socotra/amp-lifecycle-tester",
  "version": "0.0.4",
  "socotra": {
    "lifecycle": [
      "start",
      "stop"
    ]
  }
}`

func TestLifecycleParse(t *testing.T) {
	t.Parallel()
	m, err := Parse([]byte(sampleLifecycle))
	if err != nil {
		t.Fatal(err)
	}
	if err := m.ValidateStrict(); err != nil {
		t.Errorf("Socotra's sample fails strict validation: %v", err)
	}
	if !slices.Equal(m.Socotra.Lifecycle, []LifecycleEvent{LifecycleStart, LifecycleStop}) {
		t.Errorf("Lifecycle = %q", m.Socotra.Lifecycle)
	}
	if !m.Socotra.Declares(LifecycleStart) || !m.Socotra.Declares(LifecycleStop) {
		t.Error("Declares(start/stop) = false")
	}
	out, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(out), `"lifecycle":["start","stop"]`) {
		t.Errorf("json.Marshal dropped lifecycle:\n%s", out)
	}
	// Set in code on a manifest that had none.
	m2 := &Manifest{Name: "acme/app", Version: "1.0.0"}
	m2.Socotra.Lifecycle = []LifecycleEvent{LifecycleStart}
	out, err = json.Marshal(m2)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(out), `"lifecycle":["start"]`) {
		t.Errorf("json.Marshal of a lifecycle set in code:\n%s", out)
	}
}

func TestLifecycleValidate(t *testing.T) {
	t.Parallel()
	const head = `"name": "acme/app", "version": "1.0.0"`
	doc := func(lc string) string { return `{` + head + `, "socotra": {"lifecycle": ` + lc + `}}` }
	tests := []struct {
		name     string
		doc      string
		errs     []string
		warnings []string
		hint     string
	}{
		{name: "start only", doc: doc(`["start"]`)},
		{name: "empty", doc: doc(`[]`)},
		{name: "not an array", doc: doc(`"start"`), errs: []string{`socotra.lifecycle: must be an array such as ["start", "stop"], found a string`}},
		{name: "not strings", doc: doc(`["start", 1]`), errs: []string{"socotra.lifecycle: element 1 must be a string, found a number"}},
		{name: "misspelt", doc: doc(`["Start"]`), warnings: []string{`socotra.lifecycle[0]: unknown lifecycle "Start"`}, hint: `did you mean "start"?`},
		{name: "unknown", doc: doc(`["upgrade"]`), warnings: []string{`socotra.lifecycle[0]: unknown lifecycle "upgrade"`}, hint: `"start" (GET /_app/start)`},
		{name: "repeated", doc: doc(`["stop", "stop"]`), warnings: []string{`socotra.lifecycle[1]: lifecycle "stop" is listed twice`}},
		{name: "misspelt key", doc: `{` + head + `, "socotra": {"lifecycel": ["start"]}}`, warnings: []string{`socotra.lifecycel`}},
		{name: "with bad webhooks", doc: `{` + head + `, "socotra": {"webhooks": 1, "lifecycle": ["strat"]}}`,
			errs: []string{"socotra.webhooks: must be an array"}, warnings: []string{`socotra.lifecycle[0]: unknown lifecycle "strat"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			m, err := Parse([]byte(tt.doc))
			if err != nil {
				t.Fatal(err)
			}
			errs, warns := m.Check()
			match := func(kind string, got []*Problem, want []string) {
				keys := problemKeys(got)
				if len(keys) != len(want) {
					t.Errorf("%s = %q, want %q", kind, keys, want)
					return
				}
				for i, w := range want {
					if !strings.HasPrefix(keys[i], w) {
						t.Errorf("%s[%d] = %q, want prefix %q", kind, i, keys[i], w)
					}
				}
			}
			match("errors", errs, tt.errs)
			match("warnings", warns, tt.warnings)
			if tt.hint != "" && (len(warns) == 0 || !strings.Contains(warns[0].Hint, tt.hint)) {
				t.Errorf("warnings %v: want a hint with %q", problemKeys(warns), tt.hint)
			}
		})
	}
}
