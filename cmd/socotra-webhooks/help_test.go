package main

import (
	"strings"
	"testing"
)

// TestHelp checks that every command has help with examples, through "help NAME" and "NAME -h".
func TestHelp(t *testing.T) {
	t.Parallel()
	for _, c := range commands {
		for _, args := range [][]string{{"help", c.name}, {c.name, "-h"}} {
			t.Run(strings.Join(args, " "), func(t *testing.T) {
				t.Parallel()
				r := runBin(t, nil, args...)
				if r.code != 0 || !strings.Contains(r.stdout, "usage:\n  socotra-webhooks "+c.name) || !strings.Contains(r.stdout, "Examples:\n  socotra-webhooks "+c.name) {
					t.Errorf("exit %d, stdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
				}
			})
		}
	}
	r := runBin(t, nil, "help")
	for _, c := range commands {
		if !strings.Contains(r.stdout, "\t"+c.name+" ") && !strings.Contains(r.stdout, " "+c.name+" ") {
			t.Errorf("help does not list %s:\n%s", c.name, r.stdout)
		}
	}
	if r := runBin(t, nil, "help", "nosuch"); r.code != 2 {
		t.Errorf("help nosuch: exit %d, want 2", r.code)
	}
}
