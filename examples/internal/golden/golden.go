package golden

import (
	"bytes"
	"context"
	"flag"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite the golden files with the current output")

// Check fails t when got differs from the content of the file at path, showing the difference line by
// line. With -update it writes got to path instead.
func Check(t testing.TB, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run the test with -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("output differs from %s (-want +got; run with -update if the change is intended):\n%s", path, diff)
	}
}

// Run calls run with the test's context and a buffer, fails t if it returns an error, compares what it
// printed with the golden file at path (see Check), and checks that the output contains each of wants,
// the lines a reader of the example relies on. It returns the output.
func Run(t *testing.T, path string, run func(ctx context.Context, stdout io.Writer) error, wants ...string) string {
	t.Helper()
	var out bytes.Buffer
	if err := run(t.Context(), &out); err != nil {
		t.Fatalf("run: %v\noutput so far:\n%s", err, &out)
	}
	Check(t, path, out.Bytes())
	for _, want := range wants {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q", want)
		}
	}
	return out.String()
}
