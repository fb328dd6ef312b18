package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestState(t *testing.T) {
	t.Parallel()
	home := t.TempDir()
	withHome := func(k string) string { return map[string]string{"HOME": home}[k] }
	info := serveInfo{URL: "http://127.0.0.1:40123", CoreToken: "pat_x"}
	path, err := writeState(withHome, info)
	if err != nil || !strings.HasPrefix(path, filepath.Join(home, ".cache", prog)) {
		t.Fatalf("writeState = %q, %v", path, err)
	}
	if st, err := os.Stat(path); err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("state file mode %v (%v), want 0600", st.Mode(), err)
	}
	if tok, err := readToken(withHome, info.URL+"/"); err != nil || tok != "pat_x" {
		t.Errorf("readToken = %q, %v", tok, err)
	}
	if _, err := readToken(withHome, "http://127.0.0.1:40124"); err == nil {
		t.Error("readToken found a token for another address")
	}
	// A directory other users can enter is not trusted.
	if err := os.Chmod(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := readToken(withHome, info.URL); err == nil {
		t.Error("readToken read from a directory open to other users")
	}
	if _, err := writeState(withHome, info); err == nil {
		t.Error("writeState wrote into a directory open to other users")
	}
	// Without a home, the file lives in a per-user directory under the temporary one.
	bare := func(string) string { return "" }
	if p := stateFile(bare, info.URL); !strings.HasPrefix(p, os.TempDir()) || !strings.Contains(p, prog+"-") {
		t.Errorf("stateFile without HOME = %q", p)
	}
}
