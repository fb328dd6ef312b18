package pgstore

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/socotra-go/sdk/webhooks/backfill"
)

// Checkpoint keeps a backfill's position in the Core event stream (its paging token) in one row of the
// Store's checkpoints table, so that whichever instance runs the next backfill resumes where the last one
// stopped. It implements [backfill.Checkpoint] and is safe for concurrent use. A Save is durable once it
// returns, as PostgreSQL's commit is.
type Checkpoint struct {
	s    *Store
	name string
}

var _ backfill.Checkpoint = (*Checkpoint)(nil)

// Checkpoint returns the checkpoint called name; name it after the webhook or the backfill it follows.
// Its Load and Save fail when name is empty. It does not contact the database.
func (s *Store) Checkpoint(name string) backfill.Checkpoint { return &Checkpoint{s: s, name: name} }

// Name returns the checkpoint's name, the key of its row.
func (c *Checkpoint) Name() string { return c.name }

var errNoName = errors.New(`pgstore: empty checkpoint name; name it after the webhook it follows, e.g. store.Checkpoint("orders")`)

// Load implements [backfill.Checkpoint]: it returns the saved paging token, or "" when none was saved.
func (c *Checkpoint) Load(ctx context.Context) (string, error) {
	if c.name == "" {
		return "", errNoName
	}
	var tok string
	err := c.s.pool.QueryRow(ctx, `SELECT token FROM `+c.s.checkpoints.quoted+` WHERE name = $1`, c.name).Scan(&tok)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", c.s.fail(fmt.Sprintf("load checkpoint %q", c.name), c.s.checkpoints, err)
	}
	return tok, nil
}

// Save implements [backfill.Checkpoint]: it replaces the saved token.
func (c *Checkpoint) Save(ctx context.Context, token string) error {
	if c.name == "" {
		return errNoName
	}
	_, err := c.s.pool.Exec(ctx, `INSERT INTO `+c.s.checkpoints.quoted+` (name, token) VALUES ($1, $2)
ON CONFLICT (name) DO UPDATE SET token = excluded.token, updated_at = now()`, c.name, token)
	if err != nil {
		return c.s.fail(fmt.Sprintf("save checkpoint %q", c.name), c.s.checkpoints, err)
	}
	return nil
}
