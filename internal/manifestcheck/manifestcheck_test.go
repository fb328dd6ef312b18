package manifestcheck

import (
	"bytes"
	"strings"
	"testing"
)

func TestRunFlagsAfterFiles(t *testing.T) {
	t.Parallel()
	const warnings = "../../manifest/testdata/invalid/warnings.json"
	tests := []struct {
		args     []string
		code     int
		contains string
	}{
		{[]string{warnings}, 0, "warning:"},
		{[]string{warnings, "-strict"}, 1, "warning:"},                  // a flag after the file
		{[]string{"-strict", warnings}, 1, "warning:"},                  // and before it
		{[]string{warnings, "-format", "github"}, 0, "::warning file="}, // a flag with a value after the file
		{[]string{"-h"}, 0, "usage: check"},
		{[]string{warnings, "-nope"}, 2, "usage: check"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			t.Parallel()
			var stdout, stderr bytes.Buffer
			code := Run("check", tt.args, strings.NewReader(""), &stdout, &stderr)
			if code != tt.code || !strings.Contains(stdout.String()+stderr.String(), tt.contains) {
				t.Errorf("Run = %d (want %d), output:\n%s%s", code, tt.code, &stdout, &stderr)
			}
		})
	}
}
