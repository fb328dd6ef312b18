package main

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

const data = "../../testdata/"

func TestRun(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		args   []string
		stdin  string
		code   int
		golden string // file in testdata holding the expected stdout
		stdout string // expected stdout when golden is empty
		stderr string // substring of stderr
	}{
		{name: "valid", args: []string{data + "valid/seed000-corrected.json"}, code: 0},
		{name: "seed example", args: []string{data + "syntax/seed000-example.json"}, code: 1, golden: "seed.golden"},
		{name: "errors and warnings", args: []string{data + "invalid/everything.json", data + "invalid/warnings.json"}, code: 1, golden: "mixed.golden"},
		{name: "warnings pass", args: []string{data + "invalid/warnings.json"}, code: 0, golden: "warnings.golden"},
		{name: "warnings strict", args: []string{"-strict", data + "invalid/warnings.json"}, code: 1, golden: "warnings.golden"},
		{name: "one bad file fails all", args: []string{data + "valid/seed000-corrected.json", data + "syntax/empty.json"}, code: 1,
			stdout: data + "syntax/empty.json:1:1: empty file: a manifest is a JSON object such as {\"name\": \"org/app\", \"version\": \"1.0.0\"}\n"},
		{name: "missing file", args: []string{"nope.json"}, code: 1, stdout: "nope.json: manifest: open nope.json: no such file or directory\n"},
		{name: "stdin", args: []string{"-"}, stdin: "{\"name\": \"a/b\",\n \"version\": \"1\"}", code: 1,
			stdout: "-:2:13: version: \"1\" is not a MAJOR.MINOR.PATCH version; use three numbers separated by dots, such as \"1.0.0\"\n"},
		{name: "bad flag", args: []string{"-x"}, code: 2, stderr: "usage: manifestcheck"},
		{name: "bad format", args: []string{"-format", "xml"}, code: 2, stderr: `unknown -format "xml"`},
		{name: "github format", args: []string{"-format", "github", data + "syntax/seed000-example.json", data + "invalid/warnings.json"}, code: 1, golden: "github.golden"},
		{name: "github escapes", args: []string{"-format=github", "-"}, stdin: "{\"name\": \"a/b\", \"version\": \"1%\"}", code: 1,
			stdout: "::error file=-,line=1,col=28::version: \"1%25\" is not a MAJOR.MINOR.PATCH version; use three numbers separated by dots, such as \"1.0.0\"\n"},
		{name: "github missing file", args: []string{"-format=github", "a:b,c.json"}, code: 1,
			stdout: "::error file=a%3Ab%2Cc.json::manifest: open a:b,c.json: no such file or directory\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var stdout, stderr bytes.Buffer
			code := run(tt.args, strings.NewReader(tt.stdin), &stdout, &stderr)
			if code != tt.code {
				t.Errorf("exit code %d, want %d; stdout:\n%s\nstderr:\n%s", code, tt.code, &stdout, &stderr)
			}
			if !strings.Contains(stderr.String(), tt.stderr) {
				t.Errorf("stderr %q lacks %q", &stderr, tt.stderr)
			}
			if tt.golden == "" {
				if diff := cmp.Diff(tt.stdout, stdout.String()); diff != "" {
					t.Errorf("stdout (-want +got):\n%s", diff)
				}
				return
			}
			path := filepath.Join("testdata", tt.golden)
			if *update {
				if err := os.WriteFile(path, stdout.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(string(want), stdout.String()); diff != "" {
				t.Errorf("stdout (-want +got):\n%s", diff)
			}
		})
	}
}

// TestDefaultFile checks that with no argument ./socotra-app.json is checked.
func TestDefaultFile(t *testing.T) {
	t.Chdir(t.TempDir())
	if err := os.WriteFile("socotra-app.json", []byte(`{"name": "a/b", "version": "1.0.0",}`), 0o644); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	if code := run(nil, strings.NewReader(""), &stdout, &stderr); code != 1 {
		t.Errorf("exit code %d, want 1", code)
	}
	if want := "socotra-app.json:1:35: trailing comma before '}': remove the ','\n"; stdout.String() != want {
		t.Errorf("stdout = %q, want %q", &stdout, want)
	}
}

// TestSocotraSamples runs the checker on copies of every sample manifest in
// Socotra's public amp-blueprints repository (see the README next to them):
// each must pass without -strict.
func TestSocotraSamples(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob(data + "socotra-samples/*.json")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 6 {
		t.Fatalf("found %d sample manifests in %ssocotra-samples, want the 6 copied there", len(files), data)
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			t.Parallel()
			var stdout, stderr bytes.Buffer
			if code := run([]string{f}, strings.NewReader(""), &stdout, &stderr); code != 0 {
				t.Errorf("exit code %d, want 0; stdout:\n%s\nstderr:\n%s", code, &stdout, &stderr)
			}
		})
	}
}

// TestCrossPlatformStrict: a name only the other platform sends passes plain
// manifestcheck with a warning naming the event, the platform and the nearest
// name of that platform, and fails -strict.
func TestCrossPlatformStrict(t *testing.T) {
	t.Parallel()
	manifest := func(platform, event string) string {
		return `{"name": "acme/app", "version": "1.0.0"` + platform +
			`, "socotra": {"webhooks": [{"path": "/in", "events": ["` + event + `"]}]}}`
	}
	tests := []struct {
		name, doc string
		want      []string // substrings of the one warning
	}{
		{"core manifest, legacy name", manifest(`, "targetPlatform": "EnterpriseCore"`, "claim.create"),
			[]string{`"claim.create"`, "never by EnterpriseCore (Core)", `"claim.fnol.create"`}},
		{"kernel manifest, legacy name", manifest(`, "targetPlatform": "kernel"`, "policy.issue"),
			[]string{`"policy.issue"`, "never by kernel (Core)", "nearest kernel (Core) name is \"policy."}},
		{"default manifest, core name", manifest("", "claim.fnol.create"),
			[]string{`"claim.fnol.create"`, "never by ConnectedCore (Legacy)", `"claim.create"`}},
		{"legacy manifest, core name", manifest(`, "targetPlatform": "ConnectedCore"`, "policy.cancellation.issue"),
			[]string{`"policy.cancellation.issue"`, "never by ConnectedCore (Legacy)", "nearest ConnectedCore (Legacy) name"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			for _, strict := range []bool{false, true} {
				args := []string{"-"}
				wantCode := 0
				if strict {
					args, wantCode = []string{"-strict", "-"}, 1
				}
				var stdout, stderr bytes.Buffer
				if code := run(args, strings.NewReader(tt.doc), &stdout, &stderr); code != wantCode {
					t.Errorf("%v: exit code %d, want %d; stdout:\n%s", args, code, wantCode, &stdout)
				}
				out := stdout.String()
				if strings.Count(out, "\n") != 1 || !strings.Contains(out, "warning: ") {
					t.Errorf("%v: want one warning, got:\n%s", args, out)
				}
				for _, w := range tt.want {
					if !strings.Contains(out, w) {
						t.Errorf("%v: output lacks %q:\n%s", args, w, out)
					}
				}
			}
		})
	}
}
