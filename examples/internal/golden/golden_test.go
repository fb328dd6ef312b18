package golden

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// recorder is a testing.TB that records failures instead of reporting them.
type recorder struct {
	testing.TB
	errors []string
}

func (r *recorder) Helper() {}
func (r *recorder) Errorf(format string, a ...any) {
	r.errors = append(r.errors, fmt.Sprintf(format, a...))
}

func TestCheck(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "out.golden")
	if err := os.WriteFile(path, []byte("line 1\nline 2\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	same := &recorder{TB: t}
	Check(same, path, []byte("line 1\nline 2\n"))
	if len(same.errors) != 0 {
		t.Errorf("equal output reported: %v", same.errors)
	}
	diff := &recorder{TB: t}
	Check(diff, path, []byte("line 1\nline two\n"))
	if len(diff.errors) != 1 || !strings.Contains(diff.errors[0], "line two") || !strings.Contains(diff.errors[0], "-update") {
		t.Errorf("changed output reported as %q, want one error showing the change and naming -update", diff.errors)
	}
}
