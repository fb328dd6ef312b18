package events

import (
	"slices"
	"testing"
)

func TestNamesPerPlatform(t *testing.T) {
	t.Parallel()
	tests := []struct {
		p    Platform
		want []Name
	}{
		{Core, CoreNames()},
		{Legacy, LegacyNames()},
		{Core | Legacy, All()},
		{0, nil},
	}
	for _, tt := range tests {
		t.Run(tt.p.String(), func(t *testing.T) {
			t.Parallel()
			got := Names(tt.p)
			if !slices.Equal(got, tt.want) {
				t.Fatalf("Names(%v) has %d names, want %d", tt.p, len(got), len(tt.want))
			}
			for _, n := range got {
				if !n.SentBy(tt.p) {
					t.Errorf("%q is in Names(%v) but SentBy(%v) is false", n, tt.p, tt.p)
				}
				if n.ForeignTo(tt.p) {
					t.Errorf("%q is in Names(%v) but ForeignTo(%v) is true", n, tt.p, tt.p)
				}
			}
		})
	}
	if len(CoreNames()) == 0 || len(LegacyNames()) == 0 {
		t.Fatal("a platform has no names")
	}
}

func TestSentByForeignTo(t *testing.T) {
	t.Parallel()
	tests := []struct {
		n                                Name
		core, legacy, coreFor, legacyFor bool
	}{
		{ClaimCreate, false, true, true, false},                   // Legacy only (api/legacy.yaml)
		{PolicyIssue, false, true, true, false},                   // Legacy only
		{ClaimFnolCreate, true, false, false, true},               // Core only (api/events/core.json)
		{PolicyQuoteAccept, true, true, false, false},             // both
		{Name("tenant.custom.thing"), false, false, false, false}, // unknown: neither sent nor foreign
	}
	for _, tt := range tests {
		t.Run(string(tt.n), func(t *testing.T) {
			t.Parallel()
			if got := tt.n.SentBy(Core); got != tt.core {
				t.Errorf("SentBy(Core) = %v, want %v", got, tt.core)
			}
			if got := tt.n.SentBy(Legacy); got != tt.legacy {
				t.Errorf("SentBy(Legacy) = %v, want %v", got, tt.legacy)
			}
			if got := tt.n.ForeignTo(Core); got != tt.coreFor {
				t.Errorf("ForeignTo(Core) = %v, want %v", got, tt.coreFor)
			}
			if got := tt.n.ForeignTo(Legacy); got != tt.legacyFor {
				t.Errorf("ForeignTo(Legacy) = %v, want %v", got, tt.legacyFor)
			}
			if tt.n.ForeignTo(0) || tt.n.ForeignTo(Core|Legacy) {
				t.Error("no name is foreign to the empty set or to both platforms")
			}
		})
	}
}

func TestSuggestOn(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		p    Platform
		want Name // "" when nothing of p is close
	}{
		{"policy.isue", Legacy, PolicyIssue},
		{"policy.isue", Core, ""}, // policy.issue is Legacy only
		{"claim.creat", Legacy, ClaimCreate},
		{"claim.creat", Core, ""},
		{"claim.fnol.creat", Core, ClaimFnolCreate},
		{"claim.fnol.creat", Legacy, ""},
		{"policy.quote.acept", Core, PolicyQuoteAccept},
		{"policy.quote.acept", Legacy, PolicyQuoteAccept},
		{"policy.quote.acept", 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.p.String()+"/"+tt.in, func(t *testing.T) {
			t.Parallel()
			got, ok := SuggestOn(tt.in, tt.p)
			if got != tt.want || ok != (tt.want != "") {
				t.Errorf("SuggestOn(%q, %v) = %q, %v; want %q", tt.in, tt.p, got, ok, tt.want)
			}
			if ok && !got.SentBy(tt.p) {
				t.Errorf("SuggestOn(%q, %v) = %q, which %v does not send", tt.in, tt.p, got, tt.p)
			}
		})
	}
	// Every suggestion for every one-edit typo stays on the platform asked about.
	for _, p := range []Platform{Core, Legacy} {
		for _, n := range All() {
			typo := string(n[:len(n)-1])
			if got, ok := SuggestOn(typo, p); ok && !got.SentBy(p) {
				t.Errorf("SuggestOn(%q, %v) = %q, not a %v name", typo, p, got, p)
			}
		}
	}
}

func TestMatchingOn(t *testing.T) {
	t.Parallel()
	core := MatchingOn("claim.*", Core)
	if len(core) == 0 || slices.Contains(core, ClaimCreate) || !slices.Contains(core, ClaimFnolCreate) {
		t.Errorf("MatchingOn(claim.*, Core) = %v; want Core claim names only", core)
	}
	legacy := MatchingOn("claim.*", Legacy)
	if !slices.Contains(legacy, ClaimCreate) || slices.Contains(legacy, ClaimFnolCreate) {
		t.Errorf("MatchingOn(claim.*, Legacy) = %v; want Legacy claim names only", legacy)
	}
	if got, want := len(MatchingOn("*", Core|Legacy)), len(All()); got != want {
		t.Errorf("MatchingOn(*, both) has %d names, want %d", got, want)
	}
}

func TestNearestOn(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		p    Platform
		want Name
	}{
		{"claim.create", Core, ClaimFnolCreate},
		{"claim.fnol.create", Legacy, ClaimCreate},
		{"policy.quote.acept", Core, PolicyQuoteAccept}, // a near typo: SuggestOn's answer
		{"policy.issue", Core, ""},                      // some Core policy.* name; checked below
		{"", Core, ""},
		{"claim.create", 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.p.String()+"/"+tt.in, func(t *testing.T) {
			t.Parallel()
			got, ok := NearestOn(tt.in, tt.p)
			if tt.in == "" || tt.p == 0 {
				if ok {
					t.Errorf("NearestOn(%q, %v) = %q, true; want false", tt.in, tt.p, got)
				}
				return
			}
			if !ok || !got.SentBy(tt.p) || got.Category() != Name(tt.in).Category() {
				t.Fatalf("NearestOn(%q, %v) = %q, %v; want a %v name of category %q", tt.in, tt.p, got, ok, tt.p, Name(tt.in).Category())
			}
			if tt.want != "" && got != tt.want {
				t.Errorf("NearestOn(%q, %v) = %q, want %q", tt.in, tt.p, got, tt.want)
			}
		})
	}
}
