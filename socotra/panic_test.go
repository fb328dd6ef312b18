package socotra

import (
	"context"
	"net/http/httptest"
	"testing"
)

// Regression: /_app/start ran the OnStart hook on a goroutine of its own without recovering, so a panicking
// hook took the whole process down.
func TestRuntimeStartHookPanicIsRecovered(t *testing.T) {
	t.Parallel()
	rt, err := NewRuntime(testManifest(t, "/a"), nil,
		OnStart(func(context.Context, string) error { panic("hook exploded") }))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(rt)
	t.Cleanup(srv.Close)
	if status, body := get(t, srv, startPath("https://abc.outpost.example")); status != 500 {
		t.Errorf("start with a panicking hook = %d %q, want 500", status, body)
	}
}
