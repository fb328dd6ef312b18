package backfill_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

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
		{"empty pattern", h, []backfill.Option{backfill.WithEvents("policy.*", "")}, []string{`WithEvents: events: pattern "": empty; use "*"`}},
		{"malformed pattern", h, []backfill.Option{backfill.WithEvents("policy..*")}, []string{`WithEvents: events: pattern "policy..*": empty segment`}},
		{"several at once", h, []backfill.Option{backfill.WithPageSize(-1), backfill.WithProgressEvery(0), backfill.WithInProgressWait(-1)},
			[]string{"WithPageSize(-1)", "WithProgressEvery(0)", "WithInProgressWait(-1ns)"}},
		{"zero start", h, []backfill.Option{backfill.WithStart(time.Time{})}, []string{"WithStart(zero time)", "WithFromBeginning"}},
		{"two starts", h, []backfill.Option{backfill.WithStart(time.Now()), backfill.WithFromBeginning()},
			[]string{"WithStart and WithFromBeginning: choose one start"}},
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
	if _, err := backfill.New(h, backfill.WithEvents("policy.*"), backfill.WithPageSize(50)); err != nil {
		t.Errorf("New with good options: %v", err)
	}
}

// A checkpoint file that exists but holds no token was truncated or reset: loading it is an error, not a
// silent restart from the beginning of the stream. A CRLF line ending is not part of the token.
func TestFileCheckpointLoadsOnlyATokenLine(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, content string
		want          string // the token, or "" for an error
		errHas        string
	}{
		{"LF", "tok-1\n", "tok-1", ""},
		{"CRLF", "tok-1\r\n", "tok-1", ""},
		{"no line ending", "tok-1", "tok-1", ""},
		{"since time", "since:2026-01-01T00:00:00Z\n", "since:2026-01-01T00:00:00Z", ""},
		{"empty", "", "", "holds no token"},
		{"newline only", "\n", "", "holds no token"},
		{"CRLF only", "\r\n", "", "holds no token"},
		{"spaces", "   \n", "", "holds no token"},
		{"tabs and newlines", "\t\n\n\t", "", "holds no token"},
		{"two lines", "tok-1\ntok-2\n", "", "corrupt: a space or control character at byte 5"},
		{"leading space", " tok-1\n", "", "corrupt"},
		{"trailing space", "tok-1 \n", "", "corrupt"},
		{"CR inside", "tok\r-1\n", "", "corrupt"},
		{"NUL", "tok\x001\n", "", "corrupt"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			path := filepath.Join(t.TempDir(), "cp")
			if err := os.WriteFile(path, []byte(tc.content), 0o600); err != nil {
				t.Fatal(err)
			}
			cp, err := backfill.NewFileCheckpoint(path)
			if err != nil {
				t.Fatal(err)
			}
			got, err := cp.Load(t.Context())
			if tc.want != "" {
				if err != nil || got != tc.want {
					t.Errorf("Load = %q, %v; want %q", got, err, tc.want)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.errHas) || !strings.Contains(err.Error(), path) ||
				!strings.Contains(err.Error(), "WithFromBeginning") {
				t.Errorf("Load = %q, %v; want an error naming the file, containing %q and saying how to start over", got, err, tc.errHas)
			}
		})
	}
}

func TestFileCheckpointSaveRefusesWhatLoadCannotReadBack(t *testing.T) {
	t.Parallel()
	cp, err := backfill.NewFileCheckpoint(filepath.Join(t.TempDir(), "cp"))
	if err != nil {
		t.Fatal(err)
	}
	if err := cp.Save(t.Context(), "good"); err != nil {
		t.Fatal(err)
	}
	for _, tok := range []string{"", " ", "tok\r", "tok\n", "a b", "tok\x00"} {
		if err := cp.Save(t.Context(), tok); err == nil || !strings.HasPrefix(err.Error(), "backfill: save checkpoint: ") {
			t.Errorf("Save(%q) = %v, want an error", tok, err)
		}
	}
	if got, err := cp.Load(t.Context()); got != "good" || err != nil {
		t.Errorf("after refused saves, Load = %q, %v; want the last good token", got, err)
	}
}
