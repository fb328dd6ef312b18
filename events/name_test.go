package events

import (
	"errors"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("a", MaxNameLen)
	tests := []struct {
		in      string
		wantErr string // "" when in is well-formed
	}{
		{in: "policy.quote.accept"},
		{in: "catchUp.pay.reverse"},
		{in: "custom.tenant_event.v2"},
		{in: "single"},
		{in: "A.B_9"},
		{in: long},
		{in: "", wantErr: `events: "": empty; a name has dot-separated segments, as in "policy.quote.accept"`},
		{in: long + "a", wantErr: `events: "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa...": 129 bytes long, over the limit of 128`},
		{in: "policy..create", wantErr: `events: "policy..create": empty segment at byte 7`},
		{in: ".policy", wantErr: `events: ".policy": empty segment at byte 0`},
		{in: "policy.", wantErr: `events: "policy.": empty segment at byte 7`},
		{in: ".", wantErr: `events: ".": empty segment at byte 0`},
		{in: "policy.quote accept", wantErr: `events: "policy.quote accept": character ' ' at byte 12 is not a letter, digit, '_' or '.'`},
		{in: "policy-create", wantErr: `events: "policy-create": character '-' at byte 6 is not a letter, digit, '_' or '.'`},
		{in: "policy.*", wantErr: `events: "policy.*": '*' at byte 7 belongs in patterns (see Match), not in names`},
		{in: "polícy", wantErr: `events: "polícy": non-ASCII character 'í' at byte 3`},
		{in: "pol\xffcy", wantErr: `events: "pol\xffcy": invalid UTF-8 at byte 3`},
		{in: "policy\n", wantErr: `events: "policy\n": character '\n' at byte 6 is not a letter, digit, '_' or '.'`},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			n, err := Parse(tt.in)
			if tt.wantErr == "" {
				if err != nil || n != Name(tt.in) {
					t.Fatalf("Parse(%q) = %q, %v; want the name back", tt.in, n, err)
				}
				return
			}
			if err == nil {
				t.Fatalf("Parse(%q) = %q, want error %s", tt.in, n, tt.wantErr)
			}
			if err.Error() != tt.wantErr {
				t.Errorf("Parse(%q) error\n got: %s\nwant: %s", tt.in, err, tt.wantErr)
			}
			if !errors.Is(err, ErrMalformedName) || errors.Is(err, ErrMalformedPattern) {
				t.Errorf("Parse(%q) error does not match ErrMalformedName alone", tt.in)
			}
			var se *SyntaxError
			if !errors.As(err, &se) || se.Input != tt.in {
				t.Errorf("Parse(%q) error is not a *SyntaxError holding the input", tt.in)
			}
			if n != "" {
				t.Errorf("Parse(%q) returned %q with its error", tt.in, n)
			}
		})
	}
}

func TestValidPattern(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in      string
		wantErr string
	}{
		{in: "*"},
		{in: "policy.*"},
		{in: "*.create"},
		{in: "policy.*.issue"},
		{in: "policy.quote.accept"},
		{in: "pol*"},
		{in: "", wantErr: `events: pattern "": empty; use "*" to match every event`},
		{in: "policy..*", wantErr: `events: pattern "policy..*": empty segment at byte 7`},
		{in: "policy.", wantErr: `events: pattern "policy.": empty segment at byte 7`},
		{in: "policy.?", wantErr: `events: pattern "policy.?": character '?' at byte 7 is not a letter, digit, '_', '.' or '*'`},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			err := ValidPattern(tt.in)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("ValidPattern(%q) = %v, want nil", tt.in, err)
				}
				return
			}
			if err == nil || err.Error() != tt.wantErr {
				t.Fatalf("ValidPattern(%q)\n got: %v\nwant: %s", tt.in, err, tt.wantErr)
			}
			if !errors.Is(err, ErrMalformedPattern) || errors.Is(err, ErrMalformedName) {
				t.Errorf("ValidPattern(%q) error does not match ErrMalformedPattern alone", tt.in)
			}
		})
	}
}

func TestKnownNamesParse(t *testing.T) {
	t.Parallel()
	for _, n := range All() {
		got, err := Parse(string(n))
		if err != nil || got != n {
			t.Errorf("Parse(%q) = %q, %v", n, got, err)
		}
		if !n.Known() || n.String() != string(n) {
			t.Errorf("%q: Known() = %v, String() = %q", n, n.Known(), n.String())
		}
		if err := ValidPattern(string(n)); err != nil || !Match(string(n), n) {
			t.Errorf("%q as a pattern: ValidPattern = %v, Match itself = %v", n, err, Match(string(n), n))
		}
	}
}

func TestConstants(t *testing.T) {
	t.Parallel()
	// A sample of constants, with the facts the issue and the reference data
	// give about them.
	tests := []struct {
		n        Name
		want     string
		platform Platform
		category string
	}{
		{PolicyCreate, "policy.create", Legacy, "policy"},
		{PolicyQuoteAccept, "policy.quote.accept", Core | Legacy, "policy"},
		{PolicyReinstatementIssue, "policy.reinstatement.issue", Core | Legacy, "policy"},
		{CatchUpPayReverse, "catchUp.pay.reverse", Legacy, "catchUp"},
		{ClaimCreate, "claim.create", Legacy, "claim"},
		{BillingInvoiceGenerate, "billing.invoice.generate", Core, "billing"},
		{PolicyStatusUpdate, "policy.status.update", Core, "policy"},
		{AccountConfigMigrationFailed, "account.config.migration.failed", Core, "account"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			t.Parallel()
			if string(tt.n) != tt.want {
				t.Errorf("constant = %q, want %q", tt.n, tt.want)
			}
			if got := tt.n.Platforms(); got != tt.platform {
				t.Errorf("Platforms() = %v, want %v", got, tt.platform)
			}
			if got := tt.n.Category(); got != tt.category {
				t.Errorf("Category() = %q, want %q", got, tt.category)
			}
		})
	}
}

func TestUnknownName(t *testing.T) {
	t.Parallel()
	n := Name("tenant.custom.thing")
	if n.Known() || n.Platforms() != 0 || n.Category() != "tenant" {
		t.Errorf("unknown %q: Known=%v Platforms=%v Category=%q", n, n.Known(), n.Platforms(), n.Category())
	}
	if got := Name("nodots").Category(); got != "nodots" {
		t.Errorf("Category of a one-segment name = %q, want the whole name", got)
	}
}

func TestPlatform(t *testing.T) {
	t.Parallel()
	tests := []struct {
		p                Platform
		str              string
		hasCore, hasLeg  bool
		hasBoth, hasNone bool
	}{
		{0, "none", false, false, false, false},
		{Core, "core", true, false, false, false},
		{Legacy, "legacy", false, true, false, false},
		{Core | Legacy, "core+legacy", true, true, true, false},
		{4, "Platform(4)", false, false, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.str, func(t *testing.T) {
			t.Parallel()
			if got := tt.p.String(); got != tt.str {
				t.Errorf("String() = %q, want %q", got, tt.str)
			}
			if tt.p.Has(Core) != tt.hasCore || tt.p.Has(Legacy) != tt.hasLeg ||
				tt.p.Has(Core|Legacy) != tt.hasBoth || tt.p.Has(0) != tt.hasNone {
				t.Errorf("Has(Core, Legacy, both, none) = %v %v %v %v, want %v %v %v %v",
					tt.p.Has(Core), tt.p.Has(Legacy), tt.p.Has(Core|Legacy), tt.p.Has(0),
					tt.hasCore, tt.hasLeg, tt.hasBoth, tt.hasNone)
			}
		})
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"policy.quote.accept", "", ".", "a..b", "a.", "x*", "é", strings.Repeat("a.", 70)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := Parse(s)
		if err != nil {
			if n != "" || !errors.Is(err, ErrMalformedName) {
				t.Fatalf("Parse(%q) = %q, %v", s, n, err)
			}
			var se *SyntaxError
			if !errors.As(err, &se) || se.Offset > len(s) {
				t.Fatalf("Parse(%q): bad *SyntaxError %#v", s, err)
			}
			return
		}
		if string(n) != s || len(s) == 0 || len(s) > MaxNameLen {
			t.Fatalf("Parse(%q) accepted %q", s, n)
		}
		for seg := range strings.SplitSeq(s, ".") {
			if seg == "" {
				t.Fatalf("Parse(%q) accepted an empty segment", s)
			}
			for _, c := range []byte(seg) {
				if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_') {
					t.Fatalf("Parse(%q) accepted byte %q", s, c)
				}
			}
		}
		if ValidPattern(s) != nil || !Match(s, n) {
			t.Fatalf("well-formed name %q is not a pattern matching itself", s)
		}
	})
}
