package backfill

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"unicode"
)

// Checkpoint stores a [Backfiller]'s position in a Core or Legacy event stream: the paging token of the first
// page not yet fully handled. [FileCheckpoint] keeps it in a file; package
// github.com/socotra-go/sdk/webhooks/redisstore keeps it in Redis for services with several instances.
type Checkpoint interface {
	// Load returns the saved token, or "" when none was saved yet.
	Load(ctx context.Context) (string, error)
	// Save replaces the saved token. After Save returns nil, a crash must not bring back an older token.
	Save(ctx context.Context, token string) error
}

// FileCheckpoint is a [Checkpoint] kept in one file. Save writes a temporary file beside it, syncs it to disk
// and renames it over the old one, so a crash leaves either the old token or the new one, never a torn
// write. It is not safe for use by two processes at once; give each backfill its own file.
type FileCheckpoint struct {
	path string
}

var _ Checkpoint = (*FileCheckpoint)(nil)

// NewFileCheckpoint returns a FileCheckpoint stored at path. The file need not exist (Load then returns ""),
// but its directory must: NewFileCheckpoint fails when it does not, or when path is empty or a directory.
func NewFileCheckpoint(path string) (*FileCheckpoint, error) {
	if path == "" {
		return nil, errors.New("backfill: empty checkpoint path; give a file such as /var/lib/myapp/socotra.checkpoint")
	}
	if fi, err := os.Stat(filepath.Dir(path)); err != nil {
		return nil, fmt.Errorf("backfill: checkpoint directory: %w; create it first", err)
	} else if !fi.IsDir() {
		return nil, fmt.Errorf("backfill: checkpoint directory %s is not a directory", filepath.Dir(path))
	}
	if fi, err := os.Stat(path); err == nil && fi.IsDir() {
		return nil, fmt.Errorf("backfill: checkpoint path %s is a directory; name a file inside it", path)
	}
	return &FileCheckpoint{path: path}, nil
}

// Path returns the file the checkpoint is kept in.
func (c *FileCheckpoint) Path() string { return c.path }

// Load implements [Checkpoint]: it returns the token in the file, or "" when the file does not exist. The
// line ending Save writes is removed, and so is a carriage return before it (a file edited on Windows).
//
// A file that exists but holds no token (empty, or only whitespace) is an error, not a fresh start: Save
// never writes one, so it means the file was truncated or reset, and starting over could replay the
// tenant's whole history or skip what was missed. So is a token with spaces or control characters inside.
// To start over on purpose, delete the file and choose the start ([WithStart], [WithFromBeginning]).
func (c *FileCheckpoint) Load(context.Context) (string, error) {
	b, err := os.ReadFile(c.path)
	if errors.Is(err, fs.ErrNotExist) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("backfill: load checkpoint: %w", err)
	}
	tok := strings.TrimSuffix(strings.TrimSuffix(string(b), "\n"), "\r")
	if strings.TrimSpace(tok) == "" {
		return "", fmt.Errorf("backfill: load checkpoint: %s exists but holds no token; "+
			"restore it, or delete it and choose where to start with WithStart or WithFromBeginning", c.path)
	}
	if i := strings.IndexFunc(tok, badTokenRune); i >= 0 {
		return "", fmt.Errorf("backfill: load checkpoint: %s is corrupt: a space or control character at byte %d; "+
			"restore it, or delete it and choose where to start with WithStart or WithFromBeginning", c.path, i)
	}
	return tok, nil
}

// badTokenRune reports whether r cannot be part of a saved token: whitespace and control characters would
// not survive the file's line format.
func badTokenRune(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }

// Save implements [Checkpoint]: it replaces the file atomically with token and a newline. It refuses an
// empty token and one with spaces or control characters, which Load could not read back unchanged.
func (c *FileCheckpoint) Save(_ context.Context, token string) error {
	switch {
	case token == "":
		return errors.New("backfill: save checkpoint: empty token")
	case strings.ContainsFunc(token, badTokenRune):
		return errors.New("backfill: save checkpoint: the token has a space or control character, which the file cannot hold")
	}
	if err := c.save(token); err != nil {
		return fmt.Errorf("backfill: save checkpoint: %w", err)
	}
	return nil
}

func (c *FileCheckpoint) save(token string) error {
	dir := filepath.Dir(c.path)
	f, err := os.CreateTemp(dir, filepath.Base(c.path)+".tmp*")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name()) // fails harmlessly once renamed
	_, err = f.WriteString(token + "\n")
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), c.path)
	}
	if err != nil {
		return err
	}
	// Make the rename itself durable; not every platform can sync a directory, so this is best effort.
	if d, derr := os.Open(dir); derr == nil {
		_ = d.Sync()
		_ = d.Close()
	}
	return nil
}
