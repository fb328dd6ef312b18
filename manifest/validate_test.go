package manifest

import (
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/socotra-go/sdk/events"
)

// problemKeys lists problems as "path: message" for comparison.
func problemKeys(ps []*Problem) []string {
	var out []string
	for _, p := range ps {
		out = append(out, p.Path+": "+p.Message)
	}
	return out
}

func TestValidateRules(t *testing.T) {
	t.Parallel()
	const head = `"name": "acme/app", "version": "1.0.0"`
	hook := func(entry string) string { return `{` + head + `, "socotra": {"webhooks": [` + entry + `]}}` }
	tests := []struct {
		name      string
		doc       string
		errs      []string // each a prefix of "path: message"
		warnings  []string
		errorHint string // a substring of the first error's hint
	}{
		{name: "minimal valid", doc: `{` + head + `}`},
		{name: "no webhooks section", doc: `{` + head + `, "socotra": {}}`},
		{name: "empty webhooks", doc: hook(``)},
		{name: "name missing", doc: `{"version": "1.0.0"}`, errs: []string{"name: name is missing"}},
		{name: "name without org", doc: `{"name": "app", "version": "1.0.0"}`, errs: []string{`name: "app" is not an org/app name`}},
		{name: "name with two slashes", doc: `{"name": "a/b/c", "version": "1.0.0"}`, errs: []string{`name: "a/b/c"`}},
		{name: "name with empty app", doc: `{"name": "acme/", "version": "1.0.0"}`, errs: []string{`name: "acme/"`}},
		{name: "name with space", doc: `{"name": "acme/my app", "version": "1.0.0"}`, errs: []string{`name: "acme/my app"`}},
		{name: "name dots dashes", doc: `{"name": "acme.io/claims_bridge-2", "version": "1.0.0"}`},
		{name: "version missing", doc: `{"name": "a/b"}`, errs: []string{"version: version is missing"}, errorHint: `"1.0.0"`},
		{name: "version two parts", doc: `{"name": "a/b", "version": "1.0"}`, errs: []string{`version: "1.0" is not a MAJOR.MINOR.PATCH`}, errorHint: "three numbers"},
		{name: "version v prefix", doc: `{"name": "a/b", "version": "v1.0.0"}`, errs: []string{`version: "v1.0.0"`}, errorHint: `drop the 'v': write "1.0.0"`},
		{name: "version leading zero", doc: `{"name": "a/b", "version": "1.02.0"}`, errs: []string{`version: "1.02.0"`}, errorHint: "leading zeros"},
		{name: "version prerelease", doc: `{"name": "a/b", "version": "1.0.0-beta"}`, errs: []string{`version: "1.0.0-beta"`}, errorHint: "pre-release"},
		{name: "version big numbers", doc: `{"name": "a/b", "version": "10.200.3000"}`},
		{name: "version wrong type", doc: `{"name": "a/b", "version": 1}`, errs: []string{"version: must be a string, found a number"}},
		{name: "platform connected", doc: `{` + head + `, "targetPlatform": "ConnectedCore"}`},
		{name: "platform enterprise", doc: `{` + head + `, "targetPlatform": "EnterpriseCore"}`},
		{name: "platform kernel", doc: `{` + head + `, "targetPlatform": "kernel"}`},
		{name: "core platform legacy name", doc: `{` + head + `, "targetPlatform": "EnterpriseCore", "socotra": {"webhooks": [{"path": "/a", "events": ["claim.create", "claim.fnol.create"]}]}}`,
			warnings: []string{`socotra.webhooks[0].events[0]: "claim.create" is sent only by Legacy (ConnectedCore), never by EnterpriseCore (Core)`}},
		{name: "kernel platform legacy name", doc: `{` + head + `, "targetPlatform": "kernel", "socotra": {"webhooks": [{"path": "/a", "events": ["invoice.issue"]}]}}`,
			warnings: []string{`socotra.webhooks[0].events[0]: "invoice.issue" is sent only by Legacy (ConnectedCore), never by kernel (Core)`}},
		{name: "default platform core name", doc: hook(`{"path": "/a", "events": ["claim.fnol.create", "claim.create"]}`),
			warnings: []string{`socotra.webhooks[0].events[0]: "claim.fnol.create" is sent only by Core (EnterpriseCore), never by ConnectedCore (Legacy)`}},
		{name: "both platforms name", doc: `{` + head + `, "targetPlatform": "EnterpriseCore", "socotra": {"webhooks": [{"path": "/a", "events": ["policy.quote.accept"]}]}}`},
		{name: "unknown platform any name", doc: `{` + head + `, "targetPlatform": "Cloud", "socotra": {"webhooks": [{"path": "/a", "events": ["claim.create", "claim.fnol.create"]}]}}`,
			errs: []string{`targetPlatform: unknown target platform "Cloud"`}},
		{name: "core typo suggests core", doc: `{` + head + `, "targetPlatform": "EnterpriseCore", "socotra": {"webhooks": [{"path": "/a", "events": ["policy.isue"]}]}}`,
			warnings: []string{`socotra.webhooks[0].events[0]: "policy.isue" is not an event name this SDK knows`}},
		{name: "platform empty", doc: `{` + head + `, "targetPlatform": ""}`, errs: []string{"targetPlatform: targetPlatform is empty"}},
		{name: "platform unknown", doc: `{` + head + `, "targetPlatform": "Cloud"}`, errs: []string{`targetPlatform: unknown target platform "Cloud"`}, errorHint: `"EnterpriseCore"`},
		{name: "platform case", doc: `{` + head + `, "targetPlatform": "enterprisecore"}`, errs: []string{`targetPlatform: unknown`}, errorHint: `did you mean "EnterpriseCore"?`},
		{name: "socotra not object", doc: `{` + head + `, "socotra": []}`, errs: []string{"socotra: must be an object, found an array"}},
		{name: "webhooks not array", doc: `{` + head + `, "socotra": {"webhooks": {}}}`, errs: []string{"socotra.webhooks: must be an array"}},
		{name: "webhook entry not object", doc: hook(`"/hooks"`), errs: []string{"socotra.webhooks: entry 0 must be an object"}},
		{name: "valid entry", doc: hook(`{"path": "/hooks/policy-events_1", "events": ["policy.create"]}`)},
		{name: "path missing", doc: hook(`{"events": ["policy.create"]}`), errs: []string{"socotra.webhooks[0].path: path is missing"}},
		{name: "path relative", doc: hook(`{"path": "hooks", "events": ["policy.create"]}`), errs: []string{`socotra.webhooks[0].path: "hooks" must start with '/'`}, errorHint: `write "/hooks"`},
		{name: "path is URL", doc: hook(`{"path": "https://x.example/in", "events": ["policy.create"]}`), errs: []string{`socotra.webhooks[0].path: "https://x.example/in" is a URL`}, errorHint: `write "/in"`},
		{name: "path reserved", doc: hook(`{"path": "/_app/hook", "events": ["policy.create"]}`), errs: []string{`socotra.webhooks[0].path: "/_app/hook" is under /_app/`}},
		{name: "path reserved root", doc: hook(`{"path": "/_app", "events": ["policy.create"]}`), errs: []string{`socotra.webhooks[0].path: "/_app" is under /_app/`}},
		{name: "path like reserved", doc: hook(`{"path": "/_apps", "events": ["policy.create"]}`)},
		{name: "path query", doc: hook(`{"path": "/in?x=1", "events": ["policy.create"]}`), errs: []string{`socotra.webhooks[0].path: "/in?x=1" has a query or fragment`}},
		{name: "path fragment", doc: hook(`{"path": "/in#top", "events": ["policy.create"]}`), errs: []string{`socotra.webhooks[0].path: "/in#top" has a query or fragment`}},
		{name: "path space", doc: hook(`{"path": "/my hook", "events": ["policy.create"]}`), errs: []string{`socotra.webhooks[0].path: "/my hook" contains spaces`}},
		{name: "path bad escape", doc: hook(`{"path": "/in%zz", "events": ["policy.create"]}`), errs: []string{`socotra.webhooks[0].path: "/in%zz" is not a valid URL path`}},
		{name: "path repeated", doc: hook(`{"path": "/a", "events": ["policy.create"]}, {"path": "/b", "events": ["policy.create"]}, {"path": "/a", "events": ["policy.issue"]}`),
			errs: []string{`socotra.webhooks[2].path: path "/a" is repeated (first in socotra.webhooks[0])`}},
		{name: "events missing", doc: hook(`{"path": "/a"}`), errs: []string{"socotra.webhooks[0].events: no events listed"}},
		{name: "events empty", doc: hook(`{"path": "/a", "events": []}`), errs: []string{"socotra.webhooks[0].events: no events listed"}},
		{name: "events string", doc: hook(`{"path": "/a", "events": "policy.create"}`), errs: []string{"socotra.webhooks[0].events: must be an array"}},
		{name: "event number", doc: hook(`{"path": "/a", "events": [1]}`), errs: []string{"socotra.webhooks[0].events: element 0 must be a string"}},
		{name: "event duplicate", doc: hook(`{"path": "/a", "events": ["policy.create", "policy.issue", "policy.create"]}`),
			errs: []string{`socotra.webhooks[0].events[2]: event "policy.create" is listed twice (first at socotra.webhooks[0].events[0])`}},
		{name: "event malformed", doc: hook(`{"path": "/a", "events": ["policy create"]}`), errs: []string{`socotra.webhooks[0].events[0]: "policy create": character ' '`}},
		{name: "event empty", doc: hook(`{"path": "/a", "events": [""]}`), errs: []string{`socotra.webhooks[0].events[0]: "": empty`}},
		{name: "event unknown", doc: hook(`{"path": "/a", "events": ["acme.custom.event"]}`), warnings: []string{`socotra.webhooks[0].events[0]: "acme.custom.event" is not an event name this SDK knows`}},
		{name: "event typo", doc: hook(`{"path": "/a", "events": ["policy.quote.acept"]}`), warnings: []string{`socotra.webhooks[0].events[0]: "policy.quote.acept"`}},
		{name: "entry unknown key", doc: hook(`{"path": "/a", "events": ["policy.create"], "secret": "x"}`), warnings: []string{`socotra.webhooks[0].secret: unknown key "secret" in a webhook entry`}},
		{name: "entry misspelt key", doc: hook(`{"path": "/a", "events": ["policy.create"], "Event": []}`), warnings: []string{`socotra.webhooks[0].Event: unknown key "Event"`}},
		{name: "top misspelt key", doc: `{` + head + `, "target_platform": "EnterpriseCore"}`, warnings: []string{`target_platform: unknown key "target_platform" is kept but not used`}},
		{name: "socotra misspelt key", doc: `{` + head + `, "socotra": {"webHooks": []}}`, warnings: []string{`socotra.webHooks: unknown key`}},
		{name: "other sections quiet", doc: `{` + head + `, "env": {}, "app": {"fields": []}, "socotra": {"fields": [], "autofill": [], "externalRaters": [], "lifecycle": ["start"]}, "performancePlan": {}, "changeLogFile": "c", "releaseNotesFile": "r"}`},
		{name: "odd key path", doc: `{` + head + `, "socotra": {"webhooks": [{"path": "/a", "events": ["policy.create"], "x y": 1}]}}`, warnings: []string{`socotra.webhooks[0]["x y"]: unknown key`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			m, err := Parse([]byte(tt.doc))
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			errs, warns := m.Check()
			matchPrefixes(t, "errors", problemKeys(errs), tt.errs)
			matchPrefixes(t, "warnings", problemKeys(warns), tt.warnings)
			if tt.errorHint != "" && (len(errs) == 0 || !strings.Contains(errs[0].Hint, tt.errorHint)) {
				t.Errorf("first error %v, want hint containing %q", errs, tt.errorHint)
			}
			for _, p := range append(errs, warns...) {
				if p.Line < 1 || p.Column < 1 {
					t.Errorf("problem %q has no location", p.Error())
				}
			}
			if err := m.Validate(); (err != nil) != (len(tt.errs) > 0) {
				t.Errorf("Validate() = %v", err)
			}
			if err := m.ValidateStrict(); (err != nil) != (len(tt.errs)+len(tt.warnings) > 0) {
				t.Errorf("ValidateStrict() = %v", err)
			}
			if len(m.Warnings()) != len(warns) {
				t.Errorf("Warnings() = %d, Check() warnings = %d", len(m.Warnings()), len(warns))
			}
		})
	}
}

func matchPrefixes(t *testing.T, what string, got, want []string) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%s = %q, want prefixes %q", what, got, want)
		return
	}
	for i := range want {
		if !strings.HasPrefix(got[i], want[i]) {
			t.Errorf("%s[%d] = %q, want prefix %q", what, i, got[i], want[i])
		}
	}
}

// TestValidateJoinsEverything checks Validate returns every problem, each
// usable with errors.As and located.
func TestValidateJoinsEverything(t *testing.T) {
	t.Parallel()
	m, err := Parse([]byte("{\n\"name\": \"x\",\n\"version\": \"1\",\n\"socotra\": {\"webhooks\": [{\"path\": \"a\", \"events\": []}]}}"))
	if err != nil {
		t.Fatal(err)
	}
	err = m.Validate()
	joined, ok := err.(interface{ Unwrap() []error })
	if !ok {
		t.Fatalf("Validate = %T %v, want joined errors", err, err)
	}
	var lines []int
	for _, e := range joined.Unwrap() {
		var p *Problem
		if !errors.As(e, &p) {
			t.Fatalf("%v is not a *Problem", e)
		}
		lines = append(lines, p.Line)
	}
	if want := []int{2, 3, 4, 4}; !slices.Equal(lines, want) {
		t.Errorf("problem lines = %v, want %v (%v)", lines, want, err)
	}
}

func TestProblemError(t *testing.T) {
	t.Parallel()
	p := &Problem{Path: "version", File: "app.json", Line: 3, Column: 14, Message: `"1" is not a MAJOR.MINOR.PATCH version`, Hint: `use "1.0.0"`}
	if got, want := p.Error(), `manifest: app.json, line 3, column 14: version: "1" is not a MAJOR.MINOR.PATCH version; use "1.0.0"`; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	p.Warning, p.Line, p.Hint = true, 0, ""
	if got, want := p.Error(), `manifest: app.json: warning: version: "1" is not a MAJOR.MINOR.PATCH version`; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
}

// TestTargetPlatformEvents pins the table in TargetPlatform's doc comment.
func TestTargetPlatformEvents(t *testing.T) {
	t.Parallel()
	tests := []struct {
		tp   TargetPlatform
		want events.Platform
	}{
		{"", events.Legacy},
		{ConnectedCore, events.Legacy},
		{EnterpriseCore, events.Core},
		{Kernel, events.Core},
		{"Cloud", 0},
		{"enterprisecore", 0},
	}
	for _, tt := range tests {
		if got := tt.tp.Events(); got != tt.want {
			t.Errorf("TargetPlatform(%q).Events() = %v, want %v", tt.tp, got, tt.want)
		}
	}
}

// TestPlatformHints: hints stay on the manifest's platform, so a Core typo
// of a Legacy-only name is not "corrected" to it, and a foreign name's hint
// names the nearest name of the manifest's platform.
func TestPlatformHints(t *testing.T) {
	t.Parallel()
	tests := []struct {
		platform, event string
		hint            string // substring of the warning's hint
		notHint         string
	}{
		{`"EnterpriseCore"`, "policy.isue", "check the spelling", "policy.issue"},
		{`"ConnectedCore"`, "policy.isue", `did you mean "policy.issue"?`, ""},
		{`"EnterpriseCore"`, "claim.create", `the nearest EnterpriseCore (Core) name is "claim.fnol.create"`, ""},
		{`"ConnectedCore"`, "claim.fnol.create", `the nearest ConnectedCore (Legacy) name is "claim.create"`, ""},
	}
	for _, tt := range tests {
		t.Run(tt.platform+"/"+tt.event, func(t *testing.T) {
			t.Parallel()
			m, err := Parse([]byte(`{"name": "a/b", "version": "1.0.0", "targetPlatform": ` + tt.platform +
				`, "socotra": {"webhooks": [{"path": "/in", "events": ["` + tt.event + `"]}]}}`))
			if err != nil {
				t.Fatal(err)
			}
			w := m.Warnings()
			if len(w) != 1 {
				t.Fatalf("warnings = %v, want one", w)
			}
			if !strings.Contains(w[0].Hint, tt.hint) || tt.notHint != "" && strings.Contains(w[0].Hint, tt.notHint) {
				t.Errorf("hint %q; want it to contain %q and not %q", w[0].Hint, tt.hint, tt.notHint)
			}
		})
	}
}

// TestSocotraSamples: every sample manifest of Socotra's amp-blueprints
// repository (copies in testdata/socotra-samples) validates.
func TestSocotraSamples(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob("testdata/socotra-samples/*.json")
	if err != nil || len(files) < 6 {
		t.Fatalf("found %d sample manifests (%v), want 6", len(files), err)
	}
	for _, f := range files {
		m, err := Load(f)
		if err != nil {
			t.Errorf("Load(%s): %v", f, err)
			continue
		}
		if err := m.Validate(); err != nil {
			t.Errorf("%s: %v", f, err)
		}
	}
}
