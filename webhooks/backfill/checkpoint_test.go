package backfill_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/socotra-go/sdk/webhooks"
	"github.com/socotra-go/sdk/webhooks/backfill"
)

func TestNewFileCheckpointRejectsBadPaths(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	file := filepath.Join(dir, "file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ name, path, want string }{
		{"empty", "", "empty checkpoint path"},
		{"missing directory", filepath.Join(dir, "nope", "cp"), "create it first"},
		{"parent is a file", filepath.Join(file, "cp"), "is not a directory"},
		{"path is a directory", dir, "is a directory; name a file inside it"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := backfill.NewFileCheckpoint(tc.path)
			if err == nil || !strings.HasPrefix(err.Error(), "backfill: ") || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("NewFileCheckpoint(%q) = %v, want an error containing %q", tc.path, err, tc.want)
			}
		})
	}
}

func TestFileCheckpointSaveLoad(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	cp, err := backfill.NewFileCheckpoint(filepath.Join(dir, "cp"))
	if err != nil {
		t.Fatal(err)
	}
	if tok, err := cp.Load(t.Context()); tok != "" || err != nil {
		t.Fatalf("Load before Save = %q, %v", tok, err)
	}
	for _, tok := range []string{"eyJ0IjoxfQ", "a-longer-token-that-replaces-it", "short"} {
		if err := cp.Save(t.Context(), tok); err != nil {
			t.Fatal(err)
		}
		if got, err := cp.Load(t.Context()); got != tok || err != nil {
			t.Fatalf("Load after Save(%q) = %q, %v", tok, got, err)
		}
	}
	// A new FileCheckpoint on the same file (a restarted process) reads it; no temporary file is left.
	again, _ := backfill.NewFileCheckpoint(cp.Path())
	if tok, _ := again.Load(t.Context()); tok != "short" {
		t.Errorf("reloaded %q", tok)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("directory holds %d entries, want only the checkpoint", len(entries))
	}
	if fi, _ := os.Stat(cp.Path()); fi.Mode().Perm() != 0o600 {
		t.Errorf("checkpoint mode %v, want 0600", fi.Mode().Perm())
	}
}

func TestFileCheckpointReportsErrors(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	sub := filepath.Join(dir, "sub")
	if err := os.Mkdir(sub, 0o700); err != nil {
		t.Fatal(err)
	}
	cp, _ := backfill.NewFileCheckpoint(filepath.Join(sub, "cp"))
	if err := os.Remove(sub); err != nil { // the directory goes away after construction
		t.Fatal(err)
	}
	if err := cp.Save(t.Context(), "x"); err == nil || !strings.HasPrefix(err.Error(), "backfill: save checkpoint: ") {
		t.Errorf("Save into a removed directory = %v", err)
	}
	if err := os.MkdirAll(cp.Path(), 0o700); err != nil { // a directory where the file should be
		t.Fatal(err)
	}
	if _, err := cp.Load(t.Context()); err == nil || !strings.HasPrefix(err.Error(), "backfill: load checkpoint: ") {
		t.Errorf("Load of a directory = %v", err)
	}
}

func TestNewRejectsBadOptions(t *testing.T) {
	t.Parallel()
	h := webhooks.NewHandler()
	for _, tc := range []struct {
		name string
		h    backfill.Handler
		opts []backfill.Option
		want []string
	}{
		{"nil handler", nil, nil, []string{"nil Handler"}},
		{"empty pattern", h, []backfill.Option{backfill.WithTypes("policy.*", "")}, []string{"WithTypes: empty pattern"}},
		{"several at once", h, []backfill.Option{backfill.WithPageSize(-1), backfill.WithProgressEvery(0), backfill.WithInProgressWait(-1)},
			[]string{"WithPageSize(-1)", "WithProgressEvery(0)", "WithInProgressWait(-1ns)"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := backfill.New(tc.h, tc.opts...)
			if err == nil {
				t.Fatal("New accepted bad settings")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
	if _, err := backfill.New(h, backfill.WithTypes("policy.*"), backfill.WithPageSize(50)); err != nil {
		t.Errorf("New with good options: %v", err)
	}
}
