package manifest

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/socotra-go/sdk/events"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// golden compares got with the file at path, rewriting it under -update.
func golden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./manifest -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("%s differs (-want +got):\n%s", path, diff)
	}
}

func files(t *testing.T, dir string) []string {
	t.Helper()
	names, err := filepath.Glob(filepath.Join("testdata", dir, "*.json"))
	if err != nil || len(names) == 0 {
		t.Fatalf("no test files in testdata/%s: %v", dir, err)
	}
	return names
}

func goldenName(path string) string { return strings.TrimSuffix(path, ".json") + ".golden" }

func TestSyntaxErrorsGolden(t *testing.T) {
	t.Parallel()
	for _, path := range files(t, "syntax") {
		t.Run(filepath.Base(path), func(t *testing.T) {
			t.Parallel()
			m, err := Load(path)
			if err == nil {
				t.Fatalf("Load(%s) = %+v, want syntax errors", path, m)
			}
			var buf bytes.Buffer
			for _, e := range SyntaxErrors(err) {
				if e.File != path || e.Line < 1 || e.Column < 1 {
					t.Errorf("error %q has no location", e)
				}
				fmt.Fprintln(&buf, e.Error())
			}
			golden(t, goldenName(path), buf.Bytes())
		})
	}
}

// TestSeedExample checks each problem of the seed's example manifest is
// reported where it is.
func TestSeedExample(t *testing.T) {
	t.Parallel()
	tests := []struct {
		file string
		want []SyntaxError
	}{
		{"seed000-skeleton.json", []SyntaxError{
			{Line: 6, Column: 1, Msg: "comments are not allowed in JSON: remove the // comment"},
		}},
		{"seed000-example.json", []SyntaxError{
			{Line: 21, Column: 2, Msg: "trailing comma before '}': remove the ','"},
			{Line: 22, Column: 2, Msg: "unexpected end of file: 1 '{' not closed (the '{' opened at line 1, column 1)"},
		}},
		{"seed000-combined.json", []SyntaxError{
			{Line: 6, Column: 1, Msg: "comments are not allowed in JSON: remove the // comment"},
			{Line: 14, Column: 2, Msg: "trailing comma before '}': remove the ','"},
			{Line: 15, Column: 2, Msg: "unexpected end of file: 1 '{' not closed (the '{' opened at line 1, column 1)"},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			t.Parallel()
			data, err := os.ReadFile(filepath.Join("testdata", "syntax", tt.file))
			if err != nil {
				t.Fatal(err)
			}
			_, err = Parse(data)
			var first *SyntaxError
			if !errors.As(err, &first) {
				t.Fatalf("Parse error %v is not a *SyntaxError", err)
			}
			var got []SyntaxError
			for _, e := range SyntaxErrors(err) {
				got = append(got, SyntaxError{Line: e.Line, Column: e.Column, Msg: e.Msg})
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("errors (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSyntaxErrorMessage(t *testing.T) {
	t.Parallel()
	_, err := Parse([]byte("{\n  \"name\": \"a/b\",\n}"))
	want := "manifest: line 2, column 16: trailing comma before '}': remove the ','"
	if err == nil || err.Error() != want {
		t.Errorf("Parse error = %v, want %q", err, want)
	}
}

func TestValidManifests(t *testing.T) {
	t.Parallel()
	for _, path := range files(t, "valid") {
		t.Run(filepath.Base(path), func(t *testing.T) {
			t.Parallel()
			m, err := Load(path)
			if err != nil {
				t.Fatal(err)
			}
			if err := m.ValidateStrict(); err != nil {
				t.Errorf("ValidateStrict: %v", err)
			}
		})
	}
}

// TestSeedCorrected checks the corrected seed example's content, not only
// that it validates.
func TestSeedCorrected(t *testing.T) {
	t.Parallel()
	m, err := Load("testdata/valid/seed000-corrected.json")
	if err != nil {
		t.Fatal(err)
	}
	if m.Name != "org-name/app-name" || m.Version != "0.0.1" || m.Platform() != ConnectedCore {
		t.Errorf("got name %q version %q platform %q", m.Name, m.Version, m.Platform())
	}
	if len(m.Socotra.Webhooks) != 1 {
		t.Fatalf("got %d webhooks, want 1", len(m.Socotra.Webhooks))
	}
	w := m.Socotra.Webhooks[0]
	if w.Path != "/webhook-notify" || len(w.Events) != 10 || w.Events[9] != events.Name("invoice.invalidate") {
		t.Errorf("webhook = %+v", w)
	}
}

func TestInvalidGolden(t *testing.T) {
	t.Parallel()
	for _, path := range files(t, "invalid") {
		t.Run(filepath.Base(path), func(t *testing.T) {
			t.Parallel()
			m, err := Load(path)
			if err != nil {
				t.Fatal(err)
			}
			errs, warns := m.Check()
			var buf bytes.Buffer
			for _, p := range append(errs, warns...) {
				if p.Line == 0 {
					t.Errorf("problem %q has no location", p)
				}
				fmt.Fprintln(&buf, p.Error())
			}
			golden(t, goldenName(path), buf.Bytes())
			if err := m.Validate(); (err != nil) != (len(errs) > 0) {
				t.Errorf("Validate = %v with %d errors", err, len(errs))
			}
			if err := m.ValidateStrict(); (err != nil) != (len(errs)+len(warns) > 0) {
				t.Errorf("ValidateStrict = %v with %d problems", err, len(errs)+len(warns))
			}
		})
	}
}

// TestSections checks manifests with the sections the SDK does not model
// (and values of the wrong type) parse, and that encoding/json writes the
// modelled fields so that Parse reads them back.
func TestSections(t *testing.T) {
	t.Parallel()
	for _, path := range files(t, "sections") {
		t.Run(filepath.Base(path), func(t *testing.T) {
			t.Parallel()
			m, err := Load(path)
			if err != nil {
				t.Fatal(err)
			}
			modelledRoundTrip(t, m)
		})
	}
	m, err := Load("testdata/sections/full.json")
	if err != nil {
		t.Fatal(err)
	}
	if m.Name != "acme/claims-bridge" || m.Version != "2.10.0" || m.Platform() != EnterpriseCore ||
		len(m.Socotra.Webhooks) != 2 || m.Socotra.Webhooks[1].Path != "/hooks/claims?<&>" || len(m.Socotra.Lifecycle) != 2 {
		t.Errorf("full.json decoded as %+v", m)
	}
}

// modelledRoundTrip checks that json.Marshal writes m's modelled fields so
// that Parse reads the same values back.
func modelledRoundTrip(t testing.TB, m *Manifest) {
	t.Helper()
	out, err := json.Marshal(m)
	if err != nil {
		t.Fatalf("json.Marshal: %v", err)
	}
	again, err := Parse(out)
	if err != nil {
		t.Fatalf("Parse(%s): %v", out, err)
	}
	if diff := cmp.Diff(m, again, cmpopts.EquateEmpty(), cmpopts.IgnoreUnexported(Manifest{})); diff != "" {
		t.Errorf("json.Marshal then Parse changed the manifest (-before +after):\n%s", diff)
	}
}

// TestWrongTypesKept checks a wrongly typed modelled value is reported
// until code sets the field.
func TestWrongTypesKept(t *testing.T) {
	t.Parallel()
	m, err := Parse([]byte(`{"name": 42, "version": "1.0.0"}`))
	if err != nil {
		t.Fatal(err)
	}
	err = m.Validate()
	var p *Problem
	if !errors.As(err, &p) || p.Path != "name" || p.Message != "must be a string, found a number" {
		t.Fatalf("Validate = %v, want name type error", err)
	}
	m.Name = "acme/app"
	if err := m.Validate(); err != nil {
		t.Errorf("after fixing the name in code: %v", err)
	}
}

func TestBuiltInCode(t *testing.T) {
	t.Parallel()
	m := &Manifest{Name: "acme/app", Version: "1.0.0", Socotra: Socotra{Webhooks: []Webhook{
		{Path: "/hooks", Events: []events.Name{events.Name("policy.create")}},
	}}}
	if err := m.Validate(); err != nil {
		t.Fatal(err)
	}
	out, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	want := `{
  "name": "acme/app",
  "version": "1.0.0",
  "socotra": {
    "webhooks": [
      {
        "path": "/hooks",
        "events": [
          "policy.create"
        ]
      }
    ]
  }
}`
	if diff := cmp.Diff(want, string(out)); diff != "" {
		t.Errorf("json.MarshalIndent (-want +got):\n%s", diff)
	}
	m.Socotra.Webhooks[0].Path = "hooks"
	var p *Problem
	if err := m.Validate(); !errors.As(err, &p) || p.Line != 0 || p.Path != "socotra.webhooks[0].path" {
		t.Errorf("Validate = %v, want an unlocated path problem", err)
	}
}

func TestUnmarshalJSON(t *testing.T) {
	t.Parallel()
	var doc struct {
		App Manifest `json:"app"`
	}
	if err := json.Unmarshal([]byte(`{"app": {"name": "a/b", "version": "1.2.3", "x": [1]}}`), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.App.Name != "a/b" || doc.App.Version != "1.2.3" {
		t.Errorf("got %+v", doc.App)
	}
	if err := json.Unmarshal([]byte(`{"app": ["not an object"]}`), &doc); err == nil {
		t.Error("Unmarshal of an array succeeded")
	}
}

// TestUnmarshalJSONKeepsItsBytes: encoding/json reuses its buffer between values of a stream, so a
// Manifest decoded from one must still locate its problems in its own bytes after the next decode.
func TestUnmarshalJSONKeepsItsBytes(t *testing.T) {
	t.Parallel()
	first := "{\n\"name\": \"a/b\",\n\"version\": \"v1\"\n}\n"
	second := "{\"name\": \"c/d\", \"version\": \"1.0.0\", \"pad\": \"" + strings.Repeat("x", 4096) + "\"}\n"
	dec := json.NewDecoder(strings.NewReader(first + second))
	var m1, m2 Manifest
	if err := dec.Decode(&m1); err != nil {
		t.Fatal(err)
	}
	if err := dec.Decode(&m2); err != nil {
		t.Fatal(err)
	}
	var p *Problem
	if err := m1.Validate(); !errors.As(err, &p) || p.Path != "version" || p.Line != 3 {
		t.Errorf("Validate of the first manifest = %v, want the version problem on line 3", err)
	}
}

func TestLoadMissingFile(t *testing.T) {
	t.Parallel()
	_, err := Load(filepath.Join(t.TempDir(), FileName))
	if !errors.Is(err, os.ErrNotExist) || !strings.HasPrefix(err.Error(), "manifest: ") {
		t.Errorf("Load = %v, want a wrapped not-exist error", err)
	}
}
